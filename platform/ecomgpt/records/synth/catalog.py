"""The catalog in each language, with everything the record builders index precomputed.

`CATALOGS[lang]` lists one `CategoryTable` per category of `words/catalog.yaml`, in file order (records
draw categories by position). Built once at import from the vocabulary.
"""

from __future__ import annotations

from itertools import permutations

from ecomgpt.records.synth.vocabulary import EN, ZH, Category, Vocabulary, load_vocabulary

SOURCE = "synthetic"  # the `source` of every synthetic record
LANGS = ("en", "zh")  # by language index
SENTIMENTS = ("positive", "negative", "neutral")  # sentiment index -> label
_AFTER_NOUN = {"pre": (0,), "post": (1,), "any": (0, 1)}  # where an attribute value may sit in a title


class CategoryTable:
    """One category in one language."""

    __slots__ = (
        "key",
        "department",
        "name",
        "path",
        "brands",
        "title_nouns",
        "query_nouns",
        "attribute_names",
        "attribute_values",
        "value_options",
        "options_per_value",
        "attribute_orders",
        "title_inputs",
        "price_usd",
        "selling_points",
        "review_aspects",
        "complements",
        "unrelated",
        "colors",
        "sizes",
    )

    def __init__(self, key: str, category: Category, vocab: Vocabulary, lang: int) -> None:
        department = vocab.catalog.departments[category.department]
        attributes = [vocab.attributes[name] for name in category.attributes]
        self.key = key
        self.department = department.name[lang]
        self.name = category.name[lang]
        self.path = f"{self.department} > {self.name}"
        self.brands = tuple(brand[lang] for brand in department.brands)
        self.title_nouns = tuple(noun[lang] for noun in category.title_nouns)
        self.query_nouns = tuple(noun[lang] for noun in category.query_nouns)
        self.attribute_names = tuple(a.name[lang] for a in attributes)
        self.attribute_values = tuple(tuple(value[lang] for value in a.values) for a in attributes)
        # Per attribute, its (value, after the noun?) options. A value free to go either side appears
        # twice, so one draw picks both, and value i of the attribute sits at options[i * width].
        self.value_options = tuple(
            tuple((value[lang], side) for value in a.values for side in _AFTER_NOUN[a.place]) for a in attributes
        )
        self.options_per_value = tuple(len(_AFTER_NOUN[a.place]) for a in attributes)
        # Ordered attribute subsets grouped by size: a title draws how many attributes, then which and in
        # what order.
        self.attribute_orders = tuple(
            tuple(permutations(range(len(attributes)), size)) for size in range(2, min(4, len(attributes)) + 1)
        )
        # what the title builder unpacks on every call
        self.title_inputs = (
            self.attribute_orders,
            len(self.attribute_orders),
            self.brands,
            self.title_nouns,
            len(self.title_nouns),
            self.value_options,
            self.attribute_names,
        )
        self.price_usd = category.price_usd
        self.selling_points = tuple(point[lang] for point in department.selling_points)
        self.review_aspects = _review_aspects(department.review_aspects, vocab, lang)
        color = next((a for a in attributes if a.name[EN] == "color"), None)
        self.colors = tuple(value[lang] for value in color.values) if color else None
        sizes = vocab.dialogues.sizes_by_department.get(category.department)
        self.sizes = tuple(size[lang] for size in sizes) if sizes else None
        self.complements: tuple[CategoryTable, ...] = ()  # set once every table of the language exists
        self.unrelated: tuple[CategoryTable, ...] = ()


def _review_aspects(keys: tuple[str, ...], vocab: Vocabulary, lang: int) -> tuple:
    """(label, ((term, sentences by sentiment index), ...)) per aspect, with every sentence written out."""
    reviews = vocab.reviews
    aspects = []
    for key in keys + reviews.general_aspects:
        aspect = reviews.aspects[key]
        templates = []
        for sentiment in SENTIMENTS:
            generic = getattr(reviews.generic_sentences, sentiment).of(lang) if aspect.generic else ()
            own = getattr(aspect.sentences, sentiment).of(lang) if aspect.sentences else ()
            templates.append(generic + own)
        terms = tuple(
            (term, tuple(tuple(t.format(term=term) for t in by_sentiment) for by_sentiment in templates))
            for term in aspect.terms.of(lang)
        )
        aspects.append((aspect.label[lang], terms))
    return tuple(aspects)


def _catalog(vocab: Vocabulary, lang: int) -> tuple[CategoryTable, ...]:
    tables = tuple(CategoryTable(key, category, vocab, lang) for key, category in vocab.catalog.categories.items())
    by_key = {table.key: table for table in tables}
    categories = vocab.catalog.categories
    for table in tables:
        table.complements = tuple(by_key[key] for key in categories[table.key].complements)
        table.unrelated = tuple(
            other
            for other in tables
            if categories[other.key].department != categories[table.key].department and other not in table.complements
        )
    return tables


VOCABULARY = load_vocabulary()
CATALOGS = (_catalog(VOCABULARY, EN), _catalog(VOCABULARY, ZH))
