"""Typed configuration of the serving application: the `args` of a Serve config file.

One file serves both launchers: `ecomgpt serve --config FILE` and `serve run FILE` / `serve deploy FILE`
read the same Serve config (`applications[0].args` is an `AppConfig`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, NamedTuple

from pydantic import Field, field_validator, model_validator

from ecomgpt.config import (
    ConfigError,
    StrictModel,
    apply_overrides,
    load_yaml,
    parse_model,
    source_name,
)
from ecomgpt.runner import DTYPE_POLICY, Dtype

# Model names travel in URLs, headers and JSON; keep them plain.
MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")


class BatchingConfig(StrictModel):
    max_batch_size: int = Field(default=8, ge=1, le=512, description="most requests in one generate call")
    batch_wait_timeout_s: float = Field(
        default=0.01, ge=0, le=10, description="longest wait for a batch to fill before it runs"
    )
    max_concurrent_batches: int = Field(
        default=1, ge=1, le=64, description="batches a replica runs at once (1: one at a time, best on CPU)"
    )
    max_concurrent_streams: int = Field(
        default=4,
        ge=1,
        le=512,
        description="streamed requests a replica generates at once (each runs its own generate); more wait",
    )
    queue_factor: int = Field(
        default=2,
        ge=1,
        le=64,
        description="max_ongoing_requests per replica = max_batch_size * max_concurrent_batches * queue_factor; "
        "at least one batch waits while another runs",
    )

    @property
    def max_ongoing_requests(self) -> int:
        return self.max_batch_size * self.max_concurrent_batches * self.queue_factor


class AutoscalingConfig(StrictModel):
    min_replicas: int = Field(default=1, ge=0, description="replicas kept when idle")
    max_replicas: int = Field(default=1, ge=1, description="most replicas under load")
    target_ongoing_requests: float = Field(
        default=8, gt=0, description="ongoing requests per replica the autoscaler aims at"
    )

    @model_validator(mode="after")
    def _ordered(self) -> AutoscalingConfig:
        if self.min_replicas > self.max_replicas:
            raise ValueError(f"min_replicas ({self.min_replicas}) > max_replicas ({self.max_replicas})")
        return self


class ModelDeploymentConfig(StrictModel):
    num_cpus: float = Field(default=1, ge=0, description="CPUs per model replica")
    num_gpus: float = Field(default=0, ge=0, description="GPUs per model replica (0: CPU inference)")
    max_models_per_replica: int = Field(
        default=2,
        ge=1,
        description="checkpoints a replica keeps loaded, a base model with its adapters counting as one (least "
        "recently used is dropped)",
    )
    autoscaling: AutoscalingConfig = Field(default_factory=AutoscalingConfig, description="replica autoscaling")
    batching: BatchingConfig = Field(default_factory=BatchingConfig, description="dynamic batching")
    dtype: Dtype = Field(default="auto", description=f"weights' dtype ({DTYPE_POLICY})")
    kv_cache_gb: float = Field(
        default=4,
        gt=0,
        description="memory a replica's generate call may spend on attention caches: batches are split into "
        "calls of at most kv_cache_gb / (context tokens x cache bytes per token) rows",
    )
    max_queued_requests: int = Field(
        default=128, ge=1, description="requests each caller may queue for the model replicas; beyond it: 503"
    )

    @model_validator(mode="after")
    def _target_reachable(self) -> ModelDeploymentConfig:
        # The autoscaler can only see as many ongoing requests as a replica accepts.
        if self.autoscaling.target_ongoing_requests > self.batching.max_ongoing_requests:
            raise ValueError(
                f"autoscaling.target_ongoing_requests ({self.autoscaling.target_ongoing_requests}) is above "
                f"the replica's max_ongoing_requests ({self.batching.max_ongoing_requests} = max_batch_size * "
                "max_concurrent_batches * queue_factor)"
            )
        return self


class GatewayConfig(StrictModel):
    num_cpus: float = Field(default=0.1, ge=0, description="CPUs per HTTP ingress replica")
    num_replicas: int = Field(default=1, ge=1, description="HTTP ingress replicas")
    max_ongoing_requests: int = Field(default=256, ge=1, description="concurrent requests per ingress replica")
    max_queued_requests: int = Field(
        default=512, ge=1, description="requests each HTTP proxy may queue for the ingress; beyond it: 503"
    )


class LimitsConfig(StrictModel):
    max_body_bytes: int = Field(default=1_000_000, ge=1024, description="largest accepted request body")
    max_tokens: int = Field(default=512, ge=1, description="largest max_tokens a request may ask for")
    default_max_tokens: int = Field(default=64, ge=1, description="max_tokens when a request gives none")
    max_context_tokens: int = Field(
        default=2048,
        ge=16,
        description="prompt + completion tokens allowed; a checkpoint declaring a smaller context uses its own",
    )
    request_timeout_s: float = Field(
        default=120, gt=0, description="a request still running after this gets 504 instead of hanging"
    )
    max_json_depth: int = Field(
        default=32, ge=4, le=256, description="deepest nesting of arrays and objects a request body may have"
    )
    health_timeout_s: float = Field(
        default=5, gt=0, description="/healthz answers 503 when the model deployment does not answer within this"
    )
    max_stop_chars: int = Field(
        default=128, ge=1, le=4096, description="longest stop string a request may give (up to 4 of them)"
    )

    @model_validator(mode="after")
    def _default_in_range(self) -> LimitsConfig:
        if self.default_max_tokens > self.max_tokens:
            raise ValueError(f"default_max_tokens ({self.default_max_tokens}) > max_tokens ({self.max_tokens})")
        return self


class AppConfig(StrictModel):
    models: dict[str, str] = Field(
        description="served model name -> checkpoint directory (Hugging Face layout, model.safetensors) or LoRA "
        "adapter directory (adapter_config.json naming its base model; adapters of one base share its weights)",
        min_length=1,
    )
    backend: Literal["transformers", "vllm"] = Field(
        default="transformers",
        description="transformers: `generate` on CPU or GPU; vllm: Ray Serve LLM (needs vLLM, GPU)",
    )
    auth_env: str | None = Field(
        default=None,
        description="environment variable holding the bearer token clients must send; null: no auth",
    )
    model: ModelDeploymentConfig = Field(default_factory=ModelDeploymentConfig, description="model replicas")
    gateway: GatewayConfig = Field(default_factory=GatewayConfig, description="HTTP ingress replicas")
    limits: LimitsConfig = Field(default_factory=LimitsConfig, description="request limits")

    @field_validator("models")
    @classmethod
    def _names(cls, models: dict[str, str]) -> dict[str, str]:
        for name, path in models.items():
            if not MODEL_NAME.match(name):
                raise ValueError(f"model name {name!r} must match {MODEL_NAME.pattern}")
            if not path:
                raise ValueError(f"model {name!r} has an empty checkpoint path")
        return models


class ServeFile(NamedTuple):
    """What `ecomgpt serve --config` reads from a Serve config file (the rest is Serve's own)."""

    args: dict
    host: str
    port: int


def read_serve_file(path: str | Path) -> ServeFile:
    """The first application's args and the HTTP host/port of a Serve config file."""
    data = load_yaml(path)
    apps = data.get("applications")
    if not isinstance(apps, list) or not apps or not isinstance(apps[0], dict):
        raise ConfigError(f"{path}: a Serve config file needs a non-empty `applications` list")
    http = data.get("http_options") or {}
    return ServeFile(
        args=apps[0].get("args") or {},
        host=str(http.get("host", "127.0.0.1")),
        port=int(http.get("port", 8000)),
    )


def parse_model_specs(specs: list[str]) -> dict[str, str]:
    """`NAME=PATH` command-line pairs -> {name: path}; a malformed pair or repeated name is an error."""
    models: dict[str, str] = {}
    for spec in specs:
        name, sep, path = spec.partition("=")
        if not sep or not name or not path:
            raise ConfigError(f"--model {spec!r}: expected NAME=PATH")
        if name in models:
            raise ConfigError(f"--model {spec!r}: model name {name!r} given twice")
        models[name] = path
    return models


def app_config(args: dict, where: str) -> AppConfig:
    return parse_model(AppConfig, args, where)


def cli_config(
    config: str | None, models: list[str] | None, host: str | None, port: int | None, sets: Sequence[str] = ()
) -> tuple[AppConfig, str, int]:
    """`ecomgpt serve` options over the Serve config file: (app config, host, port).

    `--model` pairs replace the file's models, then `--set KEY=VALUE` sets keys of the application's args;
    `--host`/`--port` replace its http_options.
    """
    file = read_serve_file(config) if config else ServeFile({}, "127.0.0.1", 8000)
    shortcuts = [("models", parse_model_specs(models) if models else None)]
    args = apply_overrides(file.args, shortcuts, sets)
    if not args.get("models"):
        raise ConfigError("no model to serve: give --model NAME=PATH or a config whose args list models")
    cfg = app_config(args, source_name(config, sets))
    return cfg, host or file.host, port if port is not None else file.port
