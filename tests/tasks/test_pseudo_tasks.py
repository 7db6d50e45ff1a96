"""Pseudo-label tasks: the registry, the questions asked, the labelling prompts and the grounding parser."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ecomgpt.answers import ITEMS, NER
from ecomgpt.records.schema import Dialogue, Product, Query, Review
from ecomgpt.tasks.labelling import Ask, Rejected, Shot
from ecomgpt.tasks.pseudo.grounding import ground_label, ground_labels, ground_pairs, ground_typed_spans
from ecomgpt.tasks.pseudo.registry import (
    labelling_messages,
    labelling_of,
    labelling_prompt,
    prompt_messages,
    prompts_hash,
    register_pseudo_task,
    teacher_prompt,
)
from ecomgpt.tasks.registry import LANGS, MIN_TEMPLATES, UnknownTaskError, all_tasks, get_task
from tests.tasks.golden import placeholders

TASKS = all_tasks(label_kind="pseudo")

PRODUCT = Product(
    record_id="p1",
    source="raw",
    lang="en",
    title="Acme red cotton hoodie size L",
    description="Warm and soft. Made of brushed cotton, dark grey, for winter.",
)
PRODUCT_ZH = Product(
    record_id="p2", source="raw", lang="zh", title="优衣库 红色 纯棉 卫衣", description="柔软保暖，纯棉面料，适合冬季。"
)
REVIEW = Review(record_id="r1", source="raw", lang="en", text="The battery lasts long but the strap feels cheap.")
QUERY = Query(
    record_id="q1",
    source="raw",
    lang="en",
    query="cheap usb c charger",
    items=[{"title": "65W USB C charger", "relevance": "exact"}],
)
DIALOGUE = Dialogue(
    record_id="d1",
    source="raw",
    lang="zh",
    turns=[{"role": "agent", "text": "您好"}, {"role": "user", "text": "这个多少钱？"}],
)
RECORDS = [PRODUCT, PRODUCT_ZH, REVIEW, QUERY, DIALOGUE]


def test_five_pseudo_tasks_over_four_data_types() -> None:
    assert len(TASKS) >= 5
    assert {task.data_type for task in TASKS} == {"product", "review", "query", "dialogue"}
    golden = {spec.name for spec in all_tasks()}
    assert not golden & {task.name for task in TASKS}


@pytest.mark.parametrize("task", TASKS, ids=lambda task: task.name)
def test_templates_guides_and_shots(task) -> None:
    spec = task
    assert spec.label_kind == "pseudo" and spec.atomic and spec.langs == LANGS
    for lang in LANGS:
        assert len(set(spec.templates[lang])) >= MIN_TEMPLATES
        assert labelling_of(task).guide[lang] and labelling_of(task).shots[lang]
    # Every shot's answer passes the task's own grounding (a shot that the parser rejects teaches rejects).
    for lang in LANGS:
        labels = _labels_of(task, lang)
        for shot in labelling_of(task).shots[lang]:
            ask = Ask(shot.input, {"label_set": ITEMS.render(labels)} if labels else {}, labels)
            assert labelling_of(task).ground(shot.answer, ask)


def _labels_of(task, lang: str) -> tuple[str, ...]:
    record = next((r for r in RECORDS if r.data_type == task.data_type and r.lang == lang), None)
    if record is None:
        record = next(r for r in RECORDS if r.data_type == task.data_type).model_copy(update={"lang": lang})
    ask = labelling_of(task).ask(record)
    return ask.labels if ask else ()


@pytest.mark.parametrize("task", TASKS, ids=lambda task: task.name)
def test_asks_fill_the_templates_and_the_prompt_holds_the_record(task) -> None:
    asked = [(r, labelling_of(task).ask(r)) for r in RECORDS if r.data_type == task.data_type]
    asked = [(r, a) for r, a in asked if a is not None]
    assert asked
    for record, ask in asked:
        for lang in LANGS:
            for template in task.templates[lang]:
                assert placeholders(template) <= set(ask.fields)
        prompt = labelling_prompt(task, ask, record.lang)
        assert prompt.endswith(
            ask.input + "\n" + labelling_of(task).guide[record.lang].format(**ask.fields) + "\n### Response:"
        )
        assert labelling_of(task).shots[record.lang][0].answer in prompt
        assert teacher_prompt(task, ask, record.lang, "ecomgpt") == prompt


@pytest.mark.parametrize("task", TASKS, ids=lambda task: task.name)
def test_chat_messages_hold_the_guide_the_shots_as_turns_and_the_record_last(task) -> None:
    record = next(r for r in RECORDS if r.data_type == task.data_type and labelling_of(task).ask(r) is not None)
    ask, lang = labelling_of(task).ask(record), record.lang
    messages = labelling_messages(task, ask, lang)
    word = "Input" if lang == "en" else "输入"
    shots, guide = labelling_of(task).shots[lang], labelling_of(task).guide[lang].format(**ask.fields)
    assert [m["role"] for m in messages] == [*["user", "assistant"] * len(shots), "user"]
    assert [m["content"] for m in messages[1::2]] == [s.answer for s in shots]
    assert [m["content"] for m in messages[0::2]] == [
        f"{guide}\n\n{word}: {text}" for text in [*(s.input for s in shots), ask.input]
    ]
    for label in ask.labels:  # the label set is in the guide
        assert label in messages[-1]["content"]
    prompt = teacher_prompt(task, ask, lang, "chat")
    assert prompt_messages(prompt) == messages and prompt != teacher_prompt(task, ask, lang, "ecomgpt")
    with pytest.raises(ValueError, match="unknown prompt format 'xml'"):
        teacher_prompt(task, ask, lang, "xml")


@pytest.mark.parametrize("prompt", ["Below is an instruction", '{"role": "user"}', '[{"role": "user"}]'])
def test_prompt_messages_refuses_what_is_not_a_chat(prompt: str) -> None:
    with pytest.raises(ValueError):
        prompt_messages(prompt)


def test_dialogue_task_asks_only_about_unlabelled_turns() -> None:
    task = get_task("dialogue.turn_intent_labelling", label_kind="pseudo")
    assert labelling_of(task).ask(DIALOGUE).input == "客服: 您好\n用户: 这个多少钱？"
    labelled = Dialogue(
        record_id="d2",
        source="raw",
        lang="zh",
        turns=[{"role": "agent", "text": "您好"}, {"role": "user", "text": "这个多少钱？", "intents": ["询问价格"]}],
    )
    assert labelling_of(task).ask(labelled) is None


def test_prompts_hash_changes_with_a_guide_and_the_prompt_format() -> None:
    task = TASKS[0]
    labelling = labelling_of(task)
    changed = replace(
        task, labelling=replace(labelling, guide={**labelling.guide, "en": labelling.guide["en"] + " Be brief."})
    )
    for fmt in ("chat", "ecomgpt"):
        assert prompts_hash(TASKS, fmt) == prompts_hash(list(reversed(TASKS)), fmt)
        assert prompts_hash([changed, *TASKS[1:]], fmt) != prompts_hash(TASKS, fmt)
    assert prompts_hash(TASKS, "chat") != prompts_hash(TASKS, "ecomgpt")


# ---- grounding ---------------------------------------------------------------------------------------

LABELS = Ask(
    "Query: cheap usb c charger", {"label_set": "compare prices, find a gift"}, ("compare prices", "find a gift")
)


@pytest.mark.parametrize(
    "answer, output",
    [
        ("compare prices", "compare prices"),
        ("  Compare Prices.\n", "compare prices"),
        ("find a gift", "find a gift"),
    ],
)
def test_one_label_accepted_and_made_canonical(answer: str, output: str) -> None:
    assert ground_label(answer, LABELS) == output


@pytest.mark.parametrize(
    "answer, reason",
    [
        ("", "empty"),
        ("buy now", "label_not_in_set"),
        ("compare prices, find a gift", "unparsable"),
    ],
)
def test_one_label_rejected(answer: str, reason: str) -> None:
    with pytest.raises(Rejected) as err:
        ground_label(answer, LABELS)
    assert err.value.reason == reason


def test_label_lists_keep_the_set_order_and_reject_repeats() -> None:
    assert ground_labels("find a gift, compare prices", LABELS) == "compare prices, find a gift"
    for answer, reason in [
        ("find a gift, find a gift", "repeated_label"),
        ("gift", "label_not_in_set"),
        (" ", "empty"),
    ]:
        with pytest.raises(Rejected) as err:
            ground_labels(answer, LABELS)
        assert err.value.reason == reason


TYPES = Ask("Acme red cotton hoodie size L", {}, ("brand", "color", "material"))


def test_typed_spans_are_grounded_and_rendered_in_type_and_text_order() -> None:
    answer = "material: cotton\nBrand: Acme\ncolor: None\nsomething without a colon"
    output = ground_typed_spans(answer, TYPES)
    assert output == "brand: Acme\ncolor: None\nmaterial: cotton"
    assert NER.parse(output) == {"brand": ["Acme"], "color": [], "material": ["cotton"]}


@pytest.mark.parametrize(
    "answer, reason",
    [
        ("brand: Nike", "span_not_in_input"),
        ("maker: Acme", "type_not_in_set"),
        ("Acme, red", "unparsable"),
        ("brand: None\ncolor: None", "empty"),
        ("", "empty"),
    ],
)
def test_typed_spans_rejected(answer: str, reason: str) -> None:
    with pytest.raises(Rejected) as err:
        ground_typed_spans(answer, TYPES)
    assert err.value.reason == reason


PAIRS = Ask("The strap feels cheap but the battery lasts long.", {})


def test_aspect_opinion_pairs_in_text_order() -> None:
    assert ground_pairs("battery: lasts long\nstrap: feels cheap", PAIRS) == "strap: feels cheap\nbattery: lasts long"


@pytest.mark.parametrize(
    "answer, reason",
    [
        ("screen: too dim", "span_not_in_input"),
        ("battery: lasts forever", "span_not_in_input"),
        ("great product", "unparsable"),
        ("battery: None", "empty"),
    ],
)
def test_aspect_opinion_pairs_rejected(answer: str, reason: str) -> None:
    with pytest.raises(Rejected) as err:
        ground_pairs(answer, PAIRS)
    assert err.value.reason == reason


def test_unknown_and_duplicate_names() -> None:
    with pytest.raises(UnknownTaskError, match="unknown pseudo-label task 'product.nope'"):
        get_task("product.nope", label_kind="pseudo")
    for name in (TASKS[0].name, all_tasks()[0].name):
        with pytest.raises(ValueError, match="already registered"):
            register_pseudo_task(
                name,
                data_type="product",
                paradigm="CLS",
                definition="d",
                templates={"en": ["a", "b", "c"], "zh": ["甲", "乙", "丙"]},
                guide={"en": "g", "zh": "g"},
                shots={"en": [Shot("x", "y")], "zh": [Shot("x", "y")]},
                ground=ground_label,
            )(lambda record: None)


# ---- near-misses read as meant, and what still rejects --------------------------------------------------

LABELS_ZH = Ask("Query: 最便宜的充电器", {"label_set": "比价, 挑选礼物"}, ("比价", "挑选礼物"))


@pytest.mark.parametrize(
    "answer, ask, output",
    [
        ("Answer: compare prices", LABELS, "compare prices"),
        ("answer：Compare prices.", LABELS, "compare prices"),
        ("答案：比价", LABELS_ZH, "比价"),
        ('"Compare prices."', LABELS, "compare prices"),
        ("**find a gift**", LABELS, "find a gift"),
        ("compare prices\nThe shopper wants the lowest price for a charger.", LABELS, "compare prices"),
        ("Answer: compare prices\n\nBecause of the word cheapest.", LABELS, "compare prices"),
        ("compare prices\nAnswer: compare prices", LABELS, "compare prices"),  # the same answer twice
    ],
)
def test_one_label_near_misses_accepted(answer: str, ask: Ask, output: str) -> None:
    assert ground_label(answer, ask) == output


@pytest.mark.parametrize(
    "answer, reason",
    [
        ("compare prices\nfind a gift", "unparsable"),  # two answers: which one?
        ("compare prices\nAnswer: find a gift", "unparsable"),
        ("The shopper wants to compare prices.\ncompare prices", "label_not_in_set"),  # the first line answers
        ("buy now\ncompare prices", "label_not_in_set"),
        ("Answer: buy now", "label_not_in_set"),
        ("Answer: prices", "label_not_in_set"),
        ("Answer:", "empty"),
        ("Answer: compare prices, find a gift", "unparsable"),
    ],
)
def test_one_label_strict_cases_still_rejected(answer: str, reason: str) -> None:
    with pytest.raises(Rejected) as err:
        ground_label(answer, LABELS)
    assert err.value.reason == reason


def test_label_lists_near_misses_and_strict_cases() -> None:
    assert ground_labels("Answer: Find a gift, compare prices.\nBoth fit.", LABELS) == "compare prices, find a gift"
    for answer, reason in [
        ("find a gift\ncompare prices", "unparsable"),
        ("Answer: gift, compare prices", "label_not_in_set"),
        ("compare prices, compare prices\nno", "repeated_label"),
        ("compare prices, find a gift,", "unparsable"),  # cut off: more labels were coming
        ("compare prices,\nbecause", "unparsable"),
    ]:
        with pytest.raises(Rejected) as err:
            ground_labels(answer, LABELS)
        assert err.value.reason == reason


def test_spans_differing_in_case_or_quoted_are_written_as_the_input_spells_them() -> None:
    answer = 'Answer: brand: acme\ncolor: "red"\nmaterial: COTTON.'
    assert ground_typed_spans(answer, TYPES) == "brand: Acme\ncolor: red\nmaterial: cotton"
    assert ground_pairs("Battery: Lasts Long\nSTRAP: “feels cheap”", PAIRS) == "strap: feels cheap\nbattery: lasts long"


@pytest.mark.parametrize(
    "answer, reason",
    [
        ("brand: 'Nike'", "span_not_in_input"),
        ("brand: Acmee", "span_not_in_input"),
        ("color: re d", "span_not_in_input"),
        ("Answer: maker: Acme", "type_not_in_set"),
        ("brand: Acme red hoodie", "span_not_in_input"),
    ],
)
def test_spans_strict_cases_still_rejected(answer: str, reason: str) -> None:
    with pytest.raises(Rejected) as err:
        ground_typed_spans(answer, TYPES)
    assert err.value.reason == reason
