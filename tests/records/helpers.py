"""Helpers for the source and ingestion tests: build configs, read every unit of them."""

from __future__ import annotations

from ecomgpt.records.ingest import Reject, iter_unit
from ecomgpt.records.sources import SourceConfig
from ecomgpt.records.units import plan_units


def read_all(sources, target_units: int = 1, min_unit_bytes: int = 1):
    """(accepted records, rejects) over every planned unit, in unit order."""
    records, rejects = [], []
    for unit in plan_units(list(sources), target_units, min_unit_bytes=min_unit_bytes):
        for item in iter_unit(unit):
            (rejects if isinstance(item, Reject) else records).append(item)
    return records, rejects


def config(**fields) -> SourceConfig:
    fields.setdefault("name", "test_source")
    return SourceConfig.model_validate(fields)
