"""Golden examples and edge cases of the dialogue tasks."""

from __future__ import annotations

import pytest

from ecomgpt.records.schema import Dialogue, Slot, Turn
from ecomgpt.tasks.library.dialogue import MAX_TURN_DRAFTS
from ecomgpt.tasks.registry import get_task, tasks_for
from ecomgpt.tasks.rng import Rng
from tests.tasks.golden import Case, Golden, check_case
from tests.tasks.samples import DIALOGUE_EN, DIALOGUE_ZH

HELLO = "Agent: Hello, how can I help?"
ASK = "User: I'm looking for a romance novel under $20."
OFFER = "Agent: How about Pride and Prejudice? It is $12."
TAKE = "User: Great, I'll take it."
Q1 = "用户: 这款手机有黑色的吗？"
A1 = "客服: 有的亲，黑色现货，今天下单明天发货。"
Q2 = "用户: 好的，那我要一台128G的。"
A2 = "客服: 好的，已为您备注128G黑色。"
INTENTS_EN = {"label_set": "recommend, disclose, accept, greeting"}
INTENTS_ZH = {"label_set": "询问商品信息, 投诉, 下单"}

CASES = [
    Case(
        "dialogue.intent_detection",
        DIALOGUE_EN,
        [Golden(f"{HELLO}\n{ASK}", "disclose", INTENTS_EN), Golden(f"{OFFER}\n{TAKE}", "accept", INTENTS_EN)],
    ),
    # Two intents in the dialogue: the candidates are topped up from the vocabulary.
    Case(
        "dialogue.intent_detection",
        DIALOGUE_ZH,
        [Golden(Q1, "询问商品信息", INTENTS_ZH), Golden(f"{A1}\n{Q2}", "下单", INTENTS_ZH)],
    ),
    Case(
        "dialogue.slot_extraction",
        DIALOGUE_EN,
        [
            Golden(
                "I'm looking for a romance novel under $20.",
                "genre: romance\nprice: under $20",
                {"label_set": "genre, price"},
            )
        ],
    ),
    Case(
        "dialogue.slot_extraction",
        DIALOGUE_ZH,
        [
            Golden("这款手机有黑色的吗？", "颜色: 黑色\n存储容量: None", {"label_set": "颜色, 存储容量"}),
            Golden("好的，那我要一台128G的。", "颜色: None\n存储容量: 128G", {"label_set": "颜色, 存储容量"}),
        ],
    ),
    # The opening agent turn has no context, so the only target is the second agent turn.
    Case(
        "dialogue.response_generation",
        DIALOGUE_EN,
        [Golden(f"{HELLO}\n{ASK}", "How about Pride and Prejudice? It is $12.")],
    ),
    Case(
        "dialogue.response_generation",
        DIALOGUE_ZH,
        [Golden(Q1, "有的亲，黑色现货，今天下单明天发货。"), Golden(f"{Q1}\n{A1}\n{Q2}", "好的，已为您备注128G黑色。")],
    ),
    Case(
        "dialogue.domain_classification",
        DIALOGUE_EN,
        [
            Golden(
                f"{HELLO}\n{ASK}\n{OFFER}\n{TAKE}",
                "Books",
                {"label_set": "Cellphones & Accessories, Books, Electronics, Pet Supplies, Sports and Outdoors"},
            )
        ],
    ),
    Case(
        "dialogue.domain_classification",
        DIALOGUE_ZH,
        [Golden(f"{Q1}\n{A1}\n{Q2}\n{A2}", "手机数码", {"label_set": "家居厨具, 玩具, 汽车用品, 家用电器, 手机数码"})],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_golden(case: Case) -> None:
    check_case(case)


def _run(task: str, dialogue: Dialogue, seed: int = 0) -> list:
    return list(get_task(task).fn(dialogue, Rng(seed, task)))


def test_an_unlabelled_single_turn_gives_nothing() -> None:
    bare = Dialogue(record_id="bare", source="test", lang="en", turns=[Turn(role="user", text="Hi")])
    for spec in tasks_for("dialogue"):
        assert spec.fn(bare, Rng(0, spec.name)) == [], spec.name


def test_agent_intents_and_slots_are_not_asked() -> None:
    agent_only = Dialogue(
        record_id="a",
        source="test",
        lang="en",
        turns=[
            Turn(role="user", text="Hi"),
            Turn(role="agent", text="We have red ones.", intents=["inform"], slots=[Slot(name="color", value="red")]),
        ],
    )
    assert _run("dialogue.intent_detection", agent_only) == []
    assert _run("dialogue.slot_extraction", agent_only) == []


def test_slot_values_missing_from_the_turn_are_skipped() -> None:
    turn = Turn(role="user", text="Something cheap please", slots=[Slot(name="price", value="under $20")])
    dialogue = Dialogue(record_id="s", source="test", lang="en", turns=[turn])
    assert _run("dialogue.slot_extraction", dialogue) == []


def test_long_dialogues_give_at_most_a_few_turns_per_task() -> None:
    turns = []
    for i in range(40):
        turns.append(
            Turn(role="user", text=f"I want item {i}", intents=["ask"], slots=[Slot(name="item", value=str(i))])
        )
        turns.append(Turn(role="agent", text=f"Here is item {i}"))
    dialogue = Dialogue(record_id="long", source="test", lang="en", turns=turns)
    for task in ("dialogue.intent_detection", "dialogue.slot_extraction", "dialogue.response_generation"):
        drafts = _run(task, dialogue)
        assert len(drafts) == MAX_TURN_DRAFTS, task
    context = _run("dialogue.response_generation", dialogue)[0].input
    assert context.count("\n") < 6
