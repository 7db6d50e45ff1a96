"""The Serve application builder, the import path of the shipped Serve config files.

    serve run configs/serve/local.yaml          # foreground, on a local Ray
    serve deploy configs/serve/cluster.yaml     # onto a running cluster (RAY_DASHBOARD_ADDRESS)

`ecomgpt serve` builds the same application through `build_from_config`.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import logging
import os

from ecomgpt import models
from ecomgpt.config import ConfigError
from ecomgpt.serve.config import AppConfig, app_config
from ecomgpt.serve.placement import place

APP_NAME = "ecomgpt"
logger = logging.getLogger(__name__)


def build_app(args: dict):
    """`import_path: ecomgpt.serve.app:build_app`; `args` is an AppConfig (see configs/serve/)."""
    return build_from_config(app_config(args or {}, "Serve application args"))


def api_key_hash(auth_env: str | None) -> str | None:
    """The hash of the bearer token in `auth_env`; the token itself never enters the deployment's args."""
    if auth_env is None:
        return None
    key = os.environ.get(auth_env, "")
    if not key.strip():
        raise ConfigError(f"auth_env is {auth_env!r} but that environment variable is unset or empty")
    from ecomgpt.serve.api import key_hash

    return key_hash(key.strip())


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve anywhere
        return False


def warn_if_exposed(cfg: AppConfig, host: str) -> bool:
    """Log a warning when the application answers without auth on an address other machines can reach."""
    if cfg.auth_env is not None or is_loopback(host):
        return False
    logger.warning(
        "serving on %s without auth: anyone who reaches this address can use the models; set auth_env "
        "(see configs/serve/cluster.yaml) or bind 127.0.0.1",
        host,
    )
    return True


def build_from_config(cfg: AppConfig):
    # Replicas run in another working directory: local paths are made absolute where the app is built.
    cfg = cfg.model_copy(update={"models": {name: models.locate(path) for name, path in cfg.models.items()}})
    for name, path in cfg.models.items():
        # An offline model is converted here, once; an adapter's base is checked and fitted to it.
        models.check(path, f"model {name!r}: checkpoint")
    if cfg.backend == "vllm":
        return build_vllm_app(cfg)
    placement = place(cfg.models)
    from ecomgpt.serve.deployments import Gateway, ModelServer

    m, g = cfg.model, cfg.gateway
    server = ModelServer.options(  # type: ignore[attr-defined]  # @serve.deployment made it a Deployment
        autoscaling_config=m.autoscaling.model_dump(),
        max_ongoing_requests=m.batching.max_ongoing_requests,
        max_queued_requests=m.max_queued_requests,
        ray_actor_options={"num_cpus": m.num_cpus, "num_gpus": m.num_gpus},
    ).bind(cfg, placement)
    return Gateway.options(  # type: ignore[attr-defined]  # @serve.deployment made it a Deployment
        num_replicas=g.num_replicas,
        max_ongoing_requests=g.max_ongoing_requests,
        max_queued_requests=g.max_queued_requests,
        ray_actor_options={"num_cpus": g.num_cpus},
    ).bind(server, cfg, api_key_hash(cfg.auth_env), placement)


def build_vllm_app(cfg: AppConfig):
    """The OpenAI routes on vLLM through Ray Serve LLM (GPU clusters with vLLM installed)."""
    if importlib.util.find_spec("vllm") is None:
        raise ConfigError(
            "backend 'vllm' needs vLLM, which is not installed here; install it on the GPU nodes "
            "(pip install 'ray[llm]') or use backend: transformers"
        )
    if cfg.auth_env is not None:
        raise ConfigError("backend 'vllm' serves Ray Serve LLM's own routes, which take no auth_env; use a gateway")
    lora = sorted(name for name, path in cfg.models.items() if models.split_adapter(path)[1] is not None)
    if lora:
        raise ConfigError(
            f"backend 'vllm' serves full checkpoints here; {', '.join(map(repr, lora))} "
            "are LoRA adapter directories: serve them with backend: transformers"
        )
    from ray.serve.llm import LLMConfig, build_openai_app

    m = cfg.model
    llm_configs = [
        LLMConfig(
            model_loading_config={"model_id": name, "model_source": path},
            deployment_config={
                "autoscaling_config": m.autoscaling.model_dump(),
                "max_ongoing_requests": m.batching.max_ongoing_requests,
            },
            engine_kwargs={"trust_remote_code": False, "max_model_len": cfg.limits.max_context_tokens},
        )
        for name, path in cfg.models.items()
    ]
    return build_openai_app({"llm_configs": llm_configs})
