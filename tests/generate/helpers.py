"""Helpers for the generate tests: the global step of `generate` on plain rows, without Ray."""

from __future__ import annotations

from collections import defaultdict

from ecomgpt.generate.finalize import OutputDigest, candidates_table, dedup_and_cap


def final_rows(candidates: list[dict], cap: int | None, heldout_tasks: frozenset[str]) -> dict[str, list[dict]]:
    """Per task, what `generate` writes from these candidates: exact dedup, cap and split."""
    by_task = defaultdict(list)
    for row in candidates:
        by_task[row["task"]].append(row)
    return {
        task: dedup_and_cap(candidates_table(rows), cap, heldout_tasks).to_pylist()
        for task, rows in sorted(by_task.items())
    }


def digest(final: dict[str, list[dict]]) -> OutputDigest:
    """The counts and content hash `generate` puts in its manifest, for these rows."""
    out = OutputDigest()
    for rows in final.values():
        out.add({name: [row[name] for row in rows] for name in rows[0]})
    return out
