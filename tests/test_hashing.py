"""Stable hashes: fixed values (they key every seeded choice the platform has made) and their users."""

from __future__ import annotations

import subprocess
import sys

from ecomgpt.generate.sampling import pair_key, record_hash
from ecomgpt.hashing import GOLDEN_GAMMA, MASK64, mix64, stable_hash64, stable_hex128
from ecomgpt.tasks.examples import example_id
from ecomgpt.tasks.rng import Rng
from ecomgpt.train.mixture import sample_key, task_rank


def test_mix64_is_splitmix64():
    # the first outputs of splitmix64 seeded with 0, as the reference implementation prints them
    state, outputs = 0, []
    for _ in range(3):
        state = (state + GOLDEN_GAMMA) & MASK64
        outputs.append(mix64(state))
    assert outputs == [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F]


def test_digests_are_pinned():
    assert stable_hash64("record-key", 0, "src", "r1") == 3020889184014517438
    assert stable_hex128("t", "p", "o") == "9d48930cd888e21acfe5a813b0a3b96b"
    assert stable_hash64("ab", "c") != stable_hash64("a", "bc")


def test_same_values_in_another_process():
    code = "from ecomgpt.hashing import stable_hash64 as h; print(h('x', 1, 'y'))"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(other.stdout) == stable_hash64("x", 1, "y")


def test_every_user_draws_from_the_one_definition():
    rng = Rng(0, "task", "src", "r1")
    assert rng._state == stable_hash64(0, "task", "src", "r1")
    assert rng.next64() == mix64(stable_hash64(0, "task", "src", "r1") + GOLDEN_GAMMA)
    assert record_hash(0, "src", "r1") == stable_hash64("record-key", 0, "src", "r1")
    assert pair_key(5, 3) == mix64(5 ^ 3)
    assert example_id("t", "p", "o") == stable_hex128("t", "p", "o")
    assert task_rank("review.sentiment", 2) == stable_hash64("task", 2, "review.sentiment")
    assert sample_key("9d48930c", 2) == stable_hash64("example", 2, "9d48930c")
