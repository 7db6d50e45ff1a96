"""Hand-written canonical records, one set per data type and language, shared by the task tests."""

from __future__ import annotations

from ecomgpt.records.schema import (
    AnnotatedText,
    Aspect,
    Attribute,
    Candidate,
    Dialogue,
    Product,
    Query,
    Review,
    Slot,
    Span,
    Turn,
)


def spans(text: str, *typed: tuple[str, str]) -> list[Span]:
    """Spans for (term, type) pairs at each term's first occurrence in `text`."""
    found = []
    for term, etype in typed:
        start = text.index(term)
        found.append(Span(start=start, end=start + len(term), type=etype, term=term))
    return found


PRODUCT_EN = Product(
    record_id="p-en",
    source="test",
    lang="en",
    title="Nike Air Zoom Pegasus 39 Red Running Shoes for Men",
    category=["Footwear", "Men's Footwear", "Sports Shoes"],
    attributes=[
        Attribute(name="color", value="Red"),
        Attribute(name="ideal for", value="Men"),
        Attribute(name="model", value="Pegasus 39"),
        Attribute(name="size", value="UK 9"),
    ],
    brand="Nike",
)
PRODUCT_ZH = Product(
    record_id="p-zh",
    source="test",
    lang="zh",
    title="兰芝隔离霜保湿提亮妆前乳50ml",
    category=["美妆洗护", "隔离/妆前"],
    attributes=[
        Attribute(name="功效", value="保湿"),
        Attribute(name="净含量", value="50ml"),
        Attribute(name="产地", value="韩国"),
    ],
    brand="兰芝",
)

REVIEW_EN = Review(
    record_id="r-en",
    source="test",
    lang="en",
    text="The fabric is soft but the zipper broke after a week.",
    title="Nice fabric, bad zipper",
    rating=2,
    aspects=[
        Aspect(category="material", term="fabric", sentiment="positive"),
        Aspect(category="quality", term="zipper", sentiment="negative"),
    ],
    product_category="Jackets",
)
REVIEW_ZH = Review(
    record_id="r-zh",
    source="test",
    lang="zh",
    text="物流很快，但是屏幕有划痕，客服态度还不错。",
    title="屏幕有划痕",
    rating=3,
    aspects=[
        Aspect(category="物流", term="物流", sentiment="positive"),
        Aspect(category="质量", term="屏幕", sentiment="negative"),
        Aspect(category="服务", term="客服", sentiment="positive"),
    ],
    product_category="手机",
)

QUERY_EN = Query(
    record_id="q-en",
    source="test",
    lang="en",
    query="usb c charger",
    category="Mobiles and Accessories",
    items=[
        Candidate(title="Anker 20W USB C Charger", relevance="exact"),
        Candidate(title="USB C Cable 2m", relevance="complement"),
        Candidate(title="Lightning Charger for iPhone", relevance="substitute"),
        Candidate(title="Wireless Mouse", relevance="irrelevant"),
    ],
)
QUERY_ZH = Query(
    record_id="q-zh",
    source="test",
    lang="zh",
    query="大落地窗",
    category="家居家装",
    items=[
        Candidate(title="新豪轩铝合金落地窗断桥铝平开窗", relevance="exact"),
        Candidate(title="冲凉房防滑垫浴室地垫", relevance="irrelevant"),
        Candidate(title="落地窗窗帘遮光布", relevance="complement"),
    ],
)

DIALOGUE_EN = Dialogue(
    record_id="d-en",
    source="test",
    lang="en",
    domain="Books",
    turns=[
        Turn(role="agent", text="Hello, how can I help?", intents=["greeting"]),
        Turn(
            role="user",
            text="I'm looking for a romance novel under $20.",
            intents=["disclose"],
            slots=[Slot(name="genre", value="romance"), Slot(name="price", value="under $20")],
        ),
        Turn(role="agent", text="How about Pride and Prejudice? It is $12.", intents=["recommend"]),
        Turn(role="user", text="Great, I'll take it.", intents=["accept"]),
    ],
)
DIALOGUE_ZH = Dialogue(
    record_id="d-zh",
    source="test",
    lang="zh",
    domain="手机数码",
    turns=[
        Turn(
            role="user", text="这款手机有黑色的吗？", intents=["询问商品信息"], slots=[Slot(name="颜色", value="黑色")]
        ),
        Turn(role="agent", text="有的亲，黑色现货，今天下单明天发货。"),
        Turn(
            role="user", text="好的，那我要一台128G的。", intents=["下单"], slots=[Slot(name="存储容量", value="128G")]
        ),
        Turn(role="agent", text="好的，已为您备注128G黑色。"),
    ],
)

_LENOVO_TEXT = "With a built-in Webcam and Toshiba Face Recognition on your Satellite U405 laptop ."
NER_EN = AnnotatedText(
    record_id="a-ner-en",
    source="test",
    lang="en",
    text=_LENOVO_TEXT,
    dataset="Lenovo",
    paradigm="NER",
    definition="named entity recognition",
    label_set=["Attribute", "Brand", "Component", "Product"],
    spans=spans(_LENOVO_TEXT, ("Webcam", "Component"), ("Toshiba", "Brand"), ("Satellite U405 laptop", "Product")),
    instruction="Extract all named entity with type about {label_set} in the sentence.",
)
CLS_EN = AnnotatedText(
    record_id="a-cls-en",
    source="test",
    lang="en",
    text="Certainly not the best sushi in New York, however, the place is very clean.",
    dataset="ABSA",
    paradigm="CLS",
    definition="review topic category",
    label_set=["Food", "Service", "Price", "Ambience", "Anecdotes/Miscellaneous"],
    labels=["Food", "Ambience"],
)
_NER_ZH_TEXT = "简约韩版粗跟艾熙百思图亲子鞋冬季百搭"
NER_ZH = AnnotatedText(
    record_id="a-ner-zh",
    source="test",
    lang="zh",
    text=_NER_ZH_TEXT,
    dataset="cn_ecommerce_ner",
    paradigm="NER",
    definition="named entity recognition",
    label_set=["商品", "品牌", "型号", "其他"],
    spans=spans(_NER_ZH_TEXT, ("艾熙", "品牌"), ("百思图", "品牌"), ("亲子鞋", "商品")),
)
_MEPAVE_TEXT = "HC圆领拼接连衣裙"
ATTR_ZH = AnnotatedText(
    record_id="a-attr-zh",
    source="test",
    lang="zh",
    text=_MEPAVE_TEXT,
    dataset="MEPAVE",
    paradigm="Condition_Extract",
    definition="attribute value detection",
    label_set=["图案", "材质", "领型", "颜色", "风格"],
    spans=spans(_MEPAVE_TEXT, ("圆领", "领型"), ("拼接", "风格")),
    instruction="Detect all attribute value about {label_set} in the sentence.",
)
CLS_ZH = AnnotatedText(
    record_id="a-cls-zh",
    source="test",
    lang="zh",
    text="房间很干净，早餐也不错，下次还会入住。",
    dataset="online_shopping_10_cats",
    paradigm="CLS",
    definition="review product category",
    label_set=["书籍", "平板", "手机", "水果", "酒店"],
    labels=["酒店"],
)
GENERATE_ZH = AnnotatedText(
    record_id="a-gen-zh",
    source="test",
    lang="zh",
    text="颜色分类#:#图片色#;#裤长#:#长裤#;#腰型#:#高腰",
    dataset="OpenBG",
    paradigm="Generate",
    definition="product title generation",
    spans=[Span(start=0, end=0, term="高腰显瘦长裤")],
    instruction="Generate a product title based on the above attribute information.",
)

RECORDS = {
    "product": [PRODUCT_EN, PRODUCT_ZH],
    "review": [REVIEW_EN, REVIEW_ZH],
    "query": [QUERY_EN, QUERY_ZH],
    "dialogue": [DIALOGUE_EN, DIALOGUE_ZH],
    "annotated": [NER_EN, CLS_EN, NER_ZH, ATTR_ZH, CLS_ZH, GENERATE_ZH],
}
