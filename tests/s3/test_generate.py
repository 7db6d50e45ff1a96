"""`ecomgpt generate` with everything on a real S3 server: raw files of every format, source configs, records
and held-out sets read from `s3://`, the output written there; the same output as from local disk, a store
that goes away mid-run, a refused key, `--overwrite`, and no credential anywhere in what the runs leave."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
import yaml

from ecomgpt import storage
from ecomgpt.generate.config import GenerateConfig
from ecomgpt.generate.plan import OutputExistsError, check_output
from ecomgpt.records.synth import write_synthetic

from ..conftest import HELDOUT
from .helpers import credential_leaks, leaks, run_cli
from .test_reads import _files

pytestmark = pytest.mark.slow


def _rejects(output: str) -> list[dict]:
    rows = []
    for location in storage.glob(storage.join(output, "rejects", "*.jsonl")):
        for line in storage.read_text(location).splitlines():
            row = json.loads(line)
            rows.append({**row, "file": storage.basename(row["file"])})
    return sorted(rows, key=lambda row: (row["file"], row["location"]))


def _config(root: Path, sources: list[str], heldout: str | None) -> str:
    path = root / "generate.yaml"
    path.write_text(yaml.safe_dump({"sources": sources, "heldout_dir": heldout, "samples_per_task": 60}))
    return str(path)


@pytest.fixture(scope="module")
def runs(s3_server, tmp_path_factory):
    """The same generate config run from local disk and from S3 (8 read units each)."""
    root = tmp_path_factory.mktemp("s3-generate")
    formats = _files(root / "raw")
    write_synthetic(2_000, 0, str(root / "records-jsonl"), "jsonl", 1_000)
    write_synthetic(1_000, 1, str(root / "records-parquet"), "parquet", 1_000)
    remote = s3_server.uri("generate-inputs")
    storage.upload_dir(str(root / "raw"), storage.join(remote, "raw"))
    for name in ("records-jsonl", "records-parquet"):
        storage.upload_dir(str(root / name), storage.join(remote, name))
    heldout = None
    if HELDOUT.exists():
        storage.upload_dir(str(HELDOUT), storage.join(remote, "heldout"))
        heldout = storage.join(remote, "heldout")

    def sources(where: str, base: str, upload: bool) -> list[str]:
        out = []
        for name, fields in formats.items():
            source = {"name": name.replace(".", "_"), "path": storage.join(base, name), **fields}
            config = storage.join(where, f"{name}.yaml")
            storage.write_text(config, yaml.safe_dump(source, allow_unicode=True)) if upload else Path(
                config
            ).write_text(yaml.safe_dump(source, allow_unicode=True))
            out.append(config)
        return out

    (root / "local-sources").mkdir()
    local_cfg = _config(
        root / "local-sources",
        sources(str(root / "local-sources"), str(root / "raw"), False),
        str(HELDOUT) if heldout else None,
    )
    (root / "s3-sources").mkdir()
    s3_cfg = _config(
        root / "s3-sources", sources(storage.join(remote, "sources"), storage.join(remote, "raw"), True), heldout
    )
    local_args = ["--input", str(root / "records-jsonl"), "--input", str(root / "records-parquet")]
    s3_args = ["--input", storage.join(remote, "records-jsonl"), "--input", storage.join(remote, "records-parquet")]
    local = run_cli("generate", "--config", local_cfg, *local_args, "--output", str(root / "out"), "--num-blocks", "8")
    assert local.returncode == 0, local.stderr[-3000:]
    s3_out = s3_server.uri("generated")
    gets = s3_server.request_counts().get("GET", 0)
    s3 = run_cli("generate", "--config", s3_cfg, *s3_args, "--output", s3_out, "--num-blocks", "8")
    assert s3.returncode == 0, s3.stderr[-3000:]
    gets = s3_server.request_counts().get("GET", 0) - gets
    return {
        "root": root,
        "local_out": str(root / "out"),
        "s3_out": s3_out,
        "s3_cfg": s3_cfg,
        "s3_args": s3_args,
        "outputs": [local, s3],
        "s3_gets": gets,
    }


def test_generate_from_s3_writes_what_generate_from_disk_writes(runs):
    local = storage.read_json(storage.join(runs["local_out"], "manifest.json"))
    remote = storage.read_json(storage.join(runs["s3_out"], "manifest.json"))
    assert remote["content_hash"] == local["content_hash"]
    for key in ("records_in", "records_accepted", "records_rejected", "rejected_by_reason", "examples_out"):
        assert remote[key] == local[key], key
    assert (
        remote["records_rejected"] > 0
        and remote["records_in"] == remote["records_accepted"] + remote["records_rejected"]
    )
    assert _rejects(runs["s3_out"]) == _rejects(runs["local_out"])
    assert storage.interrupted_stage(runs["s3_out"]) is None
    assert storage.is_empty_dir(storage.staging_dir(runs["s3_out"]))


def test_a_store_away_for_seconds_mid_run_is_waited_for(runs, s3_server):
    output = s3_server.uri("generated-through-an-outage")
    base = s3_server.request_counts().get("GET", 0)

    finished, away_mid_run = threading.Event(), []

    def outage() -> None:  # halfway through the run's reads, the store goes away for 3 s
        deadline = time.monotonic() + 120
        while s3_server.request_counts().get("GET", 0) < base + runs["s3_gets"] // 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        s3_server.stop()
        away_mid_run.append(not finished.is_set())
        time.sleep(3)
        s3_server.start()

    thread = threading.Thread(target=outage)
    thread.start()
    done = run_cli("generate", "--config", runs["s3_cfg"], *runs["s3_args"], "--output", output, "--num-blocks", "8")
    finished.set()
    thread.join()
    assert away_mid_run == [True]
    assert done.returncode == 0, done.stderr[-3000:]
    reference = storage.read_json(storage.join(runs["s3_out"], "manifest.json"))["content_hash"]
    assert storage.read_json(storage.join(output, "manifest.json"))["content_hash"] == reference


def test_a_refused_key_stops_the_run_with_one_error_naming_the_location(runs, s3_server):
    canary = "Canary-Secret-4c1d9e0b77aa"
    output = s3_server.uri("refused")
    done = run_cli(
        "generate",
        "--config",
        runs["s3_cfg"],
        *runs["s3_args"],
        "--output",
        output,
        env={"AWS_SECRET_ACCESS_KEY": canary},
    )
    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "s3://" in errors[0] and "ACCESS_DENIED" in errors[0], done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert not leaks([canary], texts=[done.stdout, done.stderr], dirs=[done.ray_tmpdir])
    assert not storage.exists(output)


def test_overwrite_on_s3_replaces_only_a_generate_run(runs, s3_server):
    output = runs["s3_out"]
    cfg = GenerateConfig(sources=[], inputs=[s3_server.uri("generate-inputs", "records-jsonl")])
    with pytest.raises(OutputExistsError, match="not empty"):
        check_output(output, cfg, [], overwrite=False)
    before = storage.read_json(storage.join(output, "manifest.json"))
    again = run_cli(
        "generate", "--config", runs["s3_cfg"], *runs["s3_args"], "--output", output, "--overwrite", "--num-blocks", "8"
    )
    assert again.returncode == 0, again.stderr[-3000:]
    after = storage.read_json(storage.join(output, "manifest.json"))
    assert after["content_hash"] == before["content_hash"] and after["created"] >= before["created"]
    assert storage.interrupted_stage(output) is None and storage.is_empty_dir(storage.staging_dir(output))

    # A replacement cut short (completion file gone, marker present) is generate's to redo; a directory
    # with neither is not generate's to replace.
    half = s3_server.uri("half-replaced")
    storage.write_text(storage.join(half, "held_in", "part-0.parquet"), "partial")
    storage.write_json(storage.join(half, storage.REPLACING_FILE), {"stage": "generate"})
    check_output(half, cfg, [], overwrite=True)
    fs, marker = storage.resolve(storage.join(half, storage.REPLACING_FILE))
    fs.delete_file(marker)
    with pytest.raises(OutputExistsError, match="holds no generate run"):
        check_output(half, cfg, [], overwrite=True)


def test_no_run_leaves_a_credential_anywhere(runs, s3_server):
    found = credential_leaks(s3_server, runs["outputs"], locations=[runs["s3_out"]], dirs=[runs["local_out"]])
    assert not found, found[:5]
