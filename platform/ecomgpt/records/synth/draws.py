"""The random draws of one synthetic record, seeded from (seed, index) alone."""

from __future__ import annotations

from ecomgpt.hashing import GOLDEN_GAMMA, MASK64, mix64

LEHMER_MULTIPLIER = 0xDA942042E4DD58B5
MASK128 = (1 << 128) - 1
_REFILL = 1 << 20  # a draw from fewer remaining bits than this would be visibly biased


class Draws:
    """A 128-bit Lehmer generator (high 64 bits out) seeded through splitmix64.

    Each 64-bit output serves several small draws: `below(n)` takes `u % n` and keeps `u // n`,
    refilling once fewer than 20 bits are left, and hot paths split a whole `word()` themselves (the
    title builder steps `state` inline). Calling a method per draw is what costs in Python, not the
    arithmetic.
    """

    __slots__ = ("state", "unspent")

    def __init__(self, base: int, index: int) -> None:
        self.state = (mix64(base + index * GOLDEN_GAMMA) << 64) | ((index << 1) & MASK64) | 1
        self.unspent = 0

    def word(self) -> int:
        """The next 64 random bits."""
        self.state = state = (self.state * LEHMER_MULTIPLIER) & MASK128
        return state >> 64

    def below(self, n: int) -> int:
        """A number in [0, n), from the bits the previous draws left."""
        unspent = self.unspent
        if unspent < _REFILL:
            self.state = state = (self.state * LEHMER_MULTIPLIER) & MASK128
            unspent = state >> 64
        self.unspent = unspent // n
        return unspent % n
