"""Held-out metrics: Rouge-L F1 for every task, set F1 (micro and macro) where answers are discrete items.

Rouge-L is rouge-score's `rougeL` F-measure with the project's tokens: the text lowercased; each CJK
character is one token; each maximal run of ASCII letters and digits is one token; everything else
separates. (rouge-score's default tokenizer keeps only ASCII words and would give every Chinese answer
a score of 0.)

Items for set F1: the answer read with its answer format (`ecomgpt.answers`): split on the task's
separator, each item stripped of whitespace and of one trailing `.` or `。`, empties dropped; for NER,
(type, term) pairs from `Type: a, b` lines, `None` terms dropped.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Iterable

from ecomgpt.answers import ItemsFormat, NerFormat
from ecomgpt.prompts import RESPONSE_STOP

F1_TYPES = ("CLS", "NER", "Condition_Extract", "Extract")
METRICS = ("rouge_l", "micro_f1", "macro_f1")

_CJK = (
    "\u3040-\u30ff"  # hiragana, katakana
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uac00-\ud7af"  # hangul syllables
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\U00020000-\U0003134f"  # CJK extensions B-G
)
_TOKEN = re.compile(f"[0-9a-z]+|[{_CJK}]")


def rouge_tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


class RougeTokenizer:
    """The tokenizer interface rouge-score takes (`tokenize(text) -> tokens`), over `rouge_tokens`."""

    def tokenize(self, text: str) -> list[str]:
        return rouge_tokens(text)


@functools.cache
def _rouge_scorer():
    # Imported on first use: rouge-score imports nltk (about 2 s), which only scoring needs.
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(["rougeL"], tokenizer=RougeTokenizer())


def rouge_l(prediction: str, reference: str) -> float:
    """Rouge-L F1 of the prediction against the reference; 0 when either side has no token."""
    return float(_rouge_scorer().score(reference, prediction)["rougeL"].fmeasure)


def split_items(answer: str, sep: str = ", ") -> set[str]:
    return set(ItemsFormat(sep).parse(answer))


def ner_pairs(answer: str, sep: str = ", ") -> set[tuple[str, str]]:
    """(type, term) pairs of `Type: a, b` lines; lines without a colon and `None` terms are ignored."""
    return {(etype, term) for etype, terms in NerFormat(sep).parse(answer).items() for term in terms}


def answer_items(answer: str, task_type: str, sep: str = ", ") -> set:
    return ner_pairs(answer, sep) if task_type == "NER" else split_items(answer, sep)


@dataclasses.dataclass(frozen=True)
class SetCounts:
    tp: int
    fp: int
    fn: int

    @property
    def f1(self) -> float:
        """Per-instance F1: both sets empty -> 1, one empty -> 0."""
        if self.tp + self.fp + self.fn == 0:
            return 1.0
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn)


def set_counts(predicted: set, gold: set) -> SetCounts:
    common = len(predicted & gold)
    return SetCounts(common, len(predicted) - common, len(gold) - common)


def micro_f1(counts: Iterable[SetCounts]) -> float:
    tp = fp = fn = 0
    for c in counts:
        tp, fp, fn = tp + c.tp, fp + c.fp, fn + c.fn
    return SetCounts(tp, fp, fn).f1


def normalize_prediction(text: str, eos_tokens: Iterable[str] = ("</s>",)) -> str:
    """Cut a generated answer at the EOS token or at a following `### ` marker, then strip it."""
    for eos in eos_tokens:
        if eos:
            text = text.split(eos, 1)[0]
    return text.split(RESPONSE_STOP, 1)[0].strip()


@dataclasses.dataclass(frozen=True)
class InstanceScore:
    rouge_l: float
    f1: float | None
    counts: SetCounts | None


def score_instance(prediction: str, reference: str, task_type: str, sep: str = ", ") -> InstanceScore:
    rouge = rouge_l(prediction, reference)
    if task_type not in F1_TYPES:
        return InstanceScore(rouge, None, None)
    counts = set_counts(answer_items(prediction, task_type, sep), answer_items(reference, task_type, sep))
    return InstanceScore(rouge, counts.f1, counts)


def task_metrics(scores: list[InstanceScore]) -> dict[str, float | int]:
    """{"n", "rouge_l", and for F1 tasks "micro_f1", "macro_f1"}, averaged over the task's instances."""
    if not scores:
        raise ValueError("a task with no scored instance has no metrics")
    out: dict[str, float | int] = {"n": len(scores), "rouge_l": sum(s.rouge_l for s in scores) / len(scores)}
    if scores[0].counts is not None:
        out["micro_f1"] = micro_f1(s.counts for s in scores if s.counts is not None)
        out["macro_f1"] = sum(s.f1 or 0.0 for s in scores) / len(scores)
    return out


def average_metrics(per_task: dict[str, dict]) -> dict[str, float | int]:
    """Mean over tasks of each metric (over the tasks that have it), plus the task count."""
    out: dict[str, float | int] = {"tasks": len(per_task)}
    for metric in METRICS:
        values = [m[metric] for m in per_task.values() if metric in m]
        if values:
            out[metric] = sum(values) / len(values)
    return out
