"""`ray job submit` for real: a Ray head on loopback (its own ports, temp dir and token, with Ray's token
authentication on, as on every cluster of this project), the docstrings' submit command, the pipeline job.

The head runs `ray start --head --block` in its own process group, so teardown ends exactly the processes
it started (never `ray stop`, which would stop every Ray on the machine, the test session's included).
"""

from __future__ import annotations

import ast
import dataclasses
import importlib.util
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import yaml

from tests.serve.conftest import free_port

from .conftest import REPO, tiny_pipeline

JOBS = tuple(sorted(path.stem for path in (REPO / "jobs").glob("*.py")))
RAY = Path(sys.executable).parent / "ray"


def _free_ports(n: int) -> list[int]:
    ports: list[int] = []
    while len(ports) < n:
        port = free_port()
        if port not in ports:
            ports.append(port)
    return ports


def _wait_for_jobs_api(head_info, head: subprocess.Popen, timeout_s: float):
    deadline = time.monotonic() + timeout_s
    while True:
        if head.poll() is not None:
            raise RuntimeError(f"ray start exited with {head.returncode}")
        try:
            return head_info.client()
        except ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(2)


@dataclasses.dataclass(frozen=True)
class Head:
    url: str
    home: Path  # HOME of the head and of the clients: its .ray/auth_token is the token (never this user's own)

    @property
    def token(self) -> str:
        return (self.home / ".ray" / "auth_token").read_text()

    def env(self, *, mode: str | None = None, token_file: bool = True) -> dict[str, str]:
        """A process's environment with RAY_AUTH_MODE=`mode` (unset: None) and, with `token_file`, the token in
        ~/.ray/auth_token, where `ray get-auth-token --generate` puts it (README, "Cluster")."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
        env |= {
            "RAY_ADDRESS": self.url,
            "HOME": str(self.home if token_file else self.home.parent / "no-token"),
            "PATH": f"{RAY.parent}{os.pathsep}{env.get('PATH', '')}",
        }
        return env | ({"RAY_AUTH_MODE": mode} if mode else {})

    def client(self):
        from ray.job_submission import JobSubmissionClient

        return JobSubmissionClient(self.url, headers={"Authorization": f"Bearer {self.token}"})


@pytest.fixture(scope="module")
def ray_head():
    """A Ray head on 127.0.0.1 with token auth on and the dashboard (the Jobs API) on a free port; its token is
    in a HOME of its own temp dir (never this user's ~/.ray/auth_token); killed by process group."""
    gcs, dashboard, client, node, objects, agent, agent_grpc, metrics, env_agent = _free_ports(9)
    temp_dir = tempfile.mkdtemp(prefix="rayh-", dir="/tmp")  # short: Ray's socket paths have a length limit
    home = Path(temp_dir) / "home"
    (home / ".ray").mkdir(parents=True)
    (Path(temp_dir) / "no-token").mkdir()
    (home / ".ray" / "auth_token").write_text(secrets.token_hex(32))
    (home / ".ray" / "auth_token").chmod(0o600)
    command = [
        str(RAY),
        "start",
        "--head",
        "--block",
        "--node-ip-address=127.0.0.1",
        f"--port={gcs}",
        "--include-dashboard=true",
        "--dashboard-host=127.0.0.1",
        f"--dashboard-port={dashboard}",
        f"--ray-client-server-port={client}",
        f"--node-manager-port={node}",
        f"--object-manager-port={objects}",
        f"--dashboard-agent-listen-port={agent}",
        f"--dashboard-agent-grpc-port={agent_grpc}",
        f"--metrics-export-port={metrics}",
        f"--runtime-env-agent-port={env_agent}",
        "--num-cpus=2",
        f"--temp-dir={temp_dir}",
        "--disable-usage-stats",
    ]
    head_info = Head(f"http://127.0.0.1:{dashboard}", home)
    # Token auth on, as cluster.yaml starts Ray on every node. The job's `python` is this environment's, as
    # on a cluster node whose setup installed the project.
    env = {k: v for k, v in head_info.env(mode="token").items() if k != "RAY_ADDRESS"}
    log = open(Path(temp_dir) / "ray-start.log", "w")  # noqa: SIM115 - the head's output while it runs, closed below
    head = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        _wait_for_jobs_api(head_info, head, timeout_s=180)
        yield head_info
    finally:
        # SIGTERM lets `ray start --block` stop its own processes; then anything left in its group goes.
        for sig, wait_s in ((signal.SIGTERM, 5), (signal.SIGKILL, 10)):
            if head.poll() is None:
                os.killpg(head.pid, sig)
                try:
                    head.wait(wait_s)
                except subprocess.TimeoutExpired:
                    continue
        try:
            os.killpg(head.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        log.close()
        shutil.rmtree(temp_dir, ignore_errors=True)  # sockets of killed processes may linger


def _docstring_command(name: str) -> str:
    doc = ast.get_docstring(ast.parse((REPO / "jobs" / f"{name}.py").read_text()))
    return " ".join(line.strip().rstrip("\\") for line in doc.split("\n\n")[1].splitlines())


@pytest.mark.parametrize("name", JOBS)
def test_every_job_opens_with_its_submit_command(name):
    command = _docstring_command(name)
    assert command.startswith("RAY_AUTH_MODE=token ray job submit --working-dir . --runtime-env-json ")
    assert re.search(rf"-- +python jobs/{name}\.py --config \S+", command)
    if name != "serve":
        assert "--output" in command
    runtime_env = json.loads(re.search(r"--runtime-env-json '([^']+)'", command).group(1))
    assert runtime_env == {"py_modules": ["platform/ecomgpt"]}


def _job(name: str):
    spec = importlib.util.spec_from_file_location(f"job_{name}", REPO / "jobs" / f"{name}.py")
    job = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(job)  # imports only: the work happens under `if __name__ == "__main__"`
    return job


@pytest.mark.parametrize("name", JOBS)
def test_every_job_refuses_an_unknown_key_before_starting_anything(name, capsys, monkeypatch):
    # The docstring's own arguments (its shipped --config, its bucket) and one unknown key: the job names the
    # config and the key and exits 2 before any work, Ray included (a local Ray makes its directory in RAY_TMPDIR).
    monkeypatch.chdir(REPO)
    ray_tmpdir = Path(tempfile.mkdtemp(prefix="ray-", dir="/tmp"))  # short: Ray's socket paths live under it
    monkeypatch.setenv("RAY_TMPDIR", str(ray_tmpdir))
    python, script, *argv = shlex.split(_docstring_command(name).split(" -- ", 1)[1])
    assert (python, script) == ("python", f"jobs/{name}.py") and "--config" in argv
    try:
        assert _job(name).main([*argv, "--set", "no_such_key=1"]) == 2
        assert list(ray_tmpdir.iterdir()) == []
    finally:
        shutil.rmtree(ray_tmpdir, ignore_errors=True)
    config = argv[argv.index("--config") + 1]
    assert capsys.readouterr().err.splitlines() == [
        f"error: {config} with --set no_such_key=1: invalid configuration",
        "  - unknown key 'no_such_key'",
    ]


@pytest.mark.parametrize("name", JOBS)
def test_every_job_parses_exactly_like_its_cli_command(name, capsys):
    from ecomgpt.cli import main

    def help_text(run) -> str:
        with pytest.raises(SystemExit):
            run(["--help"])
        return capsys.readouterr().out

    assert help_text(_job(name).main) == help_text(lambda argv: main([name, *argv]))


@pytest.mark.parametrize(
    ("name", "argv", "message"),
    [
        (
            "train",
            ["--config", "configs/train/tiny.yaml", "--output", "o", "--set", "max_stepz=3"],
            "unknown key 'max_stepz'",
        ),
        ("pipeline", ["--config", "configs/local.yaml", "--set", "train.max_stepz=3"], "unknown key 'train.max_stepz'"),
        (
            "evaluate",
            [
                "--config",
                "configs/evaluate/gpu.yaml",
                "--model",
                "m",
                "--output",
                "o",
                "--heldout-dir",
                "h",
                "--batch-size",
                "0",
            ],
            "generation.batch_size: Input should be greater than 0",
        ),
        (
            "serve",
            ["--config", "configs/serve/cluster.yaml", "--output", "o", "--set", "model.num_gpus=-1"],
            "model.num_gpus: Input should be greater than or equal to 0",
        ),
        (
            "findings",
            ["--output", "o", "--set", "ablation.samples_per_task=0"],
            "ablation.samples_per_task: Input should be greater than 0",
        ),
    ],
)
def test_a_job_reports_a_bad_config_like_the_cli(name, argv, message, capsys, monkeypatch):
    from ecomgpt.cli import main

    monkeypatch.chdir(REPO)
    assert _job(name).main(argv) == 2
    from_job = capsys.readouterr().err
    assert message in from_job
    assert main([name, *argv]) == 2 and capsys.readouterr().err == from_job


@pytest.mark.slow
def test_pipeline_job_on_a_loopback_head(ray_head, tmp_path):
    from ray.job_submission import JobStatus

    client = ray_head.client()
    config = tmp_path / "pipeline.yaml"
    config.write_text(yaml.safe_dump(tiny_pipeline("unused", train=False)))
    output = f"file://{tmp_path / 'run'}"
    # The runtime env of the docstrings: this checkout, its package shipped with py_modules.
    job = client.submit_job(
        entrypoint=f"python jobs/pipeline.py --config {config} --output {output}",
        runtime_env={"working_dir": str(REPO), "py_modules": [str(REPO / "platform" / "ecomgpt")]},
    )
    deadline = time.monotonic() + 420
    while not (status := client.get_job_status(job)).is_terminal():
        assert time.monotonic() < deadline, f"job still {status} after 420 s:\n{client.get_job_logs(job)[-3000:]}"
        time.sleep(2)
    logs = client.get_job_logs(job)
    assert status == JobStatus.SUCCEEDED, logs[-5000:]
    assert "[generate] running" in logs and "instruction data:" in logs
    run = tmp_path / "run"
    manifest = json.loads((run / "data" / "manifest.json").read_text())
    assert manifest["records_in"] == 600 and manifest["examples_out"] > 0
    assert json.loads((run / "pipeline.json").read_text())["stages"]["generate"]["status"] == "done"


def _submit(command: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        command, shell=True, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_the_head_refuses_a_client_without_the_token(ray_head):
    for env in (ray_head.env(token_file=False), ray_head.env(mode="token", token_file=False)):
        done = _submit(f"{RAY} job list", env)
        output = done.stdout + done.stderr
        assert done.returncode != 0 and "authentication" in output.lower(), output[-3000:]
    # The token file alone is not enough: without RAY_AUTH_MODE=token the client does not send it.
    done = _submit(f"{RAY} job list", ray_head.env())
    assert done.returncode != 0 and "no authentication token was found" in done.stdout + done.stderr
    assert _submit(f"{RAY} job list", ray_head.env(mode="token")).returncode == 0


def test_the_docstrings_submit_command_runs_a_job_on_a_head_with_token_auth(ray_head):
    # The docstring's command up to `--`, with the token where `ray get-auth-token --generate` puts it and
    # nothing else set: the command itself must turn the client's token auth on. `--help` keeps the job short.
    submit = _docstring_command("pipeline").split(" -- ")[0]
    done = _submit(f"{submit} -- python jobs/pipeline.py --help", ray_head.env())
    output = done.stdout + done.stderr
    assert done.returncode == 0 and "succeeded" in output, output[-3000:]
    assert "--config" in output and "--output" in output  # the job's own usage, printed on the cluster
