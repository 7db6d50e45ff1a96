import random

import numpy as np

from ecomgpt.train.tokenize import IGNORE_INDEX, collate, encode_example, group_by_length, micro_batches, useful_share


def test_labels_mask_the_prompt_and_end_with_eos():
    ids, labels = encode_example([1, 2, 3], [7, 8], eos_id=0, max_len=16)
    assert ids == [1, 2, 3, 7, 8, 0]
    assert labels == [IGNORE_INDEX] * 3 + [7, 8, 0]


def test_prompt_cut_from_the_left_answer_never():
    ids, labels = encode_example(list(range(10, 30)), [7, 8, 9], eos_id=0, max_len=8)
    assert len(ids) == 8
    assert ids[-4:] == [7, 8, 9, 0] and ids[:4] == [26, 27, 28, 29]  # the prompt's end survives
    assert labels[-4:] == [7, 8, 9, 0] and labels[:4] == [IGNORE_INDEX] * 4


def test_answer_too_long_is_dropped_not_cut():
    assert encode_example([1], list(range(8)), eos_id=0, max_len=8) is None
    assert encode_example([1], list(range(6)), eos_id=0, max_len=8) is not None


def test_group_by_length_full_batches_of_similar_length():
    lengths = [random.Random(0).randint(10, 500) for _ in range(103)]
    batches = group_by_length(lengths, 4, random.Random(0))
    assert len(batches) == 25 and all(len(b) == 4 for b in batches)
    assert len({i for b in batches for i in b}) == 100
    spread = [max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches]
    assert np.mean(spread) < 40


def test_collate_pads_right_with_ignored_labels():
    out = collate([[5, 6, 7], [5]], [[IGNORE_INDEX, 6, 7], [5]], pad_id=3)
    assert out["input_ids"].tolist() == [[5, 6, 7], [5, 3, 3]]
    assert out["labels"].tolist() == [[IGNORE_INDEX, 6, 7], [5, IGNORE_INDEX, IGNORE_INDEX]]
    assert out["attention_mask"].tolist() == [[1, 1, 1], [1, 0, 0]]


def test_length_grouping_raises_the_useful_share():
    rng = random.Random(1)
    lengths = [rng.randint(60, 400) for _ in range(4096)]
    plain = useful_share(lengths, 4, group=False, window=256)
    grouped = useful_share(lengths, 4, group=True, window=256)
    assert grouped >= 0.95 > plain


def test_micro_batches_from_windows():
    window = {
        "input_ids": [np.arange(n) for n in (3, 9, 4, 8)],
        "labels": [np.arange(n) for n in (3, 9, 4, 8)],
        "length": np.array([3, 9, 4, 8]),
    }
    batches = list(micro_batches([window], 2, pad_id=0, group=True, seed=0))
    assert sorted(b["input_ids"].shape[1] for b in batches) == [4, 9]


def test_tokenize_batch_loads_one_tokenizer_per_process_and_matches_tokenize(tmp_path):
    from ecomgpt.train import tokenize
    from ecomgpt.train.tiny import build_tiny_checkpoint

    texts = ["### Instruction:\nred shirt\nGive the color.\n### Response:", "red"] * 20
    path = str(build_tiny_checkpoint(texts, tmp_path / "tok", vocab_size=300, seed=0))
    batch = {"task": np.array(["t", "t"]), "prompt": np.array(texts[:1] * 2), "output": np.array(["red", "blue"])}
    tokenize._tokenize.cache_clear()
    first = tokenize.tokenize_batch(batch, path, 64, "listing")
    again = tokenize.tokenize_batch(batch, path, 64, "listing")
    assert tokenize._tokenize.cache_info().misses == 1 and tokenize._tokenize.cache_info().hits == 1
    expected = tokenize.Tokenize(path, 64)(batch)
    for got in (first, again):
        assert [list(row) for row in got["input_ids"]] == [list(row) for row in expected["input_ids"]]
        assert list(got["length"]) == list(expected["length"])


def test_a_tokenizer_rewritten_at_the_same_path_is_loaded_afresh(tmp_path):
    import json

    from ecomgpt import storage
    from ecomgpt.train import tokenize
    from ecomgpt.train.tiny import build_tiny_checkpoint

    path = str(tmp_path / "tok")
    batch = {"task": np.array(["t"]), "prompt": np.array(["red cotton shirt"]), "output": np.array(["red"])}
    tokenize._tokenize.cache_clear()
    seen = []
    for texts, vocab in ((["red cotton shirt", "red"] * 20, 280), (["blue wool hat", "blue"] * 20, 300)):
        build_tiny_checkpoint(texts, path, vocab_size=vocab, seed=0)
        content = json.dumps(storage.fingerprint(path))
        seen.append([list(row) for row in tokenize.tokenize_batch(batch, path, 64, content)["input_ids"]])
        assert seen[-1] == [list(row) for row in tokenize.Tokenize(path, 64)(batch)["input_ids"]]
    assert seen[0] != seen[1]
