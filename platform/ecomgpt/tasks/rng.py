"""A small deterministic random generator keyed by strings (splitmix64).

Task generators run millions of times; seeding `random.Random` per record costs more than the work
itself, and Python's `hash()` of strings differs between processes. This generator is seeded from a
stable digest of its key, so the same (seed, task, record) draws the same values on any worker.
"""

from __future__ import annotations

from collections.abc import MutableSequence, Sequence
from typing import TypeVar

from ecomgpt.hashing import GOLDEN_GAMMA, MASK64, mix64, stable_hash64

T = TypeVar("T")


class Rng:
    __slots__ = ("_state",)

    def __init__(self, *key: object) -> None:
        self._state = stable_hash64(*key)

    def derive(self, salt: int) -> Rng:
        """An independent stream from this generator's current state, without hashing again."""
        child = Rng.__new__(Rng)
        child._state = (self._state ^ salt) & MASK64
        child.next64()
        return child

    def next64(self) -> int:
        self._state = state = (self._state + GOLDEN_GAMMA) & MASK64
        return mix64(state)

    def random(self) -> float:
        """Uniform float in [0, 1)."""
        return (self.next64() >> 11) * (1.0 / (1 << 53))

    def randrange(self, n: int) -> int:
        if n <= 0:
            raise ValueError(f"randrange needs n > 0, got {n}")
        return self.next64() % n

    def randint(self, low: int, high: int) -> int:
        """Uniform integer in [low, high], both ends included."""
        return low + self.randrange(high - low + 1)

    def choice(self, seq: Sequence[T]) -> T:
        if not seq:
            raise IndexError("choice from an empty sequence")
        return seq[self.next64() % len(seq)]

    def shuffle(self, items: MutableSequence[T]) -> None:
        for i in range(len(items) - 1, 0, -1):
            j = self.next64() % (i + 1)
            items[i], items[j] = items[j], items[i]

    def sample(self, seq: Sequence[T], k: int) -> list[T]:
        """k distinct elements in random order (k is capped at len(seq))."""
        pool = list(seq)
        k = min(k, len(pool))
        for i in range(k):
            j = i + self.next64() % (len(pool) - i)
            pool[i], pool[j] = pool[j], pool[i]
        return pool[:k]
