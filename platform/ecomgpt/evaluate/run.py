"""`ecomgpt evaluate`: held-out tasks -> predictions (a model on Ray Data, or a file) -> metrics and reports."""

from __future__ import annotations

import time
from typing import Any

import orjson

from ecomgpt import models, storage
from ecomgpt.evaluate.config import EvaluateConfig
from ecomgpt.evaluate.heldout import (
    EvalTask,
    first_instances,
    load_heldout,
    select_tasks,
)
from ecomgpt.evaluate.metrics import (
    average_metrics,
    normalize_prediction,
    score_instance,
    task_metrics,
)
from ecomgpt.evaluate.predictions import match_predictions, read_predictions
from ecomgpt.evaluate.report import write_report
from ecomgpt.manifests import stage_manifest, write_manifest


def model_predictions(cfg: EvaluateConfig, tasks: list[EvalTask]) -> tuple[dict[tuple[str, int], dict[str, Any]], str]:
    """Every instance's answer generated with the model (needs a Ray session), and the weights' dtype that
    generated them (`generation.dtype: auto` resolved by each actor for its hardware; several joined by ", ")."""
    from ecomgpt.evaluate.generation import generate_answers

    rows = [
        {"task": task.name, "index": i.index, "prompt": i.prompt, "max_new_tokens": cfg.generation.budget(task.type)}
        for task in tasks
        for i in task.instances
    ]
    answers = generate_answers(rows, cfg.model or "", cfg.generation)
    dtype = ", ".join(sorted({row["dtype"] for row in answers}))
    return {
        (row["task"], row["index"]): {
            "prediction": row["prediction"],
            "raw": row["raw"],
            "new_tokens": row["new_tokens"],
            "truncated": bool(row["truncated"]),
        }
        for row in answers
    }, dtype


def file_predictions(cfg: EvaluateConfig) -> tuple[list[EvalTask], dict[tuple[str, int], dict[str, Any]]]:
    """The tasks under evaluation and their predictions from `cfg.predictions`, checked instance by instance."""
    everything = load_heldout(cfg.heldout_dir)
    known = {task.name: len(task.instances) for task in everything}
    chosen = select_tasks({task.name: task for task in everything}, cfg.tasks, cfg.heldout_dir)
    tasks = [first_instances(task, cfg.limit) for task in chosen]
    path = cfg.predictions or ""
    matched = match_predictions(read_predictions(path), known, tasks, path)
    return tasks, {key: {"prediction": normalize_prediction(text)} for key, text in matched.items()}


def score(tasks: list[EvalTask], predicted: dict[tuple[str, int], dict[str, Any]]) -> tuple[dict, list[dict]]:
    """metrics.json's content and one scored row per instance."""
    per_task: dict[str, dict] = {}
    rows: list[dict] = []
    for task in tasks:
        scores = []
        for instance in task.instances:
            found = predicted[(task.name, instance.index)]
            result = score_instance(found["prediction"], instance.reference, task.type, task.sep)
            scores.append(result)
            row = {
                "task": task.name,
                "index": instance.index,
                **found,
                "reference": instance.reference,
                "rouge_l": result.rouge_l,
            }
            if result.f1 is not None:
                row["f1"] = result.f1
            rows.append(row)
        per_task[task.name] = task_metrics(scores)
    return {"tasks": per_task, "average": average_metrics(per_task)}, rows


def absolute_paths(cfg: EvaluateConfig) -> EvaluateConfig:
    """The config with its local paths made absolute, as the actors that load the model need them."""
    update = {"heldout_dir": storage.absolute(cfg.heldout_dir), "output": storage.absolute(cfg.output)}
    if cfg.model is not None:
        update["model"] = models.locate(cfg.model)
    if cfg.predictions is not None:
        update["predictions"] = storage.absolute(cfg.predictions)
    return cfg.model_copy(update=update)


def _adapter_base(model: str | None) -> str | None:
    """A LoRA adapter's base model (None for a full model or no model)."""
    if model is None:
        return None
    base, adapter = models.split_adapter(model)
    return base if adapter else None


def run_evaluate(cfg: EvaluateConfig) -> dict:
    """Evaluate and write predictions.jsonl, metrics.json, metrics.md, <metric>.png and manifest.json."""
    started = time.perf_counter()
    cfg = absolute_paths(cfg)
    if cfg.model is not None:
        models.check(cfg.model)
        tasks = load_heldout(cfg.heldout_dir, cfg.tasks, cfg.limit)
        loaded = time.perf_counter()
        predicted, dtype = model_predictions(cfg, tasks)
    else:
        tasks, predicted = file_predictions(cfg)
        dtype = None
        loaded = time.perf_counter()
    generated = time.perf_counter()
    metrics, rows = score(tasks, predicted)
    scored = time.perf_counter()
    storage.write_bytes(
        storage.join(cfg.output, "predictions.jsonl"), b"".join(orjson.dumps(row) + b"\n" for row in rows)
    )
    files = write_report(cfg.output, metrics)
    instances = len(rows)
    inputs = {
        "model": cfg.model,
        "base_model": _adapter_base(cfg.model),
        "predictions": cfg.predictions,
        "heldout_dir": cfg.heldout_dir,
    }
    fields = {
        # The weights' dtype that generated (`generation.dtype: auto` resolved by each actor's hardware).
        "dtype": dtype,
        "counts": {
            "tasks": len(tasks),
            "instances": instances,
            "prompts_truncated": sum(1 for row in rows if row.get("truncated")),
        },
        "timings": {
            "load_s": round(loaded - started, 3),
            "generate_s": round(generated - loaded, 3),
            "score_s": round(scored - generated, 3),
            "prompts_per_s": round(instances / max(generated - loaded, 1e-9), 3) if cfg.model else None,
        },
        "outputs": ["predictions.jsonl", *[path.rsplit("/", 1)[-1] for path in files]],
    }
    write_manifest(cfg.output, stage_manifest("evaluate", cfg, inputs, fields, packages=("torch", "transformers")))
    return metrics
