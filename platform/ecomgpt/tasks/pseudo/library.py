"""The pseudo-label tasks: labels a teacher writes for raw product, review, query and dialogue text."""

from __future__ import annotations

from ecomgpt.answers import ITEMS
from ecomgpt.records.schema import Dialogue, Product, Query, Review
from ecomgpt.tasks.labelling import Ask, Shot
from ecomgpt.tasks.library.dialogue import INTENTS, ROLES
from ecomgpt.tasks.pseudo.grounding import ground_label, ground_labels, ground_pairs, ground_typed_spans
from ecomgpt.tasks.pseudo.registry import register_pseudo_task

ENTITY_TYPES = {
    "en": ("brand", "product type", "color", "material", "size"),
    "zh": ("品牌", "品类", "颜色", "材质", "尺寸"),
}
DESCRIPTION_ATTRIBUTES = {
    "en": ("color", "material", "size", "style", "season", "battery life", "storage", "capacity"),
    "zh": ("颜色", "材质", "尺码", "风格", "季节", "续航", "存储容量", "电池容量"),
}
QUERY_INTENTS = {
    "en": (
        "find a specific product",
        "browse a category",
        "compare prices",
        "look for a brand",
        "check compatibility",
        "find a gift",
    ),
    "zh": ("查找具体商品", "浏览品类", "比价", "寻找品牌", "确认兼容性", "挑选礼物"),
}
MIN_REVIEW_CHARS = 8


def _typed(text: str, labels: tuple[str, ...]) -> Ask:
    return Ask(text, {"label_set": ITEMS.render(labels)}, labels)


@register_pseudo_task(
    "product.title_entity_typing",
    data_type="product",
    paradigm="NER",
    definition="product entity typing",
    templates={
        "en": [
            "Label the entities of the product title above with the types {label_set}; one line per type.",
            "Find the {label_set} named in the title above and list them by type.",
            "For each type in {label_set}, extract the words of the title above that are of that type.",
        ],
        "zh": [
            "为上述商品标题中的实体标注类型：{label_set}，每个类型一行。",
            "找出上面标题中提到的{label_set}，按类型列出。",
            "针对{label_set}中的每个类型，抽取上述标题中属于该类型的词语。",
        ],
    },
    guide={
        "en": "Label the entities of the product title with the types {label_set}. Write one line per type, "
        "`type: words, words` with the exact words of the title, or `type: None`.",
        "zh": "为商品标题中的实体标注类型：{label_set}。每个类型写一行，`类型: 词语, 词语`，词语须与标题原文一致，"
        "没有则写`类型: None`。",
    },
    shots={
        "en": [
            Shot(
                "Nike Air Zoom running shoes black mesh size 42",
                "brand: Nike\nproduct type: running shoes\ncolor: black\nmaterial: mesh\nsize: 42",
            )
        ],
        "zh": [Shot("优衣库 蓝色 纯棉 T恤 XL码", "品牌: 优衣库\n品类: T恤\n颜色: 蓝色\n材质: 纯棉\n尺寸: XL码")],
    },
    ground=ground_typed_spans,
    max_new_tokens=64,
)
def title_entity_typing(p: Product) -> Ask | None:
    return _typed(p.title, ENTITY_TYPES[p.lang])


@register_pseudo_task(
    "product.description_attribute_extraction",
    data_type="product",
    paradigm="NER",
    definition="attribute extraction from descriptions",
    templates={
        "en": [
            "Extract the values of the attributes {label_set} from the product description above.",
            "Which {label_set} does the description above state? One line per attribute.",
            "Read the description above and fill in the attributes {label_set}.",
        ],
        "zh": [
            "从上述商品描述中抽取以下属性的值：{label_set}。",
            "上面的描述给出了哪些{label_set}？每个属性一行。",
            "阅读上述描述，填写属性{label_set}。",
        ],
    },
    guide={
        "en": "Extract the attribute values the product description states for {label_set}. Write one line per "
        "attribute, `attribute: value` with the exact words of the description, or `attribute: None`.",
        "zh": "抽取商品描述中给出的属性值：{label_set}。每个属性写一行，`属性: 取值`，取值须与描述原文一致，"
        "没有则写`属性: None`。",
    },
    shots={
        "en": [
            Shot(
                "Soft and breathable. Made of organic cotton in navy blue, perfect for summer.",
                "color: navy blue\nmaterial: organic cotton\nsize: None\nstyle: None\nseason: summer\n"
                "battery life: None\nstorage: None\ncapacity: None",
            )
        ],
        "zh": [
            Shot(
                "柔软透气，采用纯棉面料，藏青色，适合夏季穿着。",
                "颜色: 藏青色\n材质: 纯棉\n尺码: None\n风格: None\n季节: 夏季\n"
                "续航: None\n存储容量: None\n电池容量: None",
            )
        ],
    },
    ground=ground_typed_spans,
    max_new_tokens=96,
)
def description_attribute_extraction(p: Product) -> Ask | None:
    if not p.description:
        return None
    return _typed(p.description, DESCRIPTION_ATTRIBUTES[p.lang])


@register_pseudo_task(
    "review.aspect_opinion_extraction",
    data_type="review",
    paradigm="Extract",
    definition="aspect opinion extraction",
    templates={
        "en": [
            (
                "Extract the aspects the review above evaluates and the opinion words about each, "
                "one `aspect: opinions` line per aspect."
            ),
            "List every product aspect mentioned in the review above with the words that judge it.",
            "Find the aspect–opinion pairs in the review above.",
        ],
        "zh": [
            "抽取上述评论评价的方面及其观点词，每个方面一行：`方面: 观点`。",
            "列出上面评论提到的每个商品方面以及评价它的词语。",
            "找出上述评论中的方面-观点对。",
        ],
    },
    guide={
        "en": "Extract the aspects the review evaluates and the opinion words about each. Write one line per "
        "aspect, `aspect: opinion, opinion`, using the exact words of the review.",
        "zh": "抽取评论评价的方面及其观点词。每个方面写一行，`方面: 观点, 观点`，词语须与评论原文一致。",
    },
    shots={
        "en": [Shot("The battery lasts long but the screen is too dim.", "battery: lasts long\nscreen: too dim")],
        "zh": [Shot("物流很快，但是包装破损了。", "物流: 很快\n包装: 破损")],
    },
    ground=ground_pairs,
    max_new_tokens=64,
)
def aspect_opinion_extraction(r: Review) -> Ask | None:
    if len(r.text) < MIN_REVIEW_CHARS:
        return None
    return Ask(r.text, {})


@register_pseudo_task(
    "query.intent_classification",
    data_type="query",
    paradigm="CLS",
    definition="query intent classification",
    templates={
        "en": [
            "What does the shopper want with the search query above? Options: {label_set}.",
            "Classify the intent of the query above as one of: {label_set}.",
            "Choose the shopping intent behind the query above from: {label_set}.",
        ],
        "zh": [
            "用户搜索上述查询词想要做什么？选项：{label_set}。",
            "将上面查询词的意图分类为以下之一：{label_set}。",
            "从以下选项中选择上述查询背后的购物意图：{label_set}。",
        ],
    },
    guide={
        "en": "Classify the shopping intent of the search query. Answer with exactly one of: {label_set}.",
        "zh": "判断搜索查询的购物意图。只回答以下之一：{label_set}。",
    },
    shots={
        "en": [
            Shot("Query: cheapest 65w usb c charger", "compare prices"),
            Shot("Query: birthday present for 10 year old girl", "find a gift"),
        ],
        "zh": [Shot("Query: 最便宜的65w充电器", "比价"), Shot("Query: 送女朋友的生日礼物", "挑选礼物")],
    },
    ground=ground_label,
    max_new_tokens=16,
)
def query_intent(q: Query) -> Ask | None:
    return _typed(f"Query: {q.query}", QUERY_INTENTS[q.lang])


@register_pseudo_task(
    "dialogue.turn_intent_labelling",
    data_type="dialogue",
    paradigm="CLS",
    definition="intent detection",
    templates={
        "en": [
            "What are the intents of the user's last utterance above? Choose from: {label_set}.",
            "Label the last user turn of the conversation above with one or more of: {label_set}.",
            "Which of these intents does the shopper's final message above express? {label_set}.",
        ],
        "zh": [
            "上述对话中用户最后一句话的意图是什么？从以下选项中选择：{label_set}。",
            "为上面对话的最后一轮用户发言标注一个或多个意图：{label_set}。",
            "上述用户的最后一条消息表达了以下哪些意图？{label_set}。",
        ],
    },
    guide={
        "en": "Label the intents of the user's last turn. Answer with one or more of: {label_set}, separated by `, `.",
        "zh": "标注用户最后一轮发言的意图。回答以下一个或多个，用`, `分隔：{label_set}。",
    },
    shots={
        "en": [Shot("Agent: How can I help?\nUser: hi, how much is the blue one?", "greeting, ask price")],
        "zh": [Shot("客服: 请问有什么可以帮您？\n用户: 这款有货吗，什么时候发货？", "询问物流")],
    },
    ground=ground_labels,
    max_new_tokens=24,
)
def turn_intent(d: Dialogue) -> Ask | None:
    """The first user turn without intent labels, with the turn before it as context."""
    roles = ROLES[d.lang]
    for i, turn in enumerate(d.turns):
        if turn.role == "user" and not turn.intents:
            text = "\n".join(f"{roles[t.role]}: {t.text}" for t in d.turns[max(0, i - 1) : i + 1])
            return _typed(text, INTENTS[d.lang].labels)
    return None
