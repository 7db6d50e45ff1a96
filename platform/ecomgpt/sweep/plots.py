"""Scaling curves like the paper's: held-out score against task count and against samples per task."""

from __future__ import annotations

import io
from collections import defaultdict


def _mean_points(rows: list[dict], x_key: str, line_key: str, metric: str) -> dict[int, list[tuple[int, float]]]:
    """line value -> sorted (x, mean metric over seeds and other axes) points."""
    sums: dict[tuple[int, int], list[float]] = defaultdict(list)
    for row in rows:
        sums[(row[line_key], row[x_key])].append(row[metric])
    lines: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for (line, x), values in sorted(sums.items()):
        lines[line].append((x, sum(values) / len(values)))
    return dict(lines)


def scaling_plot_png(rows: list[dict], x_key: str, line_key: str, metric: str = "avg_rouge_l") -> bytes:
    """One line per value of `line_key`, `metric` ×100 against `x_key` on a log x axis."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    labels = {"n_tasks": "number of training tasks", "samples_per_task": "samples per task"}
    fig, ax = plt.subplots(figsize=(6, 4))
    top = 0.0
    for line, points in _mean_points(rows, x_key, line_key, metric).items():
        xs, ys = zip(*points)
        ax.plot(xs, [100 * y for y in ys], marker="o", label=f"{line_key} = {line}")
        top = max(top, 100 * max(ys))
    ax.set_ylim(0, max(1.0, top * 1.15))
    ax.set_xscale("log")
    xs_all = sorted({row[x_key] for row in rows})
    ax.set_xticks(xs_all, [str(x) for x in xs_all])
    ax.minorticks_off()
    ax.set_xlabel(labels.get(x_key, x_key))
    ax.set_ylabel("average held-out Rouge-L (×100)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    return buffer.getvalue()
