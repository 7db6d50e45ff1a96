"""Decontamination against held-out inputs.

An example is contaminated when its input contains a held-out input text, or is contained in one,
after whitespace normalisation, counting only texts of `min_chars` or more characters.
"""

from __future__ import annotations

from collections.abc import Iterable

import ahocorasick


def normalize(text: str) -> str:
    return " ".join(text.split())


class Decontaminator:
    """Answers `is_contaminated(text)` in time linear in the text, whatever the number of held-out texts."""

    def __init__(self, heldout_texts: Iterable[str], min_chars: int = 20) -> None:
        self.min_chars = min_chars
        texts = sorted({t for t in map(normalize, heldout_texts) if len(t) >= min_chars})
        self.size = len(texts)
        # "input contains a held-out text": one Aho-Corasick pass over the input.
        self._automaton = ahocorasick.Automaton()
        for text in texts:
            self._automaton.add_word(text, len(text))
        if texts:
            self._automaton.make_automaton()
        # "input is contained in a held-out text": such an input's first `min_chars` characters are a
        # window of some held-out text; only then is the (slower) substring search run.
        self._windows = {t[i : i + min_chars] for t in texts for i in range(len(t) - min_chars + 1)}
        self._joined = "\x00".join(texts)

    def is_contaminated(self, text: str) -> bool:
        if not self.size:
            return False
        norm = normalize(text)
        if len(norm) < self.min_chars:
            return False
        for _ in self._automaton.iter(norm):
            return True
        return norm[: self.min_chars] in self._windows and norm in self._joined
