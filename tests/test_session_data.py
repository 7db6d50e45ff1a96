"""`built_once`: data for the whole test run, built by the first test worker that needs it (tests/conftest.py)."""

from __future__ import annotations

import pytest

from tests.conftest import built_once


def test_built_once_builds_once_and_hands_every_caller_the_same_directory(tmp_path_factory):
    calls = []

    def build(path):
        calls.append(path)
        (path / "data").write_text("x")

    first = built_once(tmp_path_factory, "built-once-ok", build)
    again = built_once(tmp_path_factory, "built-once-ok", build)
    assert first == again and calls == [first] and (first / "data").read_text() == "x"


def test_a_failed_build_is_not_reused(tmp_path_factory):
    def fail(path):
        (path / "partial").write_text("half")
        raise ValueError("the build failed")

    with pytest.raises(ValueError, match="the build failed"):
        built_once(tmp_path_factory, "built-once-failed", fail)
    with pytest.raises(RuntimeError, match="left half-built"):
        built_once(tmp_path_factory, "built-once-failed", lambda path: None)
