"""Answer formats: what generation renders is what scoring and the task routes parse back."""

from __future__ import annotations

from ecomgpt.answers import ITEMS, LABEL, NER, TEXT, ItemsFormat, NerFormat


def test_items_render_in_order_with_repeats_and_parse_back():
    assert ITEMS.render(["高腰", "阔腿", "高腰"]) == "高腰, 阔腿, 高腰"
    assert ITEMS.parse("高腰, 阔腿, 高腰") == ["高腰", "阔腿", "高腰"]
    assert ITEMS.parse(" Food ,  Service. , 圆领。, , ") == ["Food", "Service", "圆领"]
    assert ITEMS.parse("") == [] and ItemsFormat("|").parse("a|b") == ["a", "b"]


def test_ner_lines_follow_the_type_order_and_keep_repeated_terms():
    pairs = [("腰型", "高腰"), ("裤型", "阔腿"), ("腰型", "高腰"), ("品牌", "not asked")]
    answer = NER.render(["腰型", "颜色", "裤型"], pairs)
    assert answer == "腰型: 高腰, 高腰\n颜色: None\n裤型: 阔腿"
    assert NER.parse(answer) == {"腰型": ["高腰", "高腰"], "颜色": [], "裤型": ["阔腿"]}


def test_ner_parsing_reads_what_models_write():
    text = "Brand: Toshiba, Dell.\n品牌：华为\nno colon here\n: orphan\nProduct: None, laptop\nBrand: HP"
    assert NER.parse(text) == {"Brand": ["Toshiba", "Dell", "HP"], "品牌": ["华为"], "Product": ["laptop"]}
    assert NerFormat("|").parse("a: x|y") == {"a": ["x", "y"]}


def test_labels_and_text_are_read_without_surrounding_whitespace():
    assert LABEL.parse(" 匹配 \n") == LABEL.render("匹配") == "匹配"
    assert TEXT.parse("\n Nike red T-Shirt ") == TEXT.render("Nike red T-Shirt")
