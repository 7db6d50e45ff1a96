"""One task registry: golden and pseudo-label tasks side by side, selected by `label_kind`."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ecomgpt.tasks.pseudo.registry import labelling_of
from ecomgpt.tasks.registry import UnknownTaskError, all_tasks, check_spec, get_task, resolve_tasks


def test_label_kind_selects_the_tasks() -> None:
    golden, pseudo, both = all_tasks(), all_tasks(label_kind="pseudo"), all_tasks(label_kind=None)
    assert golden and pseudo and {s.name for s in both} == {s.name for s in golden} | {s.name for s in pseudo}
    assert all(s.label_kind == "golden" and s.fn is not None and s.labelling is None for s in golden)
    assert all(s.label_kind == "pseudo" and s.fn is None and labelling_of(s).guide for s in pseudo)
    assert all(s.version >= 1 for s in both)
    name = pseudo[0].name
    assert get_task(name, label_kind=None) is get_task(name, label_kind="pseudo") is pseudo[0]
    with pytest.raises(UnknownTaskError, match=f"unknown task '{name}'; known tasks"):
        get_task(name)
    with pytest.raises(UnknownTaskError, match="unknown pseudo-label task"):
        resolve_tasks([golden[0].name], label_kind="pseudo")
    with pytest.raises(ValueError, match="is a golden task, not a pseudo-label task"):
        labelling_of(golden[0])


def test_a_spec_is_golden_with_a_generator_or_pseudo_with_a_labelling_spec() -> None:
    golden, pseudo = all_tasks()[0], all_tasks(label_kind="pseudo")[0]
    check_spec(golden)
    check_spec(pseudo)
    for bad in (
        replace(golden, labelling=pseudo.labelling),
        replace(golden, fn=None),
        replace(pseudo, label_kind="golden"),
        replace(pseudo, fn=golden.fn),
    ):
        with pytest.raises(ValueError, match="a golden task has a generator, a pseudo-label task a labelling spec"):
            check_spec(bad)
    with pytest.raises(ValueError, match="version must be at least 1"):
        check_spec(replace(golden, version=0))
