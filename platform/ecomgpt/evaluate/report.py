"""Evaluation outputs: metrics.json, a Markdown table and one bar chart PNG per metric."""

from __future__ import annotations

import io

from ecomgpt import storage
from ecomgpt.evaluate.metrics import METRICS

_TITLES = {"rouge_l": "Rouge-L", "micro_f1": "micro-F1", "macro_f1": "macro-F1"}


def markdown_table(metrics: dict) -> str:
    """One row per task and an average row; F1 cells of Generate tasks are `–`."""
    lines = [
        "| task | n | Rouge-L | micro-F1 | macro-F1 |",
        "|---|---:|---:|---:|---:|",
    ]

    def cell(values: dict, metric: str) -> str:
        return f"{100 * values[metric]:.2f}" if metric in values else "–"

    for task, values in metrics["tasks"].items():
        lines.append(f"| {task} | {values['n']} | " + " | ".join(cell(values, m) for m in METRICS) + " |")
    average = metrics["average"]
    lines.append(
        f"| **average** ({average['tasks']} tasks) | | " + " | ".join(cell(average, m) for m in METRICS) + " |"
    )
    return "\n".join(lines) + "\n"


def bar_chart_png(metrics: dict, metric: str) -> bytes | None:
    """Horizontal bars of one metric per task (scores ×100) with the average as a line; None if no task has it."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    items = [(task, values[metric]) for task, values in metrics["tasks"].items() if metric in values]
    if not items:
        return None
    names = [task for task, _ in items]
    scores = [100 * value for _, value in items]
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(items) + 1.4))
    bars = ax.barh(range(len(items)), scores, color="#4c72b0")
    ax.set_yticks(range(len(items)), names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 105)
    ax.set_xlabel(f"{_TITLES[metric]} (×100)")
    average = 100 * metrics["average"][metric]
    ax.axvline(average, color="#c44e52", linestyle="--", label=f"average {average:.2f}")
    ax.bar_label(bars, fmt="%.1f", fontsize=7, padding=2)
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title(f"Held-out {_TITLES[metric]}")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    return buffer.getvalue()


def write_report(output: str, metrics: dict) -> list[str]:
    """metrics.json, metrics.md and <metric>.png under `output`; returns the files written."""
    written = [storage.join(output, "metrics.json"), storage.join(output, "metrics.md")]
    storage.write_json(written[0], metrics)
    storage.write_text(written[1], markdown_table(metrics))
    for metric in METRICS:
        png = bar_chart_png(metrics, metric)
        if png is not None:
            written.append(storage.join(output, f"{metric}.png"))
            storage.write_bytes(written[-1], png)
    return written


def compare(base: dict, tuned: dict) -> dict:
    """Base and fine-tuned metrics of the same tasks side by side, with the fine-tuned / base ratio per metric."""
    tasks = {
        task: {"n": values["n"], "base": base["tasks"][task], "tuned": values}
        for task, values in tuned["tasks"].items()
        if task in base["tasks"]
    }
    ratio = {
        metric: (tuned["average"][metric] / base["average"][metric] if base["average"][metric] > 0 else None)
        for metric in METRICS
        if metric in base["average"] and metric in tuned["average"]
    }
    return {"tasks": tasks, "average": {"base": base["average"], "tuned": tuned["average"]}, "ratio": ratio}


def comparison_table(comparison: dict) -> str:
    """Markdown: per task, each metric of the base model next to the fine-tuned one; the average; the ratio."""
    header = " | ".join(f"{_TITLES[m]} base | {_TITLES[m]} tuned" for m in METRICS)
    lines = [f"| task | n | {header} |", "|---|---:|" + "---:|" * (2 * len(METRICS))]

    def cells(base: dict, tuned: dict) -> str:
        return " | ".join(
            f"{100 * base[m]:.2f} | {100 * tuned[m]:.2f}" if m in base and m in tuned else "– | –" for m in METRICS
        )

    for task, row in comparison["tasks"].items():
        lines.append(f"| {task} | {row['n']} | {cells(row['base'], row['tuned'])} |")
    average = comparison["average"]
    lines.append(f"| **average** ({average['tuned']['tasks']} tasks) | | {cells(average['base'], average['tuned'])} |")
    ratios = ", ".join(
        f"{_TITLES[m]} {value:.2f}x" if value is not None else f"{_TITLES[m]} n/a (base 0)"
        for m, value in comparison["ratio"].items()
    )
    return "\n".join(lines) + f"\n\nfine-tuned / base, average: {ratios}\n"
