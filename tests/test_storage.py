"""File I/O at local paths and URIs: one notion of a location, the same answers for a path and its file:// URI,
and schemes only fsspec serves (memory://) for reads and writes alike."""

from __future__ import annotations

import json
import os
import uuid

import fsspec
import pytest

from ecomgpt import storage


@pytest.fixture
def memory_root():
    """A fresh memory:// directory, removed afterwards (fsspec's memory filesystem is process-wide)."""
    root = f"memory://ecomgpt-storage-{uuid.uuid4().hex[:8]}"
    yield root
    memory = fsspec.filesystem("memory")
    if memory.exists(root.removeprefix("memory://")):
        memory.rm(root.removeprefix("memory://"), recursive=True)


@pytest.fixture
def tree(tmp_path):
    """A small directory: two data files, one nested, and the files a listing skips."""
    root = tmp_path / "tree"
    (root / "sub").mkdir(parents=True)
    (root / "a.jsonl").write_text('{"x": 1}\n', encoding="utf-8")
    (root / "sub" / "b.JSONL").write_text('{"x": 2}\n{"x": 3}\n', encoding="utf-8")
    (root / ".hidden").write_text("", encoding="utf-8")
    (root / "_SUCCESS").write_text("", encoding="utf-8")
    (root / "manifest.json").write_text("{}", encoding="utf-8")
    return root


def test_locations_are_uris_by_their_scheme_and_local_by_file_or_none():
    assert [storage.scheme(x) for x in ("/a/b", "s3://b/k", "file:///a", "simplecache::s3://b")] == [
        None,
        "s3",
        "file",
        "simplecache::s3",
    ]
    assert storage.is_uri("file:///a") and storage.is_uri("memory://x") and not storage.is_uri("runs/a")
    assert storage.is_local("runs/a") and storage.is_local("file:///a") and storage.is_local("local:///a")
    assert not storage.is_local("s3://bucket/a") and not storage.is_local("memory://a")


def test_absolute_keeps_every_uri_and_normalize_turns_local_ones_into_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    here = str(tmp_path)
    assert storage.absolute("runs/a") == storage.normalize("runs/a") == f"{here}/runs/a"
    assert storage.absolute("~/x") == storage.normalize("~/x") == os.path.expanduser("~/x")
    assert storage.absolute("file:///data/x") == "file:///data/x"  # an output keeps the form it was given
    assert storage.normalize("file:///data/x") == storage.normalize("local:///data/x") == "/data/x"
    assert storage.normalize("file://rel/x") == f"{here}/rel/x"
    for uri in ("s3://bucket/a/", "memory://m/x", "gs://b/k"):
        assert storage.absolute(uri) == storage.normalize(uri) == uri


def test_names_within_locations():
    assert storage.join("s3://b/run/", "train", "model") == "s3://b/run/train/model"
    assert storage.join("/runs/a", "x.json") == "/runs/a/x.json"
    assert storage.basename("s3://b/run/model/") == "model" and storage.parent("/a/b/c.json") == "/a/b"
    assert storage.extension("/a/B.JSONL") == ".jsonl" and storage.extension("/a/b") == ""
    assert storage.has_glob("/a/*.csv") and storage.has_glob("/a/b?.csv") and not storage.has_glob("/a/b.csv")


@pytest.mark.parametrize("form", ["path", "file_uri"])
def test_a_path_and_its_file_uri_read_the_same(tree, form):
    root = str(tree) if form == "path" else f"file://{tree}"
    assert storage.exists(root) and storage.is_dir(root)
    assert storage.exists(storage.join(root, "a.jsonl")) and not storage.is_dir(storage.join(root, "a.jsonl"))
    assert not storage.exists(storage.join(root, "missing"))
    assert storage.file_size(storage.join(root, "sub", "b.JSONL")) == 18
    assert storage.read_text(storage.join(root, "a.jsonl")) == '{"x": 1}\n'
    with storage.open_binary(storage.join(root, "sub", "b.JSONL")) as handle:
        assert handle.readlines() == [b'{"x": 2}\n', b'{"x": 3}\n']
    # found files are plain absolute paths either way: units and manifests name each file one way
    assert storage.list_files(root) == [f"{tree}/a.jsonl", f"{tree}/sub/b.JSONL"]
    assert storage.glob(storage.join(root, "*.jsonl")) == [f"{tree}/a.jsonl"]
    assert storage.glob(storage.join(root, "*", "*")) == [f"{tree}/sub/b.JSONL"]
    assert not storage.is_empty_dir(root)


@pytest.mark.parametrize("form", ["path", "file_uri"])
def test_a_path_and_its_file_uri_write_the_same(tmp_path, form):
    root = str(tmp_path / "out") if form == "path" else f"file://{tmp_path / 'out'}"
    assert storage.is_empty_dir(root)  # missing
    storage.make_dirs(root)
    assert storage.is_empty_dir(root)  # empty
    storage.write_json(storage.join(root, "deep", "manifest.json"), {"n": 1, "name": "é"})
    written = tmp_path / "out" / "deep" / "manifest.json"
    assert written.read_text(encoding="utf-8") == '{\n  "n": 1,\n  "name": "é"\n}\n'
    assert json.loads(storage.read_text(storage.join(root, "deep", "manifest.json"))) == {"n": 1, "name": "é"}
    assert not storage.is_empty_dir(root)
    with pytest.raises(NotADirectoryError, match="exists and is not a directory"):
        storage.is_empty_dir(storage.join(root, "deep", "manifest.json"))
    storage.delete_dir(root)
    assert not storage.exists(root) and not (tmp_path / "out").exists()
    storage.delete_dir(root)  # deleting what is not there is no error


def test_an_fsspec_only_scheme_serves_writes_reads_and_listings(memory_root):
    out = storage.join(memory_root, "run")
    assert storage.is_empty_dir(out)
    storage.write_json(storage.join(out, "manifest.json"), {"stage": "train"})
    storage.write_text(storage.join(out, "part", "r-1.jsonl"), '{"x": 1}\n')
    storage.write_bytes(storage.join(out, "part", "r-2.jsonl"), b'{"x": 2}\n')
    assert storage.exists(storage.join(out, "manifest.json")) and not storage.is_empty_dir(out)
    assert json.loads(storage.read_text(storage.join(out, "manifest.json"))) == {"stage": "train"}
    found = storage.glob(storage.join(out, "part", "r-*.jsonl"))
    assert found == [f"memory:///{memory_root.removeprefix('memory://')}/run/part/r-{i}.jsonl" for i in (1, 2)]
    assert storage.list_files(out) == found  # manifest.json is skipped
    assert [storage.read_text(uri) for uri in found] == ['{"x": 1}\n', '{"x": 2}\n']
    storage.delete_dir(out)
    assert not storage.exists(storage.join(out, "manifest.json"))


def test_directories_upload_to_and_copy_back_from_a_uri(tree, tmp_path, memory_root, monkeypatch):
    monkeypatch.setenv(storage.CACHE_ENV, str(tmp_path / "cache"))  # the copy cache lives under it
    target = storage.join(memory_root, "model")
    storage.upload_dir(str(tree / "sub"), target)
    assert storage.read_text(storage.join(target, "b.JSONL")) == '{"x": 2}\n{"x": 3}\n'
    local = storage.local_dir(target)
    assert local.startswith(str(tmp_path / "cache")) and os.listdir(local) == ["b.JSONL"]
    assert storage.local_dir(target) == local  # copied once
    # local locations are read where they are; a hub name passes through
    assert storage.local_dir(str(tree)) == str(tree) == storage.local_dir(f"file://{tree}")
    assert storage.local_dir("bigscience/bloomz-560m") == "bigscience/bloomz-560m"
    copy = tmp_path / "copy"
    storage.upload_dir(str(tree / "sub"), f"file://{copy}")
    assert (copy / "b.JSONL").read_text(encoding="utf-8") == '{"x": 2}\n{"x": 3}\n'


def test_both_views_of_a_location_are_one_filesystem(tree, memory_root):
    storage.write_text(storage.join(memory_root, "a.txt"), "a")
    for location in (str(tree), f"file://{tree}", memory_root):
        fs, path = storage.filesystem(location)
        arrow, arrow_path = storage.resolve(location)
        listed = sorted(info.path.rstrip("/") for info in arrow.get_file_info(_selector(arrow_path)))
        assert arrow_path == path and listed == sorted(p.rstrip("/") for p in fs.ls(path, detail=False))


def _selector(path: str):
    import pyarrow.fs as pafs

    return pafs.FileSelector(path, recursive=False)


def test_a_failed_write_leaves_the_old_file_whole(tmp_path, memory_root):
    for location in (str(tmp_path / "pipeline.json"), storage.join(memory_root, "result.json")):
        storage.write_json(location, {"stages": {"generate": "done"}})
        with pytest.raises(TypeError):
            storage.write_bytes(location, object())  # fails once the output is open
        assert json.loads(storage.read_text(location)) == {"stages": {"generate": "done"}}
        assert [storage.basename(f) for f in storage.glob(storage.join(storage.parent(location), "*"))] == [
            storage.basename(location)
        ]  # no temporary file left behind
    assert not [f for f in os.listdir(tmp_path) if f.startswith(".")]


def test_a_staged_directory_replaces_the_old_one_whole(tmp_path, memory_root):
    for target in (str(tmp_path / "out"), storage.join(memory_root, "out")):
        storage.write_text(storage.join(target, "old.txt"), "old")
        staging = storage.staging_dir(target)
        assert storage.parent(staging) == storage.parent(target) and storage.basename(staging).startswith(".")
        storage.write_text(storage.join(staging, "new.txt"), "new")
        storage.replace_dir(staging, target)
        assert [storage.basename(f) for f in storage.list_files(target)] == ["new.txt"]
        assert not storage.exists(staging)
    assert sorted(os.listdir(tmp_path)) == ["out"]


def test_inside_and_manifest_stage(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert storage.inside("x/raw", "x") and storage.inside(str(tmp_path / "x"), "x/")
    assert storage.inside("x/raw/*.csv", "x") and not storage.inside("xy/raw", "x")
    assert storage.inside("s3://b/run/raw", "s3://b/run") and not storage.inside("s3://b/run2", "s3://b/run")
    assert not storage.inside("x", "x/raw") and not storage.inside("s3://b/x", "x")
    (tmp_path / "x").mkdir()
    assert storage.manifest_stage("x") is None
    (tmp_path / "x" / "manifest.json").write_text('{"stage": "generate"}', encoding="utf-8")
    assert storage.manifest_stage("x") == "generate"


def test_a_fingerprint_changes_with_content_and_not_with_the_directory_name(tree, tmp_path):
    before = storage.fingerprint(str(tree))
    assert [row[0] for row in before] == [".hidden", "_SUCCESS", "a.jsonl", "manifest.json", "sub/b.JSONL"]
    moved = tmp_path / "moved"
    os.rename(tree, moved)
    assert storage.fingerprint(str(moved)) == before
    (moved / "a.jsonl").write_text('{"x": 10}\n', encoding="utf-8")
    assert storage.fingerprint(str(moved)) != before
    assert storage.fingerprint(str(moved / "*.jsonl")) == [storage.fingerprint(str(moved))[2]]
    assert storage.fingerprint(str(tmp_path / "absent")) == []


def test_uri_copies_follow_the_content_are_private_bounded_and_never_partial(tmp_path, memory_root, monkeypatch):
    monkeypatch.setenv(storage.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setenv(storage.CACHE_ENTRIES_ENV, "2")
    model = storage.join(memory_root, "model")
    storage.write_text(storage.join(model, "config.json"), '{"v": 1}')
    first = storage.local_dir(model)
    assert oct(os.stat(tmp_path / "cache" / "dirs").st_mode & 0o777) == "0o700"
    storage.write_text(storage.join(model, "config.json"), '{"v": 2, "retrained": true}')
    second = storage.local_dir(model)  # the same URI, a new model: a fresh copy, the stale one dropped
    assert second != first and not os.path.exists(first)
    with open(os.path.join(second, "config.json"), encoding="utf-8") as handle:
        assert handle.read() == '{"v": 2, "retrained": true}'
    for name in ("a", "b", "c"):
        storage.write_text(storage.join(memory_root, name, "f.txt"), name)
        storage.local_dir(storage.join(memory_root, name))
    assert len(os.listdir(tmp_path / "cache" / "dirs")) == 2  # bounded: the most recently used
    stale = tmp_path / "cache" / "dirs" / "0-0.partial-dead"
    stale.mkdir()
    os.utime(stale, (0, 0))
    storage.local_dir(storage.join(memory_root, "a"))
    assert not stale.exists()  # a dead process's partial copy is cleaned
    assert not [d for d in os.listdir(tmp_path / "cache" / "dirs") if ".partial-" in d]
