"""`ecomgpt findings` end to end with the smoke config (the tiny model, relative paths), and its resume."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from ecomgpt.cli import main
from ecomgpt.findings import stats
from ecomgpt.findings.run import instance_scores
from tests.conftest import HELDOUT, RAW, REPO, needs_shared

pytestmark = [needs_shared(RAW), needs_shared(HELDOUT)]


def _findings(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["findings", "--config", "configs/findings/smoke.yaml", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.slow
def test_findings_end_to_end_then_resume_redoes_nothing(tmp_path, capsys, ray_local, monkeypatch):
    monkeypatch.chdir(REPO)  # the README's form: relative config paths, a relative output
    out = Path("runs") / f"test-findings-{tmp_path.name}"
    try:
        code, printed, err = _findings(capsys, "--output", str(out))
        assert code == 0, err[-3000:]
        report = json.loads((out / "findings.json").read_text())
        a, b, c = (report["findings"][key] for key in "abc")
        # every verdict is its rule applied to the intervals it reports
        assert a["verdict"] == stats.sign_verdict(*a["difference"]["ci"])
        assert b["verdict"] == stats.sign_verdict(*b["difference"]["ci"])
        assert c["verdict"] == stats.curve_verdict(c["task_curve"]["slope"]["ci"], c["slope_difference"]["ci"])
        for power in (a["power"], b["power"], c["power"]["slope_difference"]):
            assert power["seeds"] == 1 and power["mde"] >= power["half_width"] >= 0
        # one seed: the base figure's interval is the t interval of its instances, by hand from its predictions
        base = instance_scores(str(out / "sweep" / "trials" / "base" / "eval"))
        assert report["heldout"]["instances"] == {task: len(values) for task, values in base.items()}
        parts = [np.var(values, ddof=1) / (len(values) * len(base) ** 2) for values in base.values()]
        half = 0.0
        if sum(parts) > 0:
            df = sum(parts) ** 2 / sum(part**2 / (len(v) - 1) for part, v in zip(parts, base.values()) if part > 0)
            half = stats.t_quantile(0.975, df) * math.sqrt(sum(parts))
        mean = float(np.mean([np.mean(values) for values in base.values()]))
        assert a["base"]["ci"] == pytest.approx([100 * (mean - half), 100 * (mean + half)], abs=0.006)
        text = (out / "findings.md").read_text()
        assert "one seed, so these intervals hold instance noise only" in text and "resampled" not in text
        # The ablation's arms trained on what they say: the `without` arm only on original-task rows.
        with_arm, without_arm = b["trained_on"]["with"][0], b["trained_on"]["without"][0]
        assert set(without_arm["train_kinds"]) == {"original"} and without_arm["train_kinds"]["original"] > 0
        assert with_arm["train_kinds"]["atomic"] > 0 and with_arm["train_kinds"].get("original", 0) > 0
        assert with_arm["examples_seen"] == without_arm["examples_seen"]  # the same budget
        assert set(without_arm["train_tasks"]) < set(with_arm["train_tasks"])
        assert [p["n_tasks"] for p in c["task_curve"]["points"]] == [2, 4]
        assert [p["samples_per_task"] for p in c["samples_curve"]["points"]] == [4, 8]
        keys = sorted(p.name for p in (out / "sweep" / "trials").iterdir())
        assert keys == [
            "atomic-with-seed0",
            "atomic-without-seed0",
            "base",
            "tasks2-spt4-seed0",
            "tasks2-spt8-seed0",
            "tasks4-spt4-seed0",
        ]
        assert "# The EcomGPT findings, measured" in printed
        assert (out / "findings.md").is_file()
        for plot in ("findings_base_atomic.png", "findings_curves.png"):
            assert (out / plot).read_bytes()[:4] == b"\x89PNG"

        code, _, err = _findings(capsys, "--output", str(out))
        assert code == 2 and "pass --resume" in err

        results = {p: p.stat().st_mtime_ns for p in (out / "sweep" / "trials").glob("*/result.json")}
        code, printed, err = _findings(capsys, "--output", str(out), "--resume")
        assert code == 0, err[-3000:]
        assert {p: p.stat().st_mtime_ns for p in results} == results  # no trial ran again
        assert json.loads((out / "findings.json").read_text())["findings"]["c"] == c
        assert "up to date" in printed
    finally:
        import shutil

        shutil.rmtree(out, ignore_errors=True)
