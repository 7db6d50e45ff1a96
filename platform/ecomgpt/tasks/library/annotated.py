"""Tasks from annotated datasets: atomic span and label tasks, plus each dataset's original task.

Atomic span tasks use typed spans with real offsets only: question-answering spans carry no type
and generation targets carry no offsets, and neither is an entity of the text.
"""

from __future__ import annotations

from operator import attrgetter

from ecomgpt.answers import ITEMS, NER
from ecomgpt.records.schema import AnnotatedText, Span
from ecomgpt.tasks.library._common import LANGS, YES_NO_SET, unique, yes_no
from ecomgpt.tasks.registry import Draft, register_task
from ecomgpt.tasks.rng import Rng

_BY_OFFSET = attrgetter("start", "end")
# Leads the label line that `annotated.original` appends to the input when the dataset brings no
# instruction of its own (the input is in the record's language, the template may not be).
LABEL_LINE = {"en": "Candidates: ", "zh": "候选："}


def _entities(a: AnnotatedText) -> list[Span]:
    """Typed spans with offsets, in text order."""
    return sorted((s for s in a.spans if s.type and s.end > s.start), key=_BY_OFFSET)


def _types(a: AnnotatedText, spans: list[Span]) -> list[str]:
    """The dataset's label set, else the types the record's spans use."""
    return list(a.label_set) if a.label_set else unique(s.type for s in spans)


@register_task(
    "annotated.entity_span_detection",
    data_type="annotated",
    paradigm="Extract",
    langs=LANGS,
    definition="entity span detection",
    templates={
        "en": [
            "Find all spans of the types {label_set} in the text above; list the spans only.",
            "Extract every mention of {label_set} from the sentence above, without giving types.",
            "Which words of the text above are entities of the types {label_set}? List them.",
        ],
        "zh": [
            "找出上述文本中所有属于{label_set}类型的片段，只列出片段。",
            "抽取上面句子中所有{label_set}的提及，无需给出类型。",
            "上述文本中哪些词语是{label_set}类型的实体？请列出。",
        ],
    },
)
def entity_span_detection(a: AnnotatedText, rng: Rng) -> list[Draft]:
    spans = _entities(a)
    if not spans:
        return []
    fields = {"label_set": ITEMS.render(_types(a, spans))}
    return [Draft(a.text, ITEMS.render(unique(s.term for s in spans)), fields)]


@register_task(
    "annotated.entity_typing",
    data_type="annotated",
    paradigm="CLS",
    langs=LANGS,
    definition="entity typing",
    templates={
        "en": [
            'What is the type of "{entity}" in the text above? Candidates: {label_set}.',
            'Classify the entity "{entity}" in the sentence above into one of: {label_set}.',
            'In the text above, "{entity}" belongs to which type? Options: {label_set}.',
        ],
        "zh": [
            "上述文本中“{entity}”的类型是什么？候选：{label_set}。",
            "将上面句子中的实体“{entity}”归入以下类型之一：{label_set}。",
            "在上述文本中，“{entity}”属于哪种类型？选项：{label_set}。",
        ],
    },
)
def entity_typing(a: AnnotatedText, rng: Rng) -> list[Draft]:
    spans = _entities(a)
    types = unique(_types(a, spans) + [s.type for s in spans])
    if len(types) < 2:
        return []
    # A term annotated with two types has no single answer.
    types_of: dict[str, set[str]] = {}
    for span in spans:
        types_of.setdefault(span.term, set()).add(span.type)
    eligible = [term for term, found in types_of.items() if len(found) == 1]
    if not eligible:
        return []
    term = rng.choice(eligible)
    (answer,) = types_of[term]
    return [Draft(a.text, answer, {"entity": term, "label_set": ITEMS.render(types)})]


@register_task(
    "annotated.typed_entity_extraction",
    data_type="annotated",
    paradigm="NER",
    langs=LANGS,
    definition="named entity recognition",
    templates={
        "en": [
            "Extract all named entities with types about {label_set} in the sentence above.",
            "Recognize the entities of the types {label_set} in the text above; answer one line per type.",
            "For each type in {label_set}, list the entities of that type in the text above.",
        ],
        "zh": [
            "抽取上述句子中类型为{label_set}的所有命名实体。",
            "识别上面文本中{label_set}类型的实体，每种类型一行。",
            "针对{label_set}中的每种类型，列出上述文本中该类型的实体。",
        ],
    },
)
def typed_entity_extraction(a: AnnotatedText, rng: Rng) -> list[Draft]:
    spans = _entities(a)
    if not spans:
        return []
    types = _types(a, spans)
    # Each (type, term) once; types the spans carry beyond the label set get lines too.
    answer = NER.render(unique([*types, *(s.type for s in spans)]), unique((s.type, s.term) for s in spans))
    return [Draft(a.text, answer, {"label_set": ITEMS.render(types)})]


@register_task(
    "annotated.spans_of_type",
    data_type="annotated",
    paradigm="Condition_Extract",
    langs=LANGS,
    definition="conditional entity extraction",
    templates={
        "en": [
            "Extract all {type} mentions from the text above.",
            'Which spans of the sentence above are of the type "{type}"? List them.',
            "Find every entity of type {type} in the text above.",
        ],
        "zh": [
            "抽取上述文本中所有的{type}。",
            "上面句子中哪些片段属于“{type}”类型？请列出。",
            "找出上述文本中所有类型为{type}的实体。",
        ],
    },
)
def spans_of_type(a: AnnotatedText, rng: Rng) -> list[Draft]:
    spans = _entities(a)
    if not spans:
        return []
    etype = rng.choice(unique(s.type for s in spans))
    terms = unique(s.term for s in spans if s.type == etype)
    return [Draft(a.text, ITEMS.render(terms), {"type": etype})]


@register_task(
    "annotated.mentions_type",
    data_type="annotated",
    paradigm="CLS",
    langs=LANGS,
    definition="entity type detection",
    templates={
        "en": [
            "Does the text above mention a {type}? Options: {label_set}.",
            'Is there any entity of the type "{type}" in the sentence above? Answer with {label_set}.',
            "Check whether the text above contains a mention of {type}. Candidates: {label_set}.",
        ],
        "zh": [
            "上述文本是否提到了{type}？选项：{label_set}。",
            "上面的句子中是否存在“{type}”类型的实体？请回答{label_set}。",
            "检查上述文本是否包含{type}的提及。候选：{label_set}。",
        ],
    },
)
def mentions_type(a: AnnotatedText, rng: Rng) -> list[Draft]:
    # Only span datasets: a CLS record without spans would make every type look absent.
    if a.paradigm not in ("NER", "Condition_Extract"):
        return []
    spans = _entities(a)
    present = unique(s.type for s in spans)
    absent = [t for t in _types(a, spans) if t not in present]
    # Only records that could give either answer take part, which keeps yes and no balanced.
    if not present or not absent:
        return []
    mentioned = rng.random() < 0.5
    fields = {"type": rng.choice(present if mentioned else absent), "label_set": YES_NO_SET[a.lang]}
    return [Draft(a.text, yes_no(a.lang, mentioned), fields)]


@register_task(
    "annotated.label_verification",
    data_type="annotated",
    paradigm="CLS",
    langs=LANGS,
    definition="label verification",
    templates={
        "en": [
            'Does the label "{label}" apply to the text above? Options: {label_set}.',
            'Is "{label}" a correct label for the sentence above? Answer with {label_set}.',
            'Decide whether the text above belongs to the class "{label}". Candidates: {label_set}.',
        ],
        "zh": [
            "标签“{label}”是否适用于上述文本？选项：{label_set}。",
            "“{label}”是上面句子的正确标签吗？请回答{label_set}。",
            "判断上述文本是否属于“{label}”类别。候选：{label_set}。",
        ],
    },
)
def label_verification(a: AnnotatedText, rng: Rng) -> list[Draft]:
    wrong = [label for label in a.label_set if label not in a.labels]
    # Only records that could give either answer take part, which keeps yes and no balanced.
    if not a.labels or not wrong:
        return []
    applies = rng.random() < 0.5
    fields = {"label": rng.choice(a.labels if applies else wrong), "label_set": YES_NO_SET[a.lang]}
    return [Draft(a.text, yes_no(a.lang, applies), fields)]


def _original_answer(a: AnnotatedText) -> str:
    """The dataset's gold answer in the held-out answer format."""
    if a.paradigm == "NER":
        typed = [s for s in a.spans if s.type]
        types = _types(a, typed)
        if not types:
            return ""
        # As the held-out references: every span in span order, repeats included.
        return NER.render(unique([*types, *(s.type for s in typed)]), [(s.type, s.term) for s in typed])
    if a.paradigm in ("CLS", "Match"):
        return ITEMS.render(unique(a.labels))
    # Extract, Condition_Extract, Generate, QA: the span terms (a Generate target is a span term).
    return ITEMS.render(unique(s.term for s in a.spans)) or ITEMS.render(unique(a.labels))


@register_task(
    "annotated.original",
    data_type="annotated",
    paradigm="CLS",  # each draft carries its dataset's own paradigm
    langs=LANGS,
    definition="dataset original task",
    templates={
        "en": [
            "Complete the {definition} task for the text above.",
            "Perform {definition} on the input above and give the answer.",
            "Solve this {definition} problem using the text above.",
        ],
        "zh": [
            "针对上述文本完成{definition}任务。",
            "对上面的输入进行{definition}，并给出答案。",
            "根据上述文本解决这个{definition}问题。",
        ],
    },
    atomic=False,
)
def original(a: AnnotatedText, rng: Rng) -> list[Draft]:
    answer = _original_answer(a)
    if not answer:
        return []
    label_set = ITEMS.render(a.label_set)
    if a.instruction:
        instruction = a.instruction.replace("{label_set}", label_set)
        return [Draft(a.text, answer, instruction=instruction, definition=a.definition, paradigm=a.paradigm)]
    text = f"{a.text}\n{LABEL_LINE[a.lang]}{label_set}" if a.label_set else a.text
    fields = {"definition": a.definition}
    return [Draft(text, answer, fields, definition=a.definition, paradigm=a.paradigm)]
