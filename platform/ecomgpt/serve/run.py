"""`ecomgpt serve`: in the foreground (start Serve, run the application, stop cleanly on Ctrl-C or SIGTERM),
or deployed onto the connected Ray (`--deploy`, what `jobs/serve.py` does), where it outlives the command."""

from __future__ import annotations

import os
import signal
import time

from ecomgpt.serve.app import APP_NAME, build_from_config, warn_if_exposed
from ecomgpt.serve.config import AppConfig


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def start(app, host: str, port: int) -> str:
    """Deploy a built application on the connected Ray and return its base URL."""
    from ray import serve

    serve.start(http_options={"host": host, "port": port})
    serve.run(app, name=APP_NAME, route_prefix="/")
    return f"http://{host}:{port}"


def serve_forever(cfg: AppConfig, host: str, port: int, address: str | None) -> None:
    """Serve until interrupted; then remove the application, and Serve itself unless attached to a cluster.

    Config and checkpoint errors surface before Ray starts.
    """
    from ecomgpt.runtime import ray_session

    app = build_from_config(cfg)
    warn_if_exposed(cfg, host)
    with ray_session(address):
        _run_until_interrupted(app, cfg, host, port, own_ray=not (address or os.environ.get("RAY_ADDRESS")))


def deploy(cfg: AppConfig, host: str, port: int, address: str | None) -> str:
    """Deploy the application on the Ray at `address` (or RAY_ADDRESS) and return its base URL; it keeps
    serving after this returns, until `serve shutdown`. Config and checkpoint errors surface first."""
    from ecomgpt.runtime import ray_session

    app = build_from_config(cfg)
    warn_if_exposed(cfg, host)
    with ray_session(address):
        return start(app, host, port)


def _run_until_interrupted(app, cfg: AppConfig, host: str, port: int, own_ray: bool) -> None:
    from ray import serve

    signal.signal(signal.SIGTERM, _interrupt)
    try:
        url = start(app, host, port)
        print(f"serving {', '.join(sorted(cfg.models))} at {url}/v1 (Ctrl-C stops)", flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("stopping", flush=True)
    finally:
        serve.delete(APP_NAME)
        if own_ray:
            serve.shutdown()
