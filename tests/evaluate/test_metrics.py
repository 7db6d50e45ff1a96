"""Metric definitions, checked against hand-computed cases in English and Chinese."""

from __future__ import annotations

import random

import pytest

from ecomgpt.evaluate.metrics import (
    SetCounts,
    average_metrics,
    ner_pairs,
    normalize_prediction,
    rouge_l,
    rouge_tokens,
    score_instance,
    split_items,
    task_metrics,
)


def _dp_lcs(a: list[str], b: list[str]) -> int:
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            table[i + 1][j + 1] = table[i][j] + 1 if x == y else max(table[i][j + 1], table[i + 1][j])
    return table[-1][-1]


def test_tokens_lowercase_ascii_runs_and_one_token_per_cjk_character():
    assert rouge_tokens("iPhone 14-Pro 手机壳, BLUE!") == ["iphone", "14", "pro", "手", "机", "壳", "blue"]
    assert rouge_tokens("Type: None\n品牌：华为") == ["type", "none", "品", "牌", "华", "为"]
    assert rouge_tokens("。，!? ...") == []
    assert rouge_tokens("café") == ["caf"]  # non-ASCII letters separate, like punctuation


def test_rouge_l_is_the_f1_of_the_token_lcs():
    rng = random.Random(0)
    words = ["a", "b", "c", "d", "圆", "领"]
    for _ in range(300):
        pred = " ".join(rng.choice(words) for _ in range(rng.randint(0, 40)))
        ref = " ".join(rng.choice(words) for _ in range(rng.randint(0, 70)))
        p, r = rouge_tokens(pred), rouge_tokens(ref)
        common = _dp_lcs(p, r)
        expected = (
            0.0 if common == 0 else 2 * (common / len(p)) * (common / len(r)) / (common / len(p) + common / len(r))
        )
        assert rouge_l(pred, ref) == expected, (pred, ref)


def test_rouge_l_hand_computed_english():
    # LCS food-was-great = 3 of 4 and 4 tokens: P = R = 3/4.
    assert rouge_l("The food was great", "food was not great!") == pytest.approx(0.75, abs=1e-9)
    # LCS 1 of 1 and 3: P = 1, R = 1/3 -> F = 0.5.
    assert rouge_l("Food", "Food, Ambience, Price") == pytest.approx(0.5, abs=1e-9)


def test_rouge_l_hand_computed_chinese():
    # pred 圆领拼接 (4 tokens), ref 圆领纯色拼接 (6): LCS 4 -> P = 1, R = 2/3, F = 0.8.
    assert rouge_l("圆领拼接", "圆领, 纯色拼接") == pytest.approx(0.8, abs=1e-9)
    # mixed script: [韩, 国, 2021, 秋, 季] vs [2021, 秋, 季, 新, 款]: LCS 3 -> P = R = 3/5.
    assert rouge_l("韩国2021秋季", "2021秋季新款") == pytest.approx(0.6, abs=1e-9)


def test_rouge_l_is_zero_without_tokens_on_either_side():
    assert rouge_l("", "Food") == 0.0
    assert rouge_l("Food", "...") == 0.0
    assert rouge_l("Service", "Food") == 0.0


def test_items_are_stripped_of_whitespace_and_one_trailing_full_stop():
    assert split_items(" Food ,  Service. , 圆领。, , ") == {"Food", "Service", "圆领"}
    assert split_items("a|b", sep="|") == {"a", "b"}
    assert split_items("") == set()


def test_ner_pairs_from_type_lines_dropping_none():
    answer = "Attribute: None\nBrand: Toshiba, Dell.\n品牌：华为\nno colon here\nProduct: None, laptop"
    assert ner_pairs(answer) == {("Brand", "Toshiba"), ("Brand", "Dell"), ("品牌", "华为"), ("Product", "laptop")}


def test_set_f1_micro_and_macro_hand_computed():
    cases = [("Food, Service.", "Food, Ambience"), ("Price", "Price"), ("", "Food")]
    scores = [score_instance(p, r, "CLS") for p, r in cases]
    assert [s.f1 for s in scores] == [pytest.approx(0.5), 1.0, 0.0]
    metrics = task_metrics(scores)
    # micro: tp 2, fp 1, fn 2 -> 4 / 7; macro: (0.5 + 1 + 0) / 3.
    assert metrics["micro_f1"] == pytest.approx(4 / 7, abs=1e-9)
    assert metrics["macro_f1"] == pytest.approx(0.5, abs=1e-9)
    assert metrics["n"] == 3


def test_ner_and_chinese_extraction_partial_cases():
    ner = score_instance(
        "Brand: Toshiba\nProduct: None\nAttribute: fast",
        "Attribute: None\nBrand: Toshiba\nComponent: None\nProduct: laptop",
        "NER",
    )
    assert ner.counts == SetCounts(tp=1, fp=1, fn=1) and ner.f1 == pytest.approx(0.5, abs=1e-9)
    zh = score_instance("圆领。, 长袖", "圆领, 拼接", "Condition_Extract")
    assert zh.counts == SetCounts(1, 1, 1) and zh.f1 == pytest.approx(0.5, abs=1e-9)
    # Rouge-L over [圆, 领, 长, 袖] and [圆, 领, 拼, 接]: LCS 2 -> 0.5.
    assert zh.rouge_l == pytest.approx(0.5, abs=1e-9)


def test_empty_sets_on_both_sides_count_as_agreement():
    assert SetCounts(0, 0, 0).f1 == 1.0
    none_only = score_instance("Brand: None", "Brand: None\nProduct: None", "NER")
    assert none_only.f1 == 1.0


def test_generate_tasks_have_no_f1():
    score = score_instance("新款牛仔裤", "韩国新款牛仔裤", "Generate")
    assert score.f1 is None
    assert set(task_metrics([score])) == {"n", "rouge_l"}


def test_average_is_over_tasks_that_have_the_metric():
    per_task = {
        "a": {"n": 5, "rouge_l": 0.2, "micro_f1": 0.4, "macro_f1": 0.6},
        "b": {"n": 9, "rouge_l": 0.6},
    }
    assert average_metrics(per_task) == {
        "tasks": 2,
        "rouge_l": pytest.approx(0.4),
        "micro_f1": 0.4,
        "macro_f1": 0.6,
    }


def test_predictions_are_cut_at_eos_and_at_a_following_marker():
    assert normalize_prediction("  Food</s>Service") == "Food"
    assert normalize_prediction("Food\n### Instruction:\nmore") == "Food"
    assert normalize_prediction("Food<|endoftext|>x", ("<|endoftext|>",)) == "Food"
    assert normalize_prediction("\n  匹配 \n") == "匹配"
