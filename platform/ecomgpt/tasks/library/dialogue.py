"""Dialogue tasks: user intents, slot values, the agent's next response and the shopping domain.

Per-turn tasks draw at most MAX_TURN_DRAFTS turns from a dialogue, so long dialogues do not
outweigh the other data types.
"""

from __future__ import annotations

from ecomgpt.answers import ITEMS, NER
from ecomgpt.records.schema import Dialogue, Turn
from ecomgpt.tasks.library._common import LANGS, Vocab, candidate_labels, unique
from ecomgpt.tasks.registry import Draft, register_task
from ecomgpt.tasks.rng import Rng

MAX_TURN_DRAFTS = 2
CONTEXT_TURNS = 6
ROLES = {"en": {"user": "User", "agent": "Agent"}, "zh": {"user": "用户", "agent": "客服"}}
# Fallback candidates for dialogues whose own intents are too few to choose between.
INTENTS = {
    "en": Vocab(
        [
            "greeting",
            "ask product information",
            "request recommendation",
            "express preference",
            "ask price",
            "place order",
            "ask about shipping",
            "complain",
            "thank",
            "goodbye",
        ]
    ),
    "zh": Vocab(
        [
            "问候",
            "咨询商品信息",
            "请求推荐",
            "表达偏好",
            "询问价格",
            "下单",
            "询问物流",
            "投诉",
            "感谢",
            "告别",
        ]
    ),
}
DOMAINS = {
    "en": Vocab(
        [
            "Books",
            "Cellphones & Accessories",
            "Office Products",
            "Sports and Outdoors",
            "Clothing",
            "Electronics",
            "Home and Kitchen",
            "Beauty",
            "Toys and Games",
            "Grocery",
            "Automotive",
            "Pet Supplies",
        ]
    ),
    "zh": Vocab(
        [
            "图书",
            "手机数码",
            "办公用品",
            "运动户外",
            "服装",
            "家用电器",
            "家居厨具",
            "美妆",
            "玩具",
            "食品",
            "汽车用品",
            "宠物用品",
        ]
    ),
}


def _render(turns: list[Turn], lang: str) -> str:
    roles = ROLES[lang]
    return "\n".join(f"{roles[turn.role]}: {turn.text}" for turn in turns)


def _pick(rng: Rng, indices: list[int]) -> list[int]:
    """Up to MAX_TURN_DRAFTS of the indices, in dialogue order."""
    if len(indices) <= MAX_TURN_DRAFTS:
        return indices
    return sorted(rng.sample(indices, MAX_TURN_DRAFTS))


@register_task(
    "dialogue.intent_detection",
    data_type="dialogue",
    paradigm="CLS",
    langs=LANGS,
    definition="intent detection",
    templates={
        "en": [
            "What are the intents of the user's last utterance above? Choose from: {label_set}.",
            "Identify the intent of the last user turn in the dialogue above. Candidates: {label_set}.",
            "Classify the user's final message above into one or more intents: {label_set}.",
        ],
        "zh": [
            "上述对话中用户最后一句话的意图是什么？从以下选项中选择：{label_set}。",
            "识别上面对话中最后一轮用户发言的意图。候选：{label_set}。",
            "将用户上面的最后一条消息归入一个或多个意图：{label_set}。",
        ],
    },
)
def intent_detection(d: Dialogue, rng: Rng) -> list[Draft]:
    turns = d.turns
    eligible = []
    seen: set[str] = set()
    for i, turn in enumerate(turns):
        if turn.intents:
            seen.update(turn.intents)
            if turn.role == "user":
                eligible.append(i)
    if not eligible:
        return []
    # Candidates: every intent used anywhere in the dialogue, topped up to three from the vocabulary.
    used = sorted(seen)
    labels = ITEMS.render(candidate_labels(rng, used, max(0, 3 - len(used)), INTENTS[d.lang]))
    drafts = []
    for i in _pick(rng, eligible):
        # The previous turn is kept because answers such as "yes" only have an intent in context.
        text = _render(turns[max(0, i - 1) : i + 1], d.lang)
        drafts.append(Draft(text, ITEMS.render(unique(turns[i].intents)), {"label_set": labels}))
    return drafts


@register_task(
    "dialogue.slot_extraction",
    data_type="dialogue",
    paradigm="NER",
    langs=LANGS,
    definition="slot filling",
    templates={
        "en": [
            "Extract the slot values of the types {label_set} from the user's message above.",
            "Fill the slots {label_set} using the shopper's utterance above; answer one line per slot.",
            "For each slot in {label_set}, list the values mentioned in the message above.",
        ],
        "zh": [
            "从上述用户消息中抽取以下槽位的值：{label_set}。",
            "根据上面的用户发言填充槽位{label_set}，每个槽位一行。",
            "针对{label_set}中的每个槽位，列出上述消息中提到的取值。",
        ],
    },
)
def slot_extraction(d: Dialogue, rng: Rng) -> list[Draft]:
    turns = d.turns
    eligible: list[int] = []
    names: dict[str, None] = {}
    for i, turn in enumerate(turns):
        for slot in turn.slots:
            names[slot.name] = None
            if turn.role == "user" and slot.value in turn.text and eligible[-1:] != [i]:
                eligible.append(i)
    if not eligible:
        return []
    # Slot types of the whole dialogue, so a turn without some of them answers `Type: None`.
    types = list(names)
    label_set = ITEMS.render(types)
    drafts = []
    for i in _pick(rng, eligible):
        turn = turns[i]
        pairs = unique((slot.name, slot.value) for slot in turn.slots if slot.value in turn.text)
        drafts.append(Draft(turn.text, NER.render(types, pairs), {"label_set": label_set}))
    return drafts


@register_task(
    "dialogue.response_generation",
    data_type="dialogue",
    paradigm="Generate",
    langs=LANGS,
    definition="response generation",
    templates={
        "en": [
            "Continue the conversation above with the shop agent's next reply.",
            "As the customer service agent, write the next response in the dialogue above.",
            "Generate the agent's reply to the conversation above.",
        ],
        "zh": [
            "以客服的身份续写上述对话的下一句回复。",
            "作为电商客服，写出上面对话中的下一条回复。",
            "生成客服对上述对话的回复。",
        ],
    },
)
def response_generation(d: Dialogue, rng: Rng) -> list[Draft]:
    turns = d.turns
    eligible = [i for i in range(1, len(turns)) if turns[i].role == "agent"]
    return [Draft(_render(turns[max(0, i - CONTEXT_TURNS) : i], d.lang), turns[i].text) for i in _pick(rng, eligible)]


@register_task(
    "dialogue.domain_classification",
    data_type="dialogue",
    paradigm="CLS",
    langs=LANGS,
    definition="dialogue domain classification",
    templates={
        "en": [
            "Which shopping domain is the conversation above about? Candidates: {label_set}.",
            "Classify the dialogue above into one of the domains: {label_set}.",
            "Select the product domain of the conversation above from: {label_set}.",
        ],
        "zh": [
            "上述对话涉及哪个购物领域？候选：{label_set}。",
            "将上面的对话归入以下领域之一：{label_set}。",
            "从以下选项中选择上述对话的商品领域：{label_set}。",
        ],
    },
)
def domain_classification(d: Dialogue, rng: Rng) -> list[Draft]:
    if not d.domain:
        return []
    labels = candidate_labels(rng, [d.domain], 4, DOMAINS[d.lang])
    # The opening turns name what the shopper wants; the rest only lengthens the prompt.
    text = _render(d.turns[:CONTEXT_TURNS], d.lang)
    return [Draft(text, d.domain, {"label_set": ITEMS.render(labels)})]
