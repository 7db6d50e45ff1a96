"""Golden examples and edge cases of the product tasks."""

from __future__ import annotations

import pytest

from ecomgpt.records.schema import Attribute, Product
from ecomgpt.tasks.registry import get_task, tasks_for
from ecomgpt.tasks.rng import Rng
from tests.tasks.golden import Case, Golden, check_case
from tests.tasks.samples import PRODUCT_EN, PRODUCT_ZH

TITLE_EN = PRODUCT_EN.title
TITLE_ZH = PRODUCT_ZH.title
TEXT_EN = f"{TITLE_EN}\tcolor: Red; ideal for: Men; model: Pegasus 39; size: UK 9"
TEXT_ZH = f"{TITLE_ZH}\t功效#:#保湿#;#净含量#:#50ml#;#产地#:#韩国"
ITEM_1_EN = f"Item 1: {TITLE_EN}, color: Red; ideal for: Men; model: Pegasus 39; size: UK 9; brand: Nike"
ITEM_1_ZH = f"Item 1: {TITLE_ZH}, 功效#:#保湿#;#净含量#:#50ml#;#产地#:#韩国#;#品牌#:#兰芝"

CASES = [
    Case("product.attribute_value_detection", PRODUCT_EN, [Golden(TITLE_EN, "Men", {"attribute": "ideal for"})]),
    Case("product.attribute_value_detection", PRODUCT_ZH, [Golden(TITLE_ZH, "保湿", {"attribute": "功效"})]),
    Case(
        "product.attribute_name_classification",
        PRODUCT_EN,
        [Golden(TITLE_EN, "model", {"value": "Pegasus 39", "label_set": "ideal for, model, color, size"})],
    ),
    Case(
        "product.attribute_name_classification",
        PRODUCT_ZH,
        [Golden(TITLE_ZH, "净含量", {"value": "50ml", "label_set": "净含量, 功效, 产地, 颜色"})],
    ),
    Case(
        "product.title_generation",
        PRODUCT_EN,
        [Golden("color: Red; ideal for: Men; model: Pegasus 39; size: UK 9; brand: Nike", TITLE_EN)],
    ),
    Case(
        "product.title_generation",
        PRODUCT_ZH,
        [Golden("功效#:#保湿#;#净含量#:#50ml#;#产地#:#韩国#;#品牌#:#兰芝", TITLE_ZH)],
    ),
    Case(
        "product.coarse_category_classification",
        PRODUCT_EN,
        [
            Golden(
                TEXT_EN, "Footwear", {"label_set": "Beauty and Personal Care, Computers, Cameras, Appliances, Footwear"}
            )
        ],
    ),
    Case(
        "product.coarse_category_classification",
        PRODUCT_ZH,
        [Golden(TEXT_ZH, "美妆洗护", {"label_set": "美妆洗护, 家居家装, 箱包, 玩具乐器, 鞋靴"})],
    ),
    Case(
        "product.fine_category_classification",
        PRODUCT_EN,
        [Golden(TEXT_EN, "Sports Shoes", {"label_set": "Sports Shoes, Water Bottles, Handbags, Sofas, Sandals"})],
    ),
    Case(
        "product.fine_category_classification",
        PRODUCT_ZH,
        [Golden(TEXT_ZH, "隔离/妆前", {"label_set": "运动鞋, 隔离/妆前, 帽子, 咖啡机, 电热水壶"})],
    ),
    Case("product.brand_extraction", PRODUCT_EN, [Golden(TITLE_EN, "Nike")]),
    Case("product.brand_extraction", PRODUCT_ZH, [Golden(TITLE_ZH, "兰芝")]),
    Case(
        "product.item_alignment",
        PRODUCT_EN,
        [
            Golden(
                f"{ITEM_1_EN}\nItem 2: Men Nike Red Pegasus 39 Sports Shoes, "
                "ideal for: Men; brand: Nike; color: Red; model: Pegasus 39; size: UK 9",
                "same",
                {"label_set": "same, not same"},
            )
        ],
    ),
    Case(
        "product.item_alignment",
        PRODUCT_EN,
        [
            Golden(
                f"{ITEM_1_EN}\nItem 2: UK 9 Pegasus 40 Nike Men Sports Shoes, "
                "size: UK 9; model: Pegasus 40; brand: Nike; ideal for: Men; color: Red",
                "not same",
                {"label_set": "same, not same"},
            )
        ],
        seed=1,
    ),
    Case(
        "product.item_alignment",
        PRODUCT_ZH,
        [
            Golden(
                f"{ITEM_1_ZH}\nItem 2: 50ml保湿韩国兰芝隔离/妆前, "
                "净含量#:#50ml#;#功效#:#保湿#;#产地#:#韩国#;#品牌#:#兰芝",
                "相同",
                {"label_set": "相同, 不相同"},
            )
        ],
    ),
    Case(
        "product.item_alignment",
        PRODUCT_ZH,
        [
            Golden(
                f"{ITEM_1_ZH}\nItem 2: 保湿韩国50ml波司登隔离/妆前, "
                "功效#:#保湿#;#产地#:#韩国#;#净含量#:#50ml#;#品牌#:#波司登",
                "不相同",
                {"label_set": "相同, 不相同"},
            )
        ],
        seed=1,
    ),
    Case(
        "product.title_attribute_matching",
        PRODUCT_EN,
        [Golden(TITLE_EN, "yes", {"attribute": "model", "value": "Pegasus 39", "label_set": "yes, no"})],
    ),
    Case(
        "product.title_attribute_matching",
        PRODUCT_EN,
        [Golden(TITLE_EN, "no", {"attribute": "ideal for", "value": "Red", "label_set": "yes, no"})],
        seed=2,
    ),
    Case(
        "product.title_attribute_matching",
        PRODUCT_ZH,
        [Golden(TITLE_ZH, "是", {"attribute": "净含量", "value": "50ml", "label_set": "是, 否"})],
    ),
    Case(
        "product.title_attribute_matching",
        PRODUCT_ZH,
        [Golden(TITLE_ZH, "否", {"attribute": "功效", "value": "50ml", "label_set": "是, 否"})],
        seed=1,
    ),
    Case(
        "product.attribute_extraction",
        PRODUCT_EN,
        [Golden(TITLE_EN, "model: Pegasus 39\ncolor: Red\nideal for: Men", {"label_set": "model, color, ideal for"})],
    ),
    Case(
        "product.attribute_extraction",
        PRODUCT_ZH,
        [Golden(TITLE_ZH, "功效: 保湿\n净含量: 50ml", {"label_set": "功效, 净含量"})],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_golden(case: Case) -> None:
    check_case(case)


def _run(task: str, product: Product, seed: int = 0) -> list:
    return list(get_task(task).fn(product, Rng(seed, task)))


def _product(**changes) -> Product:
    return PRODUCT_EN.model_copy(update=changes)


def test_a_bare_title_gives_nothing() -> None:
    bare = Product(record_id="bare", source="test", lang="en", title="Running Shoes")
    for spec in tasks_for("product"):
        assert spec.fn(bare, Rng(0, spec.name)) == [], spec.name


def test_values_missing_from_the_title_are_never_answers() -> None:
    off_title = _product(attributes=[Attribute(name="color", value="Blue"), Attribute(name="size", value="UK 10")])
    for task in (
        "product.attribute_value_detection",
        "product.attribute_name_classification",
        "product.title_attribute_matching",
        "product.attribute_extraction",
    ):
        assert all(_run(task, off_title, seed) == [] for seed in range(20)), task


def test_attribute_value_detection_lists_values_in_title_order() -> None:
    seen = {draft.output for seed in range(40) for draft in _run("product.attribute_value_detection", PRODUCT_EN, seed)}
    two = {output for output in seen if ", " in output}
    assert two and all(
        PRODUCT_EN.title.index(first) < PRODUCT_EN.title.index(second)
        for first, second in (output.split(", ") for output in two)
    )


def test_a_value_with_two_attribute_names_is_not_asked() -> None:
    shared = _product(attributes=[Attribute(name="color", value="Red"), Attribute(name="main color", value="Red")])
    assert all(_run("product.attribute_name_classification", shared, seed) == [] for seed in range(10))


def test_attribute_name_distractors_never_contain_the_answer() -> None:
    product = _product(attributes=[Attribute(name="color family", value="Red")])
    for seed in range(30):
        (draft,) = _run("product.attribute_name_classification", product, seed)
        labels = draft.fields["label_set"].split(", ")
        assert labels.count("color family") == 1 and "color" not in labels


def test_brand_must_occur_in_the_title_and_is_spelled_as_there() -> None:
    assert _run("product.brand_extraction", _product(brand="Adidas")) == []
    assert _run("product.brand_extraction", _product(brand="NIKE"))[0].output == "Nike"


def test_fine_category_needs_a_second_level_that_is_not_the_title() -> None:
    assert _run("product.fine_category_classification", _product(category=["Footwear"])) == []
    leaf_is_title = _product(category=["Footwear", PRODUCT_EN.title])
    assert _run("product.fine_category_classification", leaf_is_title) == []


def test_title_generation_needs_two_facts() -> None:
    one = _product(attributes=[Attribute(name="color", value="Red")], brand=None)
    assert _run("product.title_generation", one) == []


def test_alignment_and_matching_answers_are_balanced() -> None:
    for task, labels in (
        ("product.item_alignment", ("same", "not same")),
        ("product.title_attribute_matching", ("yes", "no")),
    ):
        outputs = [draft.output for seed in range(400) for draft in _run(task, PRODUCT_EN, seed)]
        assert len(outputs) == 400
        assert 150 < outputs.count(labels[0]) < 250, task


def test_alignment_needs_a_value_that_can_be_changed() -> None:
    plain = _product(
        attributes=[Attribute(name="type", value="Shoes"), Attribute(name="fit", value="Slim")], brand=None
    )
    assert all(_run("product.item_alignment", plain, seed) == [] for seed in range(10))


def test_negative_alignment_changes_exactly_one_fact() -> None:
    for seed in range(60):
        (draft,) = _run("product.item_alignment", PRODUCT_EN, seed)
        first, second = (line.split(", ", 1)[1] for line in draft.input.split("\n"))
        changed = set(first.split("; ")) ^ set(second.split("; "))
        assert len(changed) == (0 if draft.output == "same" else 2)
