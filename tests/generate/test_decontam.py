from ecomgpt.generate.decontam import Decontaminator, normalize

HELDOUT = [
    "The bread is top notch as well.",
    "Query: 大落地窗\nDoc: 新豪轩门窗 斯图加特78系统 铝合金窗内开内倒落地窗断桥铝平开窗",
    "too short text",  # under 20 characters: never compared
]


def test_normalize_collapses_whitespace():
    assert normalize("  a\t b\n\nc  ") == "a b c"


def test_input_containing_a_heldout_text_is_contaminated():
    d = Decontaminator(HELDOUT)
    assert d.is_contaminated("Review: The bread is top notch as well. Great place!")
    assert d.is_contaminated(
        "前缀 Query: 大落地窗 Doc: 新豪轩门窗   斯图加特78系统 铝合金窗内开内倒落地窗断桥铝平开窗 后缀"
    )


def test_input_contained_in_a_heldout_text_is_contaminated():
    d = Decontaminator(HELDOUT)
    assert d.is_contaminated("bread is top notch as")
    assert d.is_contaminated("斯图加特78系统 铝合金窗内开内倒落地窗")


def test_short_and_unrelated_texts_are_kept():
    d = Decontaminator(HELDOUT)
    assert not d.is_contaminated("too short text")  # the held-out text is under the minimum
    assert not d.is_contaminated("bread is top")  # the input is under the minimum
    assert not d.is_contaminated("The bread is top notch as well, said nobody")  # `,` is not `.`
    assert not d.is_contaminated("A completely different review about shoes and socks.")
    assert not d.is_contaminated("bread is top notch as well. And then some other words")


def test_no_heldout_texts_means_nothing_is_contaminated():
    assert not Decontaminator([]).is_contaminated("The bread is top notch as well.")


def test_minimum_length_is_configurable():
    d = Decontaminator(["too short text"], min_chars=5)
    assert d.is_contaminated("this is too short text indeed")
