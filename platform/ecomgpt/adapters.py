"""LoRA adapters (PEFT): the adapter directory's contract, per-architecture target modules, and the check
that an adapter fits the base model it names.

An adapter directory is what PEFT's `save_pretrained` writes: `adapter_config.json` (LoRA settings and
`base_model_name_or_path`, the base model it was trained on, in any form `ecomgpt.models` resolves: a local
path, a URI, a hub id or an offline backbone's name) and `adapter_model.safetensors`. It loads with
`peft.PeftModel.from_pretrained(base, directory)`; the platform loads it through `ecomgpt.models`, which
resolves the base from it. Only LoRA adapters are served and evaluated (PEFT's mixed-adapter batches are
LoRA's).

The fit check reads the adapter's tensor shapes (the safetensors header, no weights) and compares them with
the base model's modules, built from its config on the meta device: an adapter trained on another model is
refused before any weight is loaded, naming the module whose shape differs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import cast

from ecomgpt import storage

ADAPTER_CONFIG = "adapter_config.json"
ADAPTER_WEIGHTS = "adapter_model.safetensors"
PEFT_PREFIX = "base_model.model."  # how PEFT prefixes the base model's module names in a saved adapter

# LoRA's target modules when the config names none: every attention projection of the architecture.
DEFAULT_TARGET_MODULES: dict[str, list[str]] = {
    "bloom": ["query_key_value", "dense"],  # self_attention.{query_key_value,dense}, not the MLP's dense_*
    "llama": ["q_proj", "k_proj", "v_proj", "o_proj"],
}


class AdapterError(ValueError):
    """An adapter directory that cannot be used; the message names the directory and the reason."""


@dataclass(frozen=True)
class AdapterInfo:
    location: str
    base: str  # base_model_name_or_path as the adapter names it
    peft_type: str
    r: int
    target_modules: tuple[str, ...]


def is_adapter(location: str) -> bool:
    """Whether a local path or URI is a PEFT adapter directory (it holds adapter_config.json)."""
    return storage.exists(storage.join(location, ADAPTER_CONFIG))


def read_adapter(location: str) -> AdapterInfo:
    """The adapter's config, checked: LoRA, its weights in safetensors, its base named."""
    config_path = storage.join(location, ADAPTER_CONFIG)
    try:
        config = json.loads(storage.read_text(config_path))
    except json.JSONDecodeError as err:
        raise AdapterError(f"adapter {location}: {ADAPTER_CONFIG} is not valid JSON: {err}") from None
    if not isinstance(config, dict):
        raise AdapterError(f"adapter {location}: {ADAPTER_CONFIG} is not a JSON object")
    peft_type = str(config.get("peft_type"))
    if peft_type != "LORA":
        raise AdapterError(
            f"adapter {location}: peft_type {peft_type!r} in {ADAPTER_CONFIG}; only LORA adapters are loaded"
        )
    base = config.get("base_model_name_or_path")
    if not isinstance(base, str) or not base:
        raise AdapterError(f"adapter {location}: {ADAPTER_CONFIG} names no base model (base_model_name_or_path)")
    if not storage.exists(storage.join(location, ADAPTER_WEIGHTS)):
        raise AdapterError(f"adapter {location}: no {ADAPTER_WEIGHTS}; pickled adapter weights are not loaded")
    targets = config.get("target_modules") or ()
    return AdapterInfo(
        location, base, peft_type, int(config.get("r") or 0), tuple([targets] if isinstance(targets, str) else targets)
    )


def default_target_modules(model_type: str) -> list[str]:
    """The architecture's LoRA target modules; an architecture without defaults must name its own."""
    if model_type not in DEFAULT_TARGET_MODULES:
        raise AdapterError(
            f"no default LoRA target modules for model type {model_type!r} (defaults exist for "
            f"{', '.join(sorted(DEFAULT_TARGET_MODULES))}); set lora.target_modules"
        )
    return list(DEFAULT_TARGET_MODULES[model_type])


def meta_model(config):
    """The causal LM of a config with every tensor on the meta device: its module tree, no memory."""
    import torch
    from transformers import AutoModelForCausalLM

    with torch.device("meta"):
        return AutoModelForCausalLM.from_config(config)


def _features(module) -> tuple[int, int] | None:
    """(in, out) features of a layer LoRA can adapt, or None."""
    import torch
    from transformers.pytorch_utils import Conv1D

    if isinstance(module, torch.nn.Linear):
        return module.in_features, module.out_features
    if isinstance(module, torch.nn.Embedding):
        return module.num_embeddings, module.embedding_dim
    if isinstance(module, Conv1D):
        return cast(tuple[int, int], tuple(module.weight.shape))  # Conv1D stores (in, out)
    return None


def missing_targets(model, targets: list[str]) -> list[str]:
    """The target names that match no adaptable layer of `model` (PEFT matches a name as a dotted suffix)."""
    names = [name for name, module in model.named_modules() if _features(module) is not None]
    return [t for t in targets if not any(n == t or n.endswith(f".{t}") for n in names)]


def _tensor_shapes(location: str) -> dict[str, tuple[int, ...]]:
    from safetensors import safe_open

    path = storage.join(storage.local_dir(location), ADAPTER_WEIGHTS)
    with safe_open(path, framework="pt") as fh:
        return {key: tuple(fh.get_slice(key).get_shape()) for key in fh.keys()}  # noqa: SIM118 - a safetensors file handle, not a dict


def fit_problem(location: str, base_config) -> str | None:
    """Why the adapter's weights do not fit the base model of `base_config`, or None when they do."""
    model = meta_model(base_config)
    modules = dict(model.named_modules())
    params = {name: tuple(p.shape) for name, p in model.named_parameters(remove_duplicate=False)}
    for key, shape in sorted(_tensor_shapes(location).items()):
        name = key.removeprefix(PEFT_PREFIX)
        for suffix, side in (
            (".lora_A.weight", "in"),
            (".lora_B.weight", "out"),
            (".lora_embedding_A", "in"),
            (".lora_embedding_B", "out"),
        ):
            if name.endswith(suffix):
                module_name = name[: -len(suffix)]
                features = _features(modules[module_name]) if module_name in modules else None
                if features is None:
                    return f"the base model has no layer {module_name!r} to adapt"
                want = features[0] if side == "in" else features[1]
                have = shape[1] if side == "in" else shape[0]
                if have != want:
                    return (
                        f"{key} has shape {list(shape)}, but the base model's {module_name} has "
                        f"{features[0]} in and {features[1]} out features"
                    )
                break
        else:  # a fully trained module (modules_to_save): the same tensor as the base model's
            if name not in params:
                return f"the base model has no weight {name!r}"
            if params[name] != shape:
                return f"{key} has shape {list(shape)}, the base model's has {list(params[name])}"
    return None
