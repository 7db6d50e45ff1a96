"""Customer-service dialogues: user turns with intents and slot values written in, agent replies between."""

from __future__ import annotations

from collections.abc import Callable
from string import Formatter

from ecomgpt.records.synth.catalog import CATALOGS, LANGS, SOURCE, VOCABULARY, CategoryTable
from ecomgpt.records.synth.draws import Draws
from ecomgpt.records.synth.product import listing_price, listing_title
from ecomgpt.records.synth.vocabulary import EN, INTENTS_ASKED, ZH

_WORDS = VOCABULARY.dialogues
# intents a user may ask; `ask_size` twice where sizes exist, so it comes up about as often as the others
_INTENTS_WITHOUT_SIZES = INTENTS_ASKED
_INTENTS_WITH_SIZES = INTENTS_ASKED + ("ask_size", "ask_size")


def _placeholders(template: str) -> tuple[str, ...]:
    return tuple(name for _, name, _, _ in Formatter().parse(template) if name)


def _user_templates() -> dict[tuple[str, int, bool, bool], tuple[tuple[str, tuple[str, ...]], ...]]:
    """(template, slot names) by (intent, language, category has colours, category has sizes)."""
    table = {}
    for intent, spec in _WORDS.intents.items():
        for lang in (EN, ZH):
            for has_color in (False, True):
                for has_size in (False, True):
                    absent = {name for name, ok in (("color", has_color), ("size", has_size)) if not ok}
                    options = tuple(
                        (t, _placeholders(t)) for t in spec.user.of(lang) if not absent.intersection(_placeholders(t))
                    )
                    if not options:
                        raise ValueError(f"intent {intent!r} has no {LANGS[lang]} user turn without {sorted(absent)}")
                    table[intent, lang, has_color, has_size] = options
    return table


_USER_TEMPLATES = _user_templates()
_AGENT_TEMPLATES = {(intent, lang): spec.agent.of(lang) for intent, spec in _WORDS.intents.items() for lang in (EN, ZH)}


def _product_value(draws: Draws, category: CategoryTable, lang: int) -> str:
    word = draws.word()
    noun = category.query_nouns[word % len(category.query_nouns)]
    word //= len(category.query_nouns)
    if word % 5 < 2:
        return noun
    brand = category.brands[word // 5 & 7]
    return f"{brand} {noun}" if lang == EN else brand + noun


def _budget_value(draws: Draws, category: CategoryTable, lang: int) -> str:
    low, high = category.price_usd
    usd = (low + high) // 2 + draws.below(high - low + 1) // 2
    return f"${usd}" if lang == EN else f"{usd * 7 // 100 * 100 + 100}元"


def _price_value(draws: Draws, category: CategoryTable, lang: int) -> str:
    price = listing_price(draws, category, lang)
    return f"${price:.2f}" if lang == EN else f"{price:.0f}元"


def _order_id_value(draws: Draws, category: CategoryTable, lang: int) -> str:
    if lang == EN:
        return str(10**11 + draws.word() % (9 * 10**11))
    return str(10**17 + draws.word() % (9 * 10**17))


def _discount_value(draws: Draws, category: CategoryTable, lang: int) -> str:
    return f"${5 * (1 + draws.below(4))}" if lang == EN else f"{10 * (1 + draws.below(5))}元"


def _pick(options) -> Callable[[Draws, CategoryTable, int], str]:
    """A slot filled with one of a fixed list's pairs."""
    return lambda draws, category, lang: options[draws.below(len(options))][lang]


# How each slot or reply value is drawn: (draws, category, language) -> text.
_VALUE_MAKERS: dict[str, Callable[[Draws, CategoryTable, int], str]] = {
    "product": _product_value,
    "budget": _budget_value,
    "price": _price_value,
    "category": lambda draws, category, lang: category.query_nouns[draws.below(len(category.query_nouns))],
    "order_id": _order_id_value,
    "title": lambda draws, category, lang: listing_title(draws, category, lang)[0],
    "days": lambda draws, category, lang: str(2 + draws.below(5)),
    "discount": _discount_value,
    "city": _pick(_WORDS.cities),
    "reason": _pick(_WORDS.return_reasons),
    "height": _pick(_WORDS.heights),
    "weight": _pick(_WORDS.weights),
    # colors and sizes: only asked for in the departments that have them
    "color": lambda draws, category, lang: category.colors[draws.below(len(category.colors))],  # type: ignore[index, arg-type]
    "size": lambda draws, category, lang: category.sizes[draws.below(len(category.sizes))],  # type: ignore[index, arg-type]
}


class _Values(dict):
    """Slot and reply values of one dialogue, drawn the first time a template asks for them."""

    __slots__ = ("_draws", "_category", "_lang")

    def __init__(self, draws: Draws, category: CategoryTable, lang: int) -> None:
        super().__init__()
        self._draws, self._category, self._lang = draws, category, lang

    def __missing__(self, name: str) -> str:
        value = self[name] = _VALUE_MAKERS[name](self._draws, self._category, self._lang)
        return value


def _plan(draws: Draws, pool: tuple[str, ...], asks: int, thanks: bool) -> list[list[str]]:
    """The intents of each user turn: `asks` distinct intents, now and then two in one turn."""
    asked: list[str] = []
    while len(asked) < asks:
        intent = pool[draws.below(len(pool))]
        if intent not in asked:
            asked.append(intent)
    plan = [[intent] for intent in asked]
    for intents in plan:
        if draws.below(6) == 0:
            extra = pool[draws.below(len(pool))]
            if extra not in asked:
                asked.append(extra)
                intents.append(extra)
    if thanks:
        plan.append(["thank"])
    return plan


def _user_turn(draws: Draws, intents: list[str], values: _Values, lang: int, has_color: bool, has_size: bool) -> dict:
    texts, slots, names = [], [], []
    for intent in intents:
        options = _USER_TEMPLATES[intent, lang, has_color, has_size]
        template, fields = options[draws.below(len(options))]
        texts.append(template.format_map(values))
        for name in fields:
            if name not in names:
                names.append(name)
                slots.append({"name": name, "value": values[name]})
    if len(texts) == 1:
        text = texts[0]
    elif lang == EN:
        text = " ".join(texts)
    else:
        text = ("" if texts[0][-1] in "？！。" else "，").join(texts)
    return {"role": "user", "text": text, "intents": intents, "slots": slots}


def _agent_turn(draws: Draws, intents: list[str], values: _Values, lang: int) -> dict:
    replies = []
    for intent in intents:
        options = _AGENT_TEMPLATES[intent, lang]
        replies.append(options[draws.below(len(options))].format_map(values))
    text = replies[0] if len(replies) == 1 else (" " if lang == EN else "，").join(replies)
    return {"role": "agent", "text": text, "intents": [], "slots": []}


def dialogue_record(draws: Draws, lang: int, record_id: str) -> dict:
    catalog = CATALOGS[lang]
    word = draws.word()
    category = catalog[word % len(catalog)]
    word //= len(catalog)
    has_color, has_size = category.colors is not None, category.sizes is not None
    n_turns = 3 + (word & 3)
    word >>= 2
    # an odd-length dialogue ends with the user's thanks; an even one sometimes thanks before the last reply
    thanks = n_turns % 2 == 1 or word % 3 == 0
    asks = (n_turns + 1) // 2 - thanks
    plan = _plan(draws, _INTENTS_WITH_SIZES if has_size else _INTENTS_WITHOUT_SIZES, asks, thanks)
    values = _Values(draws, category, lang)
    turns: list[dict] = []
    for intents in plan:
        turns.append(_user_turn(draws, intents, values, lang, has_color, has_size))
        if len(turns) == n_turns:
            break
        turns.append(_agent_turn(draws, intents, values, lang))
    return {
        "record_id": record_id,
        "source": SOURCE,
        "lang": LANGS[lang],
        "data_type": "dialogue",
        "turns": turns,
        "domain": category.department,
    }
