"""The readable summary table that ends a `generate` run."""

from __future__ import annotations


def summary_table(manifest: dict) -> str:
    """Tasks x languages x counts (generated, held_in, held_out), then the run's totals."""
    header = ("task", "lang", "generated", "held_in", "held_out")
    rows: list[tuple[str, ...]] = []
    generated = manifest["generated_by_task"]
    out = manifest["tasks"]
    for task in sorted(set(generated) | set(out)):
        for lang in sorted(set(generated.get(task, {})) | set(out.get(task, {}))):
            splits = out.get(task, {}).get(lang, {})
            rows.append(
                (
                    task,
                    lang,
                    f"{generated.get(task, {}).get(lang, 0):,}",
                    f"{splits.get('held_in', 0):,}",
                    f"{splits.get('held_out', 0):,}",
                )
            )
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    rejected = ", ".join(f"{k} {v:,}" for k, v in manifest["rejected_by_reason"].items()) or "none"
    lines = [line(header), line(tuple("-" * w for w in widths)), *map(line, rows), ""]
    lines += [
        (
            f"records: {manifest['records_in']:,} in, {manifest['records_accepted']:,} accepted, "
            f"{manifest['records_rejected']:,} rejected ({rejected})"
        ),
        (
            f"examples: {manifest['examples_generated']:,} generated, {manifest['dedup_dropped']:,} duplicates, "
            f"{manifest['decontaminated_dropped']:,} contaminated, {manifest['capped_dropped']:,} over the cap, "
            f"{manifest['examples_out']:,} written ({manifest['splits'].get('held_in', 0):,} held_in, "
            f"{manifest['splits'].get('held_out', 0):,} held_out)"
        ),
        (
            f"tasks: {len(out)}   content hash: {manifest['content_hash'][:16]}   "
            f"time: {manifest['timings']['total_s']:.1f} s"
        ),
    ]
    teacher = manifest.get("teacher")
    if teacher and teacher.get("totals"):
        t = teacher["totals"]
        lines.append(
            f"teacher {teacher['model']}: {t['pairs']:,} pairs, {t['cached']:,} cached, {t['asked']:,} asked, "
            f"{t['not_asked']:,} over the budget, {t['failed']:,} failed, {t['accepted']:,} accepted, "
            f"{t['rejected']:,} rejected"
        )
    return "\n".join(lines)
