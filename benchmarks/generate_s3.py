"""Benchmark of `ecomgpt generate` reading from object storage: the same inputs from local disk and from a
real S3 server on loopback (SeaweedFS, `ecomgpt.s3local`), in one run.

    .venv/bin/python benchmarks/generate_s3.py [--records 1000000] [--csv-rows 200000] [--workdir DIR]

Inputs: `--records` synthetic records as JSON lines and a CSV of `--csv-rows` synthetic reviews (a mapped
source), uploaded to the server. The local run writes to local disk, the S3 run reads everything from
`s3://` and writes its output there, as on a cluster. Prints one JSON line: each run's wall time and peak
memory (PSS of the whole process tree; the server's own memory is not counted), the S3 / local ratios, both
output hashes, and the S3 requests the run made by type and per input file. The local run is the ceiling.
Targets (`targets_met`): S3 wall <= 1.3x local, identical output hash, S3 peak <= 1.2x local.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import yaml

from ecomgpt import storage
from ecomgpt.records.synth import write_synthetic
from ecomgpt.s3local import S3Server
from memory import PeakMemory

CSV_COLUMNS = ["text", "title", "rating", "sentiment", "product_category"]


def csv_reviews(rows: int, work: Path) -> Path:
    """A CSV of `rows` synthetic reviews (seed 1: other records than the JSON lines'), with a header."""
    path = work / f"reviews-{rows}.csv"
    if path.exists():
        return path
    parquet = work / "reviews-parquet"
    records = rows * 3  # about a third of synthetic records are reviews
    write_synthetic(records, 1, str(parquet), "parquet", 200_000)
    tables = [pq.read_table(file, columns=CSV_COLUMNS) for file in sorted(parquet.glob("*-review.parquet"))]
    table = pa.concat_tables(tables).slice(0, rows)
    assert table.num_rows == rows, f"{table.num_rows} reviews from {records} records"
    pacsv.write_csv(table, path)
    return path


def source_config(csv: str, where: Path) -> Path:
    where.mkdir(parents=True, exist_ok=True)
    source = {
        "name": "csv_reviews",
        "path": csv,
        "format": "csv",
        "data_type": "review",
        "lang": "en",
        "mapping": {
            "text": "text",
            "title": "title",
            "rating": {"column": "rating", "parse": "int"},
            "sentiment": "sentiment",
            "product_category": "product_category",
        },
    }
    (where / "csv_reviews.yaml").write_text(yaml.safe_dump(source))
    config = where / "generate.yaml"
    config.write_text(yaml.safe_dump({"sources": [str(where / "csv_reviews.yaml")], "samples_per_task": 10_000}))
    return config


def run(config: Path, records: str, out: str, env: dict[str, str]) -> tuple[float, int, dict]:
    cmd = [
        sys.executable,
        "-m",
        "ecomgpt.cli",
        "generate",
        "--config",
        str(config),
        "--input",
        records,
        "--output",
        out,
    ]
    start = time.time()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    with PeakMemory(proc.pid) as mem:
        _, err = proc.communicate()
    wall = time.time() - start
    if proc.returncode != 0:
        raise RuntimeError(f"generate failed ({proc.returncode}):\n{err[-4000:]}")
    return wall, mem.peak, storage.read_json(storage.join(out, "manifest.json"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--csv-rows", type=int, default=200_000)
    parser.add_argument("--workdir", default=None, help="keeps the synthetic inputs between runs")
    args = parser.parse_args()

    work = Path(args.workdir or tempfile.mkdtemp(prefix="ecomgpt-bench-s3-")).resolve()
    records = work / f"records-{args.records}"
    if not (records / "manifest.json").exists():
        write_synthetic(args.records, 0, str(records), "jsonl", 100_000)
    csv = csv_reviews(args.csv_rows, work)
    with S3Server(Path(tempfile.mkdtemp(prefix="s3-", dir=work))) as server:
        env = {**os.environ, **server.env()}
        os.environ.update(server.env())
        storage.upload_dir(str(records), server.uri(records.name))  # the same name: it names the source
        with csv.open("rb") as stream:
            storage.write_bytes(server.uri("csv", csv.name), stream.read())
        local_config = source_config(str(csv), work / "local-config")
        s3_config = source_config(server.uri("csv", csv.name), work / "s3-config")
        local_out = tempfile.mkdtemp(prefix="out-", dir=work)
        os.rmdir(local_out)
        local_s, local_peak, local = run(local_config, str(records), local_out, env)
        before = server.request_counts()
        s3_s, s3_peak, remote = run(s3_config, server.uri(records.name), server.uri("out"), env)
        after = server.request_counts()
    requests = {kind: after.get(kind, 0) - before.get(kind, 0) for kind in sorted(after)}
    files = len(list(records.glob("*.jsonl"))) + 1
    result = {
        "benchmark": "generate_s3",
        "records_in": remote["records_in"],
        "input_files": files,
        "input_mib": round((sum(p.stat().st_size for p in records.glob("*.jsonl")) + csv.stat().st_size) / 2**20),
        "local_wall_s": round(local_s, 2),
        "s3_wall_s": round(s3_s, 2),
        "s3_vs_local_wall": round(s3_s / local_s, 2),
        "local_peak_pss_gib": round(local_peak / 2**30, 2),
        "s3_peak_pss_gib": round(s3_peak / 2**30, 2),
        "s3_vs_local_peak": round(s3_peak / local_peak, 2),
        "local_content_hash": local["content_hash"][:16],
        "s3_content_hash": remote["content_hash"][:16],
        "s3_requests": requests,
        "s3_get_requests_per_input_file": round(requests.get("GET", 0) / files, 1),
        "stage_timings_s": {"local": local["timings"], "s3": remote["timings"]},
        "cpus": os.cpu_count(),
        "targets_met": {
            "s3_wall_le_1.3x_local": s3_s <= 1.3 * local_s,
            "same_output_hash": remote["content_hash"] == local["content_hash"],
            "s3_peak_le_1.2x_local": s3_peak <= 1.2 * local_peak,
        },
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
