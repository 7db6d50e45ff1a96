"""Every shipped config file under configs/ loads with its typed model (recursively; none is left out)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecomgpt.config import load_model, load_yaml, parse_model

from .conftest import REPO

CONFIGS = REPO / "configs"
FILES = sorted(CONFIGS.rglob("*.yaml"))


def _load(path: Path) -> None:
    kind = path.relative_to(CONFIGS).parts[0]
    if kind in ("local.yaml", "pipeline"):
        from ecomgpt.pipeline import train_config
        from ecomgpt.pipeline_config import PipelineConfig

        cfg = load_model(PipelineConfig, path)
        if cfg.train is not None:
            assert (REPO / cfg.train.config).is_file()
            train_config(cfg.train.model_copy(update={"config": str(REPO / cfg.train.config)}))
        for ref in (cfg.sweep and cfg.sweep.config, cfg.serve and cfg.serve.config):
            assert ref is None or (REPO / ref).is_file(), ref
    elif kind == "generate":
        from ecomgpt.generate.config import GenerateConfig

        load_model(GenerateConfig, path)
    elif kind == "sources":
        from ecomgpt.records.sources import load_source_config

        load_source_config(str(path))
    elif kind == "train":
        from ecomgpt.train.config import TrainConfig

        load_model(TrainConfig, path)
    elif kind == "evaluate":
        from ecomgpt.evaluate.config import EvaluateConfig

        # The model, held-out directory and output come from the command line.
        data = {**load_yaml(path), "model": "m", "heldout_dir": "h", "output": "o"}
        parse_model(EvaluateConfig, data, str(path))
    elif kind == "sweep":
        from ecomgpt.sweep.config import SweepConfig

        load_model(SweepConfig, path)
    elif kind == "findings":
        from ecomgpt.findings.config import FindingsConfig
        from ecomgpt.findings.run import sweep_config

        sweep_config(load_model(FindingsConfig, path))
    elif kind == "serve":
        from ecomgpt.serve.config import app_config, read_serve_file

        app_config(read_serve_file(path).args, str(path))
    else:
        raise AssertionError(f"{path}: no test loads configs/{kind}/; add it here")


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(CONFIGS)) for p in FILES])
def test_shipped_config_loads(path, monkeypatch):
    monkeypatch.chdir(REPO)  # configs name other configs relative to the repository root
    _load(path)
