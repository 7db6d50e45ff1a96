"""Planning checks that need the task registry: a source's original tasks."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecomgpt.generate.config import GenerateConfig
from ecomgpt.generate.plan import resolve_sources
from ecomgpt.records.sources import SourceError

BASE = "name: s\npath: data.jsonl\nformat: jsonl\ndata_type: review\nlang: en\nmapping: {text: body}\n"


def _config(tmp_path: Path, original_tasks: str) -> GenerateConfig:
    path = tmp_path / "source.yaml"
    path.write_text(BASE + f"original_tasks: {original_tasks}\n", encoding="utf-8")
    return GenerateConfig(sources=[str(path)])


@pytest.mark.parametrize(
    ("tasks", "message"),
    [
        ("[review.rating_predict]", r"source\.yaml: original_tasks: 'review.rating_predict' is not a registered task"),
        ("[product.brand_extraction]", r"'product.brand_extraction' is a product task; this source gives review"),
        ("[review.rating_prediction, review.rating_prediction]", "must not repeat"),
    ],
)
def test_bad_original_tasks_fail_at_planning_naming_the_file(tmp_path, tasks, message):
    with pytest.raises(SourceError, match=message):
        resolve_sources(_config(tmp_path, tasks))


def test_good_original_tasks_plan(tmp_path):
    (source,) = resolve_sources(_config(tmp_path, "[review.rating_prediction]"))
    assert source.original_tasks == ["review.rating_prediction"]
