"""The one prompt format shared by training, evaluation and serving (the EcomGPT evaluation format)."""

from __future__ import annotations

HEADER = (
    "Below is an instruction that describes the {definition} task. "
    "Write a response that appropriately completes the request.\n"
)
RESPONSE_MARKER = "### Response:"
LIST_SEP = ", "


def render_prompt(definition: str, instruction: str, input_text: str, *, header: bool = True) -> str:
    """Render one prompt; the model's answer follows the final `### Response:`."""
    head = HEADER.format(definition=definition) if header else ""
    return f"{head}### Instruction:\n{input_text}\n{instruction}\n{RESPONSE_MARKER}"


def join_items(items: list[str] | tuple[str, ...]) -> str:
    """Labels or spans as one answer, joined like the held-out sets (`a, b`)."""
    return LIST_SEP.join(items)


def ner_answer(types: list[str] | tuple[str, ...], pairs: list[tuple[str, str]]) -> str:
    """NER answer: one line per type, `Type: a, b` or `Type: None`, types in the given order."""
    by_type: dict[str, list[str]] = {t: [] for t in types}
    for etype, term in pairs:
        terms = by_type.setdefault(etype, [])
        if term not in terms:
            terms.append(term)
    return "\n".join(f"{t}: {join_items(terms) if terms else 'None'}" for t, terms in by_type.items())
