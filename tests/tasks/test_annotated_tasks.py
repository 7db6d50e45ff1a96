"""Golden examples and edge cases of the annotated-dataset tasks, the dataset-original task included."""

from __future__ import annotations

import pytest

from ecomgpt.records.schema import AnnotatedText, Span
from ecomgpt.tasks.registry import get_task, tasks_for
from ecomgpt.tasks.rng import Rng
from tests.tasks.golden import Case, Golden, check_case
from tests.tasks.samples import ATTR_ZH, CLS_EN, CLS_ZH, GENERATE_ZH, NER_EN, NER_ZH

LENOVO = NER_EN.text
LENOVO_TYPES = "Attribute, Brand, Component, Product"
LENOVO_NER = "Attribute: None\nBrand: Toshiba\nComponent: Webcam\nProduct: Satellite U405 laptop"
SHOES = NER_ZH.text
SHOES_TYPES = "商品, 品牌, 型号, 其他"
SHOES_NER = "商品: 亲子鞋\n品牌: 艾熙, 百思图\n型号: None\n其他: None"
DRESS = ATTR_ZH.text
DRESS_TYPES = "图案, 材质, 领型, 颜色, 风格"

CASES = [
    Case(
        "annotated.entity_span_detection",
        NER_EN,
        [Golden(LENOVO, "Webcam, Toshiba, Satellite U405 laptop", {"label_set": LENOVO_TYPES})],
    ),
    Case(
        "annotated.entity_span_detection", NER_ZH, [Golden(SHOES, "艾熙, 百思图, 亲子鞋", {"label_set": SHOES_TYPES})]
    ),
    Case("annotated.entity_span_detection", ATTR_ZH, [Golden(DRESS, "圆领, 拼接", {"label_set": DRESS_TYPES})]),
    Case(
        "annotated.entity_typing",
        NER_EN,
        [Golden(LENOVO, "Component", {"entity": "Webcam", "label_set": LENOVO_TYPES})],
    ),
    Case("annotated.entity_typing", NER_ZH, [Golden(SHOES, "品牌", {"entity": "艾熙", "label_set": SHOES_TYPES})]),
    Case("annotated.typed_entity_extraction", NER_EN, [Golden(LENOVO, LENOVO_NER, {"label_set": LENOVO_TYPES})]),
    Case("annotated.typed_entity_extraction", NER_ZH, [Golden(SHOES, SHOES_NER, {"label_set": SHOES_TYPES})]),
    Case(
        "annotated.typed_entity_extraction",
        ATTR_ZH,
        [Golden(DRESS, "图案: None\n材质: None\n领型: 圆领\n颜色: None\n风格: 拼接", {"label_set": DRESS_TYPES})],
    ),
    Case("annotated.spans_of_type", NER_EN, [Golden(LENOVO, "Webcam", {"type": "Component"})]),
    Case("annotated.spans_of_type", NER_ZH, [Golden(SHOES, "亲子鞋", {"type": "商品"})]),
    Case("annotated.spans_of_type", NER_ZH, [Golden(SHOES, "艾熙, 百思图", {"type": "品牌"})], seed=3),
    Case("annotated.mentions_type", NER_EN, [Golden(LENOVO, "yes", {"type": "Brand", "label_set": "yes, no"})]),
    Case(
        "annotated.mentions_type", NER_EN, [Golden(LENOVO, "no", {"type": "Attribute", "label_set": "yes, no"})], seed=3
    ),
    Case("annotated.mentions_type", NER_ZH, [Golden(SHOES, "否", {"type": "其他", "label_set": "是, 否"})]),
    Case("annotated.mentions_type", NER_ZH, [Golden(SHOES, "是", {"type": "商品", "label_set": "是, 否"})], seed=2),
    Case(
        "annotated.label_verification",
        CLS_EN,
        [Golden(CLS_EN.text, "yes", {"label": "Ambience", "label_set": "yes, no"})],
    ),
    Case(
        "annotated.label_verification",
        CLS_EN,
        [Golden(CLS_EN.text, "no", {"label": "Price", "label_set": "yes, no"})],
        seed=1,
    ),
    Case("annotated.label_verification", CLS_ZH, [Golden(CLS_ZH.text, "是", {"label": "酒店", "label_set": "是, 否"})]),
    Case(
        "annotated.label_verification",
        CLS_ZH,
        [Golden(CLS_ZH.text, "否", {"label": "书籍", "label_set": "是, 否"})],
        seed=2,
    ),
    # The dataset's own instruction, with its label set filled in, replaces the templates.
    Case(
        "annotated.original",
        NER_EN,
        [
            Golden(
                LENOVO,
                LENOVO_NER,
                instruction=f"Extract all named entity with type about {LENOVO_TYPES} in the sentence.",
                definition="named entity recognition",
                paradigm="NER",
            )
        ],
    ),
    # Without one, the labels go on a line of the input and the templates name the task.
    Case(
        "annotated.original",
        CLS_EN,
        [
            Golden(
                f"{CLS_EN.text}\nCandidates: Food, Service, Price, Ambience, Anecdotes/Miscellaneous",
                "Food, Ambience",
                {"definition": "review topic category"},
                definition="review topic category",
                paradigm="CLS",
            )
        ],
    ),
    Case(
        "annotated.original",
        NER_ZH,
        [
            Golden(
                f"{SHOES}\n候选：{SHOES_TYPES}",
                SHOES_NER,
                {"definition": "named entity recognition"},
                definition="named entity recognition",
                paradigm="NER",
            )
        ],
    ),
    Case(
        "annotated.original",
        ATTR_ZH,
        [
            Golden(
                DRESS,
                "圆领, 拼接",
                instruction=f"Detect all attribute value about {DRESS_TYPES} in the sentence.",
                definition="attribute value detection",
                paradigm="Condition_Extract",
            )
        ],
    ),
    Case(
        "annotated.original",
        CLS_ZH,
        [
            Golden(
                f"{CLS_ZH.text}\n候选：书籍, 平板, 手机, 水果, 酒店",
                "酒店",
                {"definition": "review product category"},
                definition="review product category",
                paradigm="CLS",
            )
        ],
    ),
    Case(
        "annotated.original",
        GENERATE_ZH,
        [
            Golden(
                GENERATE_ZH.text,
                "高腰显瘦长裤",
                instruction="Generate a product title based on the above attribute information.",
                definition="product title generation",
                paradigm="Generate",
            )
        ],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_golden(case: Case) -> None:
    check_case(case)


def _run(task: str, record: AnnotatedText, seed: int = 0) -> list:
    return list(get_task(task).fn(record, Rng(seed, task)))


ATOMIC_SPAN_TASKS = (
    "annotated.entity_span_detection",
    "annotated.entity_typing",
    "annotated.typed_entity_extraction",
    "annotated.spans_of_type",
    "annotated.mentions_type",
)


@pytest.mark.parametrize("record", [CLS_EN, CLS_ZH, GENERATE_ZH], ids=lambda r: r.record_id)
def test_span_tasks_ignore_records_without_typed_offset_spans(record: AnnotatedText) -> None:
    for task in ATOMIC_SPAN_TASKS:
        assert all(_run(task, record, seed) == [] for seed in range(10)), task


def test_label_verification_needs_gold_and_wrong_labels() -> None:
    assert _run("annotated.label_verification", NER_EN) == []
    all_gold = CLS_EN.model_copy(update={"labels": list(CLS_EN.label_set)})
    assert all(_run("annotated.label_verification", all_gold, seed) == [] for seed in range(10))


def test_a_sentence_without_entities_is_only_an_ner_example() -> None:
    empty = NER_EN.model_copy(update={"spans": []})
    for task in ATOMIC_SPAN_TASKS:
        assert _run(task, empty) == [], task
    (draft,) = _run("annotated.original", empty)
    assert draft.output == "Attribute: None\nBrand: None\nComponent: None\nProduct: None"


def test_entity_typing_needs_two_types_and_an_unambiguous_term() -> None:
    one_type = NER_ZH.model_copy(update={"label_set": [], "spans": [s for s in NER_ZH.spans if s.type == "品牌"]})
    assert _run("annotated.entity_typing", one_type) == []
    text = "Toshiba Toshiba"
    twice = AnnotatedText(
        record_id="t",
        source="test",
        lang="en",
        text=text,
        dataset="d",
        paradigm="NER",
        definition="named entity recognition",
        label_set=["Brand", "Product"],
        spans=[
            Span(start=0, end=7, type="Brand", term="Toshiba"),
            Span(start=8, end=15, type="Product", term="Toshiba"),
        ],
    )
    assert _run("annotated.entity_typing", twice) == []


def test_span_tasks_use_the_types_present_when_the_label_set_is_missing() -> None:
    no_label_set = NER_ZH.model_copy(update={"label_set": []})
    (draft,) = _run("annotated.typed_entity_extraction", no_label_set)
    assert draft.output == "品牌: 艾熙, 百思图\n商品: 亲子鞋"
    # No absent type to ask about, so no yes/no example either way.
    assert all(_run("annotated.mentions_type", no_label_set, seed) == [] for seed in range(10))


def test_original_needs_an_answer() -> None:
    assert _run("annotated.original", CLS_EN.model_copy(update={"labels": []})) == []
    assert _run("annotated.original", ATTR_ZH.model_copy(update={"spans": []})) == []


def test_every_task_handles_every_sample() -> None:
    for spec in tasks_for("annotated"):
        for record in (NER_EN, CLS_EN, NER_ZH, ATTR_ZH, CLS_ZH, GENERATE_ZH):
            for draft in spec.fn(record, Rng(0, spec.name)):
                assert draft.output and draft.input, spec.name


def test_repeated_entities_stay_in_the_original_answer_and_once_in_the_atomic_one() -> None:
    text = "高腰阔腿裤，高腰显瘦"
    spans = [
        Span(start=0, end=2, type="腰型", term="高腰"),
        Span(start=2, end=4, type="裤型", term="阔腿"),
        Span(start=6, end=8, type="腰型", term="高腰"),
    ]
    twice = NER_ZH.model_copy(update={"text": text, "label_set": ["腰型", "裤型"], "spans": spans})
    # The held-out references keep every span (EcomGPT's own answers), so the dataset's task does too.
    (original,) = _run("annotated.original", twice)
    assert original.output == "腰型: 高腰, 高腰\n裤型: 阔腿"
    (atomic,) = _run("annotated.typed_entity_extraction", twice)
    assert atomic.output == "腰型: 高腰\n裤型: 阔腿"
