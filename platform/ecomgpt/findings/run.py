"""`ecomgpt findings`: the EcomGPT paper's findings measured with this platform, on Ray Tune.

    from ecomgpt.findings.run import run_findings
    findings = run_findings(cfg, "runs/findings", resume=False)

(a) base vs fine-tuned, (b) with vs without the atomic tasks at the same budget, (c) held-out score against
the number of training tasks and against samples per task, and, when a teacher labels the data, (d) golden vs
pseudo-labelled atomic tasks at the same budget. The data comes from the pipeline's synth and
generate stages (`<output>/records`, `<output>/data`) unless `data.dir` names a generate run; every trial is
a point of one sweep (`<output>/sweep/trials/<key>`, the sweep stage: train -> evaluate, finished trials never redone),
and `findings.json`, `findings.md` and the plots are computed from the trials' per-instance scores.
"""

from __future__ import annotations

import time
from collections import defaultdict

import orjson

from ecomgpt import storage
from ecomgpt.findings.analysis import analyse
from ecomgpt.findings.config import FindingsConfig
from ecomgpt.findings.keys import BASE, LABEL_ARMS, FindingsError, arm_key, curve_key, label_key
from ecomgpt.findings.report import write_report
from ecomgpt.manifests import read_manifest
from ecomgpt.sweep.config import PointConfig, SweepConfig

SWEEP = "sweep"  # the trials' sweep, under the output
DATA_RECORD = "findings-data.json"  # the content hash of the data the trials train on


def curve_points(cfg: FindingsConfig) -> list[tuple[int, int]]:
    """(n_tasks, samples_per_task) of every curve point; the curves share one."""
    tasks = [(n, cfg.task_curve.samples_per_task) for n in cfg.task_curve.n_tasks]
    samples = [(cfg.samples_curve.n_tasks, s) for s in cfg.samples_curve.samples_per_task]
    return list(dict.fromkeys(tasks + samples))


def findings_points(cfg: FindingsConfig) -> list[PointConfig]:
    """Every trial: the base model, both ablation arms per seed, every curve point per curve seed."""
    cap = cfg.ablation.samples_per_task
    points = [PointConfig(key=BASE, train=False, samples_per_task=cap, seed=cfg.seeds[0])]
    for seed in cfg.seeds:
        points.append(PointConfig(key=arm_key("with", seed), samples_per_task=cap, seed=seed))
        points.append(PointConfig(key=arm_key("without", seed), samples_per_task=cap, seed=seed, atomic=False))
    if cfg.label_arms:
        # (d) atomic tasks only (the golden-vs-pseudo comparison is about atomic-task labels), the (b) cap
        for seed in cfg.seeds:
            for arm, kind in LABEL_ARMS.items():
                points.append(
                    PointConfig(key=label_key(arm, seed), samples_per_task=cap, seed=seed, atomic=True, label_kind=kind)
                )
    for seed in cfg.curve_seeds:
        for n, s in curve_points(cfg):
            points.append(PointConfig(key=curve_key(n, s, seed), n_tasks=n, samples_per_task=s, seed=seed))
    return points


def sweep_config(cfg: FindingsConfig) -> SweepConfig:
    evaluate = cfg.evaluate.model_copy(update={"heldout_dir": cfg.heldout_dir})
    return SweepConfig(
        name=cfg.name,
        train=cfg.train,
        train_overrides=cfg.train_overrides,
        points=findings_points(cfg),
        evaluate=evaluate,
        max_concurrent_trials=cfg.max_concurrent_trials,
        max_failures=cfg.max_failures,
        metric=cfg.metric,
    )


def build_data(cfg: FindingsConfig, output: str) -> str:
    """The pipeline's synth and generate stages into `output` (up to date on a re-run); the data directory."""
    from ecomgpt.pipeline import run_pipeline
    from ecomgpt.pipeline_config import HeldoutConfig, PipelineConfig
    from ecomgpt.pipeline_stages import STAGE_DIRS

    pipeline = PipelineConfig(
        output=output,
        synth=cfg.data.synth,
        heldout=HeldoutConfig(dir=cfg.heldout_dir),
        generate=cfg.data.generate,
    )
    run_pipeline(pipeline)
    return storage.join(output, STAGE_DIRS["generate"])


def instance_scores(eval_dir: str, metric: str = "rouge_l") -> dict[str, list[float]]:
    """task -> per-instance scores in instance order, from an evaluation's predictions.jsonl."""
    rows = [
        orjson.loads(line)
        for line in storage.read_text(storage.join(eval_dir, "predictions.jsonl")).splitlines()
        if line.strip()
    ]
    by_task: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for row in rows:
        by_task[row["task"]].append((row["index"], row[metric]))
    return {task: [score for _, score in sorted(items)] for task, items in sorted(by_task.items())}


def check_output(output: str, resume: bool) -> None:
    """A findings directory is finished with --resume only; any other directory must be new or empty
    (--resume on a fresh one starts it)."""
    ours = [
        storage.join(output, SWEEP, "sweep.json"),
        storage.join(output, DATA_RECORD),
        storage.join(output, "pipeline.json"),
    ]
    if any(storage.exists(path) for path in ours):
        if not resume:
            raise FindingsError(f"{output}: holds a findings run; pass --resume to finish it or choose another")
    elif storage.exists(output) and not storage.is_empty_dir(output):
        raise FindingsError(f"{output}: not empty and holds no findings run; choose an empty directory")


def check_same_data(output: str, data_dir: str) -> None:
    """Every trial of one findings run trains on the same data: its content hash is recorded by the first
    run and a resumed run whose data changed since (an edited config, a replaced raw file) is refused."""
    if storage.manifest_stage(data_dir) != "generate":
        raise FindingsError(f"{data_dir}: no {storage.MANIFEST_FILE} of a finished `ecomgpt generate` run")
    content = read_manifest(data_dir)["content_hash"]
    record = storage.join(output, DATA_RECORD)
    if storage.exists(record):
        first = storage.read_json(record)["content_hash"]
        if first != content:
            raise FindingsError(
                f"{data_dir}: the data changed since this findings run's first trials ({first} -> {content}); "
                "its trials would not be comparable: use a new --output"
            )
        return
    storage.write_json(record, {"data_dir": data_dir, "content_hash": content})


def run_findings(cfg: FindingsConfig, output: str, *, resume: bool = False, address: str | None = None) -> dict:
    """Run (or, with resume, finish) every trial and write findings.json, findings.md and the plots."""
    from ecomgpt.runtime import ray_session
    from ecomgpt.sweep.run import plan_sweep, run_sweep

    started = time.perf_counter()
    output = storage.absolute(output)
    check_output(output, resume)
    with ray_session(address):
        data_dir = storage.absolute(cfg.data.dir) if cfg.data.dir else build_data(cfg, output)
        check_same_data(output, data_dir)
        where = storage.join(output, SWEEP)
        plan = plan_sweep(sweep_config(cfg), data_dir, where, resume=storage.exists(storage.join(where, "sweep.json")))
        rows = run_sweep(plan)
    scores = {row["trial"]: instance_scores(row["eval_dir"], cfg.metric) for row in rows}
    findings = analyse(cfg, {row["trial"]: row for row in rows}, scores)
    findings.update(
        wall_s=round(time.perf_counter() - started, 1),
        trial_wall_s=round(sum(r["wall_s"] for r in rows), 1),
        data_dir=data_dir,
        heldout_dir=plan.heldout_dir,
        config=cfg.model_dump(mode="json"),
    )
    write_report(output, findings)
    return findings
