"""findings.json, findings.md and the plots next to them."""

from __future__ import annotations

import io
from typing import Any

from ecomgpt import storage

PLOTS = {"ab": "findings_base_atomic.png", "curves": "findings_curves.png"}


def _figure(entry: dict) -> str:
    low, high = entry["ci"]
    return f"{entry['value']:.2f} [{low:.2f}, {high:.2f}]"


def _trained_on(arm: list[dict]) -> str:
    first = arm[0]
    tasks = first.get("train_tasks") or []
    kinds = ", ".join(f"{n:,} {kind}" for kind, n in (first.get("train_kinds") or {}).items())
    labels = first.get("train_label_kinds") or {}
    if set(labels) - {"golden", "unknown"}:
        kinds += "; " + ", ".join(f"{n:,} {kind}-label" for kind, n in labels.items())
    return (
        f"{len(tasks)} tasks, {first.get('train_examples') or 0:,} examples ({kinds}); "
        f"{first.get('examples_seen') or 0:,} examples seen in training"
    )


def _curve_design(c: dict) -> str:
    task_xs = [point["n_tasks"] for point in c["task_curve"]["points"]]
    sample_xs = [point["samples_per_task"] for point in c["samples_curve"]["points"]]
    rows, seen = c["design"]["rows"], c["design"]["examples_seen"]
    return (
        f"- (c) on matched rows: the task curve n = {', '.join(map(str, task_xs))} tasks at "
        f"{c['task_curve']['samples_per_task']} samples per task against the samples curve k = "
        f"{', '.join(map(str, sample_xs))} samples per task at {c['samples_curve']['n_tasks']} tasks: "
        f"{', '.join(f'{r:,}' for r in rows)} training rows at each step on both curves, every trial seeing "
        f"{seen or 0:,} examples; {c['seeds']} seed(s) per point, seed s drawing the nested tasks of every "
        "point."
    )


def _seeds(count: int, which: str) -> str:
    if count == 1:
        return (
            f"{which}: one seed, so these intervals hold instance noise only: how far another training seed "
            "would move a figure is unknown and not in them"
        )
    return (
        f"{which}: {count} seeds, paired across arms (seed s of every arm trained with the same seed), the "
        f"spread of the {count} per-seed figures in the intervals with {count - 1} degree(s) of freedom"
    )


def _all_seeds(findings: dict[str, Any]) -> str:
    ab, c = findings["a"]["seeds"]["tuned"], findings["c"]["seeds"]
    arms = "(a), (b)" + (", (d)" if "d" in findings else "")
    if ab == c:
        return _seeds(ab, f"{arms}, (c)") + "."
    return f"{_seeds(ab, arms)}; {_seeds(c, '(c)')}."


def _intervals(report: dict[str, Any]) -> list[str]:
    findings, heldout = report["findings"], report["heldout"]
    level = f"{100 * report['confidence']:.0f} %"
    sizes = sorted(set(heldout["instances"].values()))
    per_task = str(sizes[0]) if len(sizes) == 1 else f"{sizes[0]} to {sizes[-1]}"
    return [
        (
            f"Average held-out Rouge-L (×100) over the {heldout['tasks']} held-out tasks of {report['heldout_dir']}, "
            f"{per_task} instances each, with {level} intervals: estimate ± k·SE, SE from the spread between "
            "instances (every arm scored on the same instances, so differences are paired) and between seeds, k "
            "from Student's t (see the README). The held-out tasks are fixed: an interval is about these tasks, not "
            "about e-commerce tasks in general; the instances stand for their tasks' instances."
        ),
        _all_seeds(findings),
    ]


def _verdict(finding: dict, power: dict, what: str = "effect") -> str:
    """The verdict; an inconclusive one with the smallest effect this design would have found."""
    if finding["verdict"] != "inconclusive":
        return f"**{finding['verdict']}**"
    return f"**inconclusive**: no {what} larger than ±{power['mde']:.2f} detectable at this size"


def _power(power: dict) -> str:
    return f"±{power['half_width']:.2f} | {power['mde']:.2f} | {100 * power['seed_share']:.0f} %"


def _power_note(report: dict[str, Any]) -> list[str]:
    family, level = report["family"], report["confidence"]
    tail = 100 * (1 - level) / 2
    return [
        (
            f"Half-width: of the {100 * level:.0f} % interval of the difference the verdict reads (for (c) the slope "
            f"difference). MDE: the minimum detectable effect at 80 % power, (k(1 − α/2) + k(0.8))·SE with SE and "
            "the multipliers k of that interval (Student's t with the design's degrees of freedom): a true effect "
            "of that size is called `reproduced` in 80 % of runs of this design. Seeds: the seeds' share of the "
            "difference's variance (the rest is instance noise)."
        ),
        "",
        (
            f"Across the {family['verdicts']} verdicts, the chance that at least one claim whose true effect is 0 or "
            f"below is called `reproduced` is at most {family['verdicts']} × {tail:.1f} % = "
            f"{100 * family['false_reproduced_at_most']:.1f} % (each interval's upper tail; the bound holds however "
            "the verdicts depend on each other — (a) and (b) share the `with` arm)."
        ),
    ]


def markdown(report: dict[str, Any]) -> str:
    findings = report["findings"]
    a, b, c = findings["a"], findings["b"], findings["c"]
    c_power = c["power"]["slope_difference"]
    lines = [
        "# The EcomGPT findings, measured",
        "",
        *_intervals(report),
        "",
        f"Wall time {report['wall_s']:.0f} s ({report['trial_wall_s']:.0f} s in trials).",
        "",
        "| finding | claim | measured | half-width | MDE (80 %) | seeds | verdict |",
        "|---|---|---|---:|---:|---:|---|",
        (
            f"| (a) | {a['claim']} | base {_figure(a['base'])}, fine-tuned {_figure(a['tuned'])}; "
            f"difference {_figure(a['difference'])} | {_power(a['power'])} | {_verdict(a, a['power'])} |"
        ),
        (
            f"| (b) | {b['claim']} | with {_figure(b['with'])}, without {_figure(b['without'])}; "
            f"difference {_figure(b['difference'])} | {_power(b['power'])} | {_verdict(b, b['power'])} |"
        ),
        (
            f"| (c) | {c['claim']} | slope per ln(tasks) {_figure(c['task_curve']['slope'])}, per ln(samples) "
            f"{_figure(c['samples_curve']['slope'])}; difference {_figure(c['slope_difference'])} | "
            f"{_power(c_power)} | "
            f"{_verdict(c, c_power, 'slope difference')} |"
        ),
    ]
    d = findings.get("d")
    if d is not None:
        lines.append(
            f"| (d) | {d['claim']} | golden {_figure(d['golden'])}, pseudo {_figure(d['pseudo'])}, both "
            f"{_figure(d['both'])}; both − golden {_figure(d['difference'])}, pseudo − golden "
            f"{_figure(d['pseudo_minus_golden'])} | {_power(d['power'])} | {_verdict(d, d['power'])} |"
        )
    lines += [
        "",
        *_power_note(report),
        "",
        "Rules, fixed before the run: "
        + "; ".join(f"({key}) {findings[key]['rule']}" for key in sorted(findings))
        + ".",
        "",
        f"![base, fine-tuned, with and without atomic tasks]({PLOTS['ab']})",
        f"![held-out score against task count and samples per task]({PLOTS['curves']})",
        "",
        "## What each arm trained on",
        "",
        f"- (a) base: `{a['base_model']}`, untrained; fine-tuned: the (b) `with` arm, {a['seeds']['tuned']} seed(s).",
        f"- (b) with atomic tasks: {_trained_on(b['trained_on']['with'])}.",
        (
            f"- (b) without atomic tasks (datasets' original tasks only, `atomic = false`): "
            f"{_trained_on(b['trained_on']['without'])}."
        ),
    ]
    if d is not None:
        lines += [
            f"- (d) {arm} labels (atomic tasks only): {_trained_on(d['trained_on'][arm])}."
            for arm in ("golden", "pseudo", "both")
        ]
    lines += [
        _curve_design(c),
        "",
        "| curve | x | Rouge-L | train examples |",
        "|---|---:|---:|---:|",
    ]
    for name, axis in (("task_curve", "n_tasks"), ("samples_curve", "samples_per_task")):
        for point in c[name]["points"]:
            lines.append(f"| {axis} | {point[axis]} | {_figure(point)} | {point['train_examples'] or 0:,} |")
    lines += [
        "",
        "## Trials",
        "",
        "| trial | Rouge-L | micro-F1 | examples seen | final loss | wall s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in report["trials"]:
        loss = row.get("final_loss")
        lines.append(
            f"| {row['trial']} | {100 * row['avg_rouge_l']:.2f} | {100 * (row.get('avg_micro_f1') or 0):.2f} | "
            f"{row.get('examples_seen') or 0:,} | {'' if loss is None else f'{loss:.3f}'} | {row['wall_s']:.0f} |"
        )
    return "\n".join(lines) + "\n"


def _errorbar(ax, xs, entries, **kwargs) -> None:
    ys = [entry["value"] for entry in entries]
    below = [entry["value"] - entry["ci"][0] for entry in entries]
    above = [entry["ci"][1] - entry["value"] for entry in entries]
    ax.errorbar(xs, ys, yerr=[below, above], capsize=4, **kwargs)


def _png(fig) -> bytes:
    from matplotlib import pyplot as plt

    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    return buffer.getvalue()


def plots(findings: dict[str, Any]) -> dict[str, bytes]:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    a, b, c = findings["a"], findings["b"], findings["c"]
    fig, ax = plt.subplots(figsize=(6, 4))
    bars = [("base", a["base"]), ("fine-tuned\n(with atomic)", b["with"]), ("without\natomic", b["without"])]
    _errorbar(ax, range(len(bars)), [entry for _, entry in bars], fmt="o", markersize=8)
    ax.set_xticks(range(len(bars)), [label for label, _ in bars])
    ax.set_xlim(-0.5, len(bars) - 0.5)
    ax.set_ylabel("average held-out Rouge-L (×100)")
    ax.grid(alpha=0.3)
    ab = _png(fig)

    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for ax, name, axis, label in (
        (axes[0], "task_curve", "n_tasks", "number of training tasks"),
        (axes[1], "samples_curve", "samples_per_task", "samples per task"),
    ):
        points = c[name]["points"]
        xs = [point[axis] for point in points]
        _errorbar(ax, xs, points, marker="o")
        ax.set_xscale("log")
        ax.set_xticks(xs, [str(x) for x in xs])
        ax.minorticks_off()
        ax.set_xlabel(label)
        ax.grid(alpha=0.3)
        slope = c[name]["slope"]
        ax.set_title(f"slope per ln(x): {_figure(slope)}", fontsize=9)
    axes[0].set_ylabel("average held-out Rouge-L (×100)")
    return {"ab": ab, "curves": _png(fig)}


def write_report(output: str, report: dict[str, Any]) -> None:
    storage.write_json(storage.join(output, "findings.json"), report)
    storage.write_text(storage.join(output, "findings.md"), markdown(report))
    for key, png in plots(report["findings"]).items():
        storage.write_bytes(storage.join(output, PLOTS[key]), png)
