"""Stable hashes: the same value for the same key in every process, on every machine.

Python's own `hash()` of a string changes between processes, so nothing that must agree across Ray
workers or runs can use it. Every stage that keys randomness, sampling or identity on data uses these:

- `stable_hash64(*key)`: 64-bit integer digest of a key's parts (random streams, sampling keys, ranks);
- `stable_hex128(*key)`: 128-bit hex digest of a key's parts (example ids);
- `mix64(z)`: the splitmix64 finaliser, a fast bijective scramble of a 64-bit integer, and
  `GOLDEN_GAMMA`, the splitmix64 increment, for generators that step a 64-bit state.
"""

from __future__ import annotations

from hashlib import blake2b

MASK64 = (1 << 64) - 1
GOLDEN_GAMMA = 0x9E3779B97F4A7C15
_SEPARATOR = "\x1f"  # the ASCII unit separator: ("ab", "c") and ("a", "bc") are different keys


def _key_bytes(key: tuple[object, ...]) -> bytes:
    return _SEPARATOR.join(map(str, key)).encode("utf-8")


def stable_hash64(*key: object) -> int:
    """64-bit digest of the key's parts (each part as its `str`): blake2b, little-endian."""
    return int.from_bytes(blake2b(_key_bytes(key), digest_size=8).digest(), "little")


def stable_hex128(*key: object) -> str:
    """128-bit digest of the key's parts (each part as its `str`) as 32 hex digits: blake2b."""
    return blake2b(_key_bytes(key), digest_size=16).hexdigest()


def mix64(z: int) -> int:
    """splitmix64's output function: scrambles a 64-bit integer so that close inputs give unrelated outputs."""
    z &= MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)
