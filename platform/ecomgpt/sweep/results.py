"""A sweep's outputs: results.json/.csv (one row per trial), scaling plots, fit.json and summary.md."""

from __future__ import annotations

import csv
import io

from ecomgpt import storage
from ecomgpt.sweep.fit import fit_table, grid_rows
from ecomgpt.sweep.plots import scaling_plot_png

BASE_COLUMNS = (
    "trial",
    "train_config",
    "n_tasks",
    "samples_per_task",
    "seed",
    "lora_r",
    "avg_rouge_l",
    "avg_micro_f1",
    "avg_macro_f1",
    "train_examples",
    "examples_seen",
    "train_tokens",
    "final_loss",
    "wall_s",
    "checkpoint",
)


def csv_text(rows: list[dict]) -> str:
    """Base columns, then `<metric>[<task>]` for every held-out task's metric."""
    task_columns = sorted(
        {
            f"{metric}[{task}]"
            for row in rows
            for task, values in row["tasks"].items()
            for metric in values
            if metric != "n"
        }
    )
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=[*BASE_COLUMNS, *task_columns], lineterminator="\n")
    writer.writeheader()
    for row in rows:
        flat = {column: row.get(column) for column in BASE_COLUMNS}
        for task, values in row["tasks"].items():
            flat.update({f"{metric}[{task}]": value for metric, value in values.items() if metric != "n"})
        writer.writerow(flat)
    return buffer.getvalue()


def summary_markdown(rows: list[dict], fit: dict, wall_s: float) -> str:
    metric = fit["metric"]
    lines = [
        (
            f"# Scaling sweep: {len(rows)} trials, {sum(row['wall_s'] for row in rows):.0f} s of trial time "
            f"(this run: {wall_s:.0f} s)"
        ),
        "",
        f"| n_tasks | samples/task | seed | avg {metric} | train tokens | final loss | wall s |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        loss = row.get("final_loss")
        lines.append(
            f"| {row['n_tasks'] or 'all'} | {row['samples_per_task'] or 'all'} | {row['seed']} | "
            f"{100 * row[f'avg_{metric}']:.2f} | "
            f"{row.get('train_tokens') or 0:,} | {'' if loss is None else f'{loss:.3f}'} | {row['wall_s']:.0f} |"
        )
    lines += ["", f"Fitted trends, {metric} ≈ a + b·ln(x):", ""]
    for axis in ("n_tasks", "samples_per_task"):
        trend = fit[axis]
        if trend is None:
            lines.append(f"- {axis}: no trial with a task count and a per-task cap")
            continue
        r2 = "n/a (constant scores)" if trend["r2"] is None else f"{trend['r2']:.3f}"
        lines.append(f"- {axis}: a = {trend['a']:.4f}, b = {trend['b']:.4f}, R² = {r2} ({trend['points']} points)")
    return "\n".join(lines) + "\n"


def write_results(output: str, rows: list[dict], metric: str, wall_s: float) -> dict:
    """Write every output file; returns the fit."""
    if not rows:
        raise ValueError("a sweep with no finished trial has no results")
    fit = fit_table(rows, metric)
    storage.write_json(storage.join(output, "results.json"), rows)
    storage.write_text(storage.join(output, "results.csv"), csv_text(rows))
    storage.write_json(storage.join(output, "fit.json"), fit)
    storage.write_text(storage.join(output, "summary.md"), summary_markdown(rows, fit, wall_s))
    for x_key, line_key in (("n_tasks", "samples_per_task"), ("samples_per_task", "n_tasks")):
        if fit[x_key] is None:
            continue
        png = scaling_plot_png(grid_rows(rows), x_key, line_key, f"avg_{metric}")
        storage.write_bytes(storage.join(output, f"{metric}_vs_{x_key}.png"), png)
    return fit
