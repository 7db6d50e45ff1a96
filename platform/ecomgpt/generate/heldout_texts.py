"""Input texts of an EcomGPT-layout held-out directory, for decontamination."""

from __future__ import annotations

from ecomgpt.records.ingest import Reject, iter_unit
from ecomgpt.records.sources import SourceError, input_source
from ecomgpt.records.units import plan_units


def load_heldout_texts(heldout_dir: str) -> list[str]:
    """Every held-out input text; a malformed held-out line is an error, never silently skipped."""
    source = input_source(heldout_dir)
    if source.format != "ecomgpt":
        raise SourceError(f"{heldout_dir}: not a held-out directory in the EcomGPT layout")
    texts: list[str] = []
    for unit in plan_units([source], 1):
        for item in iter_unit(unit):
            if isinstance(item, Reject):
                raise SourceError(f"{item.file}, {item.location}: {item.detail}")
            texts.append(item.text)  # type: ignore[attr-defined]  # the EcomGPT layout's records carry a text
    return texts
