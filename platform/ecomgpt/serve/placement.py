"""Which served models share one base model: the groups a model replica loads as one.

A served model is a full checkpoint or a LoRA adapter directory (`ecomgpt.adapters`). Adapters of one base
model, and that base model when it is served too, form a group: a replica holds one copy of the base
weights and each adapter's LoRA weights beside it, and a batch answers requests for any of them in one
`generate` call, each row with its own adapter (PEFT mixed-adapter batches). Any other checkpoint is a
group of its own. A group's id, its first served name, is the Serve multiplexed model id: requests for
every model of a group go to the replicas that hold it, and `max_models_per_replica` counts groups.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ecomgpt import adapters, models


@dataclass(frozen=True)
class Served:
    """One served name: its group, and its adapter in that group (None: the group's base model)."""

    name: str
    group: str
    adapter: str | None
    base: str | None  # an adapter's base model: its served name when served, else as the adapter names it


@dataclass(frozen=True)
class Group:
    """What a replica loads for a group: the base model and the adapters (served name -> directory)."""

    id: str
    base: str
    adapters: Mapping[str, str]


@dataclass(frozen=True)
class Placement:
    served: Mapping[str, Served]
    groups: Mapping[str, Group]


def place(served_models: Mapping[str, str]) -> Placement:
    """The groups of `served_models` (served name -> located checkpoint or adapter directory)."""
    by_base: dict[str, list[tuple[str, str | None]]] = {}
    named_base: dict[str, str] = {}
    for name, location in sorted(served_models.items()):
        base, adapter = models.split_adapter(location)
        key = models.locate(base)
        by_base.setdefault(key, []).append((name, adapter))
        if adapter is not None:
            named_base[name] = adapters.read_adapter(adapter).base
    served: dict[str, Served] = {}
    groups: dict[str, Group] = {}
    for base, members in by_base.items():
        group_id = members[0][0]
        full = [name for name, adapter in members if adapter is None]
        groups[group_id] = Group(group_id, base, {name: adapter for name, adapter in members if adapter})
        for name, adapter in members:
            shown = None if adapter is None else (full[0] if full else named_base[name])
            served[name] = Served(name, group_id, name if adapter else None, shown)
    return Placement(served, groups)
