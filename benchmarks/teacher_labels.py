"""Pseudo labels per second of a local teacher, and the accept rate per pseudo-label task.

    .venv/bin/python benchmarks/teacher_labels.py [--teacher smollm2-135m-instruct] [--records 400] \
        [--per-task 24] [--workdir /tmp/bench-teacher]

Synthetic records of the four raw data types (dialogue turns stripped of their intent labels, so they are raw
turns), then `ecomgpt generate` with the teacher stage on: every pseudo-label task labels the `--per-task`
records of smallest key, with an empty cache, through the Ray Data actor pool (one actor per free CPU, the
model loaded once per actor, prompted in the format `prompt_format: auto` picks, greedy decoding). The main
pass generates one cheap golden task only. Prints one JSON line: the prompt format, labels/s over the
labelling step, the accept rate per task and the rejects by reason.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

from ecomgpt import storage
from ecomgpt.generate.config import GenerateConfig
from ecomgpt.generate.plan import plan_generate
from ecomgpt.generate.run import run_generate
from ecomgpt.records.synth import write_synthetic
from ecomgpt.runtime import ray_session


def raw_records(n: int, out: Path) -> str:
    """`n` synthetic records with the dialogue turns' intents and slots removed."""
    write_synthetic(n, 0, str(out / "synth"), "jsonl", n)
    raw = out / "raw"
    raw.mkdir(parents=True)
    with (raw / "records.jsonl").open("w", encoding="utf-8") as sink:
        for path in sorted((out / "synth").glob("*.jsonl")):
            for line in path.read_text(encoding="utf-8").splitlines():
                record = json.loads(line)
                if record["data_type"] == "dialogue":
                    record["turns"] = [{**turn, "intents": [], "slots": []} for turn in record["turns"]]
                sink.write(json.dumps(record, ensure_ascii=False) + "\n")
    return str(raw)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teacher", default="smollm2-135m-instruct")
    parser.add_argument("--records", type=int, default=400)
    parser.add_argument("--per-task", type=int, default=24)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--workdir", default="/tmp/bench-teacher")
    args = parser.parse_args()

    work = Path(args.workdir)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    records = raw_records(args.records, work)
    cfg = GenerateConfig.model_validate(
        {
            "inputs": [records],
            "tasks": ["review.sentiment_classification"],
            "num_blocks": 2,
            "teacher": {
                "model": {"kind": "local", "model": args.teacher, "batch_size": args.batch_size},
                "max_records_per_task": args.per_task,
                "cache_dir": str(work / "cache"),
            },
        }
    )
    started = time.perf_counter()
    with ray_session(None):
        manifest = run_generate(plan_generate(cfg, str(work / "data")))
    wall = time.perf_counter() - started
    teacher = manifest["teacher"]
    print(
        json.dumps(
            {
                "teacher": args.teacher,
                "prompt_format": teacher["prompt_format"],
                "records": args.records,
                "labels": teacher["totals"]["asked"],
                "labelling_s": teacher["timings"]["labelling_s"],
                "labels_per_s": teacher["timings"]["labels_per_s"],
                "accepted": teacher["totals"]["accepted"],
                "accept_rate": {task: c["accept_rate"] for task, c in teacher["counts"].items()},
                "rejected_by_reason": {task: c["rejected_by_reason"] for task, c in teacher["counts"].items()},
                "teacher_stage_s": manifest["timings"]["teacher_s"],
                "generate_wall_s": round(wall, 1),
                "output": storage.join(str(work), "data"),
            }
        )
    )


if __name__ == "__main__":
    main()
