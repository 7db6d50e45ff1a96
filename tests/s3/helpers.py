"""Running `ecomgpt` commands as a user does, against the test S3 server, and looking for leaked secrets."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pyarrow.fs as pafs

from ecomgpt import storage

REPO = Path(__file__).resolve().parents[2]


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    """`ecomgpt ARGS` from the repository root, with this process's environment (and so the S3 server's
    variables) plus `env`; its Ray writes its logs under a fresh directory, named in `ray_tmpdir` of the result."""
    ray_tmpdir = tempfile.mkdtemp(prefix="ray-", dir="/tmp")  # short: Ray's socket paths live under it
    full_env = {**os.environ, "RAY_TMPDIR": ray_tmpdir, **(env or {})}
    done = subprocess.run(
        [sys.executable, "-m", "ecomgpt.cli", *args],
        check=False,
        cwd=REPO,
        env=full_env,
        text=True,
        capture_output=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    done.ray_tmpdir = ray_tmpdir  # type: ignore[attr-defined]
    return done


def remote_texts(location: str) -> dict[str, bytes]:
    """Every object under a location (hidden ones included), by path."""
    fs, path = storage.resolve(location)
    found = fs.get_file_info(pafs.FileSelector(path, recursive=True, allow_not_found=True))
    out = {}
    for info in found:
        if info.type == pafs.FileType.File:
            with fs.open_input_stream(info.path) as stream:
                out[info.path] = stream.read()
    return out


def leaks(secrets: list[str], *, locations: list[str] = (), texts: list[str] = (), dirs: list[str] = ()) -> list[str]:
    """Where any of `secrets` appears: objects under `locations`, the `texts`, files under local `dirs`."""
    found = []
    needles = [secret.encode() for secret in secrets if secret]
    for location in locations:
        for name, data in remote_texts(location).items():
            found += [f"{name} holds a secret" for needle in needles if needle in data]
    for index, text in enumerate(texts):
        found += [f"output {index} holds a secret" for needle in needles if needle in text.encode()]
    for directory in dirs:
        for path in Path(directory).rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                found += [f"{path} holds a secret" for needle in needles if needle in data]
    return found


def ray_token() -> str:
    """The token of this user's Ray clusters, where Ray has made one."""
    token = Path.home() / ".ray" / "auth_token"
    return token.read_text().strip() if token.is_file() else ""


def credential_leaks(server, runs, locations=(), dirs=()) -> list[str]:
    """Where the server's keys or the Ray token appear: in what the `runs` (`run_cli` results) printed and in
    their Ray logs, under the store's `locations` or in local `dirs`."""
    secrets = [server.secret_key, server.access_key, ray_token()]
    texts = [run.stdout + run.stderr for run in runs]
    return leaks(secrets, locations=list(locations), texts=texts, dirs=[*dirs, *(run.ray_tmpdir for run in runs)])
