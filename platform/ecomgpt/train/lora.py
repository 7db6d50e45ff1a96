"""LoRA fine-tuning with PEFT: adapters put on the backbone in every worker, their checks on the driver, and
the exports (the adapter directory, and with `lora.merge` the merged model).

Only the adapters' weights (and `modules_to_save`) train: DeepSpeed gets those as its parameters, keeps
optimizer state for them alone and checkpoints them without the frozen backbone. The export is PEFT's
adapter directory (`adapter_config.json` naming the base model as training was given it, and
`adapter_model.safetensors`), so `peft.PeftModel.from_pretrained(base, directory)` loads it, and so does
every stage of the platform through `ecomgpt.models`.
"""

from __future__ import annotations

import shutil
import tempfile

from ecomgpt import adapters, models, storage
from ecomgpt.config import ConfigError
from ecomgpt.train.config import TINY, LoraConfig, TrainConfig
from ecomgpt.train.export import export_model, write_aside


def target_modules(lora: LoraConfig, model_type: str) -> list[str]:
    return list(lora.target_modules) if lora.target_modules else adapters.default_target_modules(model_type)


def check_lora(cfg: TrainConfig) -> None:
    """On the driver, before any worker: the target modules exist in the backbone (built on the meta device)."""
    lora = cfg.lora
    if lora is None:
        return
    name = cfg.model.name_or_path
    if name == TINY:
        from transformers import BloomConfig

        tiny = cfg.model.tiny
        config = BloomConfig(
            vocab_size=tiny.vocab_size, hidden_size=tiny.hidden_size, n_layer=tiny.n_layer, n_head=tiny.n_head
        )
    else:
        config = models.base_config(name)
    try:
        targets = target_modules(lora, config.model_type)
    except adapters.AdapterError as err:
        raise ConfigError(f"lora.target_modules: {err}") from None
    missing = adapters.missing_targets(adapters.meta_model(config), targets)
    if missing:
        raise ConfigError(
            f"lora.target_modules: {', '.join(map(repr, missing))} matches no linear or embedding "
            f"layer of {name} (a {config.model_type})"
        )
    if lora.modules_to_save:
        modules = {n for n, _ in adapters.meta_model(config).named_modules()}
        unknown = [m for m in lora.modules_to_save if not any(n == m or n.endswith(f".{m}") for n in modules)]
        if unknown:
            raise ConfigError(f"lora.modules_to_save: {', '.join(map(repr, unknown))} is no module of {name}")


def add_adapters(model, lora: LoraConfig, base_name: str):
    """The PeftModel training `model`'s LoRA adapter `default`; its config names `base_name` as the base."""
    from peft import LoraConfig as PeftLoraConfig
    from peft import get_peft_model

    config = PeftLoraConfig(
        r=lora.r,
        lora_alpha=lora.alpha,  # type: ignore[arg-type]  # PEFT annotates int; a float alpha scales the same
        lora_dropout=lora.dropout,
        task_type="CAUSAL_LM",
        target_modules=target_modules(lora, model.config.model_type),
        modules_to_save=lora.modules_to_save,
    )
    peft_model = get_peft_model(model, config)
    # What `from_pretrained` was given is a node-local directory; the adapter names the model as configured.
    peft_model.peft_config["default"].base_model_name_or_path = base_name
    return peft_model


def trained_state_dict(engine, zero_stage: int) -> dict | None:
    """The trained weights only (adapters, modules_to_save) on rank 0; with ZeRO-3 only those are gathered,
    never the frozen backbone (every rank must call this)."""
    params = {name: p for name, p in engine.module.named_parameters() if p.requires_grad}
    if zero_stage == 3:
        import deepspeed

        with deepspeed.zero.GatheredParameters(list(params.values()), modifier_rank=None):
            return {n: p.detach().cpu().clone() for n, p in params.items()} if engine.global_rank == 0 else None
    if engine.global_rank == 0:
        return {name: p.detach().cpu().clone() for name, p in params.items()}
    return None


def export_adapter(peft_model, state_dict: dict, target: str, merged_target: str | None, tokenizer, dtype) -> None:
    """The adapter directory at `target` (path or URI) and, when `merged_target` is given, the base model
    with the adapter merged in (a full checkpoint, as `export.export_model` writes it)."""
    local = tempfile.mkdtemp(prefix="ecomgpt-adapter-")
    try:
        # The vocabulary is never resized here: no embedding layer to save (and no hub look-up to decide).
        peft_model.save_pretrained(local, state_dict=state_dict, safe_serialization=True, save_embedding_layers=False)
        write_aside(target, lambda staging: shutil.copytree(local, staging, dirs_exist_ok=True))
        if merged_target is not None:
            base_name = peft_model.peft_config["default"].base_model_name_or_path
            merged = models.load_causal_lm(base_name, dtype, {"default": local}).merge_and_unload()
            export_model(merged.state_dict(), merged.config, tokenizer, merged_target)
    finally:
        shutil.rmtree(local, ignore_errors=True)


def merged_path(output: str, cfg: TrainConfig) -> str | None:
    return storage.join(output, "merged") if cfg.lora is not None and cfg.lora.merge else None
