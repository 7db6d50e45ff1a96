from pathlib import Path

import pytest

from ecomgpt.config import ConfigError, load_model
from ecomgpt.precision import resolve
from ecomgpt.train.config import TrainConfig
from ecomgpt.train.ds_config import deepspeed_config, start_schedule

CONFIGS = sorted((Path(__file__).resolve().parents[2] / "configs" / "train").glob("*.yaml"))


def test_every_size_is_shipped():
    assert {p.stem for p in CONFIGS} >= {"tiny", "bloomz-560m", "bloomz-1b7", "bloomz-3b", "bloomz-7b1"}


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_shipped_config_validates(path):
    cfg = load_model(TrainConfig, path)
    assert cfg.check_batch() is None
    ds = deepspeed_config(cfg, cfg.num_workers, resolve(cfg.deepspeed.precision, cfg.use_gpu, native=True))
    assert ds["train_batch_size"] == (
        ds["train_micro_batch_size_per_gpu"] * cfg.num_workers * ds["gradient_accumulation_steps"]
    )
    if path.stem.startswith("bloomz"):
        assert cfg.deepspeed.precision == "bf16" and cfg.model.gradient_checkpointing and cfg.use_gpu
        assert cfg.deepspeed.zero_stage == (3 if path.stem in ("bloomz-3b", "bloomz-7b1") else 2)


def test_bf16_training_is_autocast_over_fp32_weights():
    cfg = TrainConfig()
    assert cfg.deepspeed.precision == "auto"
    bf16 = deepspeed_config(cfg, 2, "bf16")
    assert bf16["torch_autocast"] == {"enabled": True, "dtype": "bfloat16"} and not bf16["bf16"]["enabled"]
    fp32 = deepspeed_config(cfg, 2, "fp32")
    assert not fp32["torch_autocast"]["enabled"] and not fp32["bf16"]["enabled"] and not fp32["fp16"]["enabled"]


def test_unknown_key_names_the_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("optim:\n  lr: 1.0e-3\n  learning_rate: 2\n")
    with pytest.raises(ConfigError, match="unknown key 'optim.learning_rate'") as err:
        load_model(TrainConfig, path)
    assert str(path) in str(err.value)


@pytest.mark.parametrize("schedule", ["cosine", "linear", "constant"])
@pytest.mark.parametrize("warmup", [0, 3])
def test_schedules_build_in_deepspeed(schedule, warmup):
    import torch
    from deepspeed.runtime.lr_schedules import WarmupCosineLR, WarmupDecayLR, WarmupLR

    cfg = TrainConfig.model_validate({"optim": {"schedule": schedule, "warmup_steps": warmup}, "max_steps": 10})
    spec = deepspeed_config(cfg, 2, "fp32")["scheduler"]
    kind = {"WarmupCosineLR": WarmupCosineLR, "WarmupDecayLR": WarmupDecayLR, "WarmupLR": WarmupLR}[spec["type"]]
    optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=cfg.optim.lr)
    scheduler = kind(optimizer, **spec["params"])
    start_schedule(scheduler)
    lrs = []
    for _ in range(cfg.max_steps):  # the lr each optimizer step trains at; the engine steps the schedule after it
        lrs.append(optimizer.param_groups[0]["lr"])
        scheduler.step()
    peak = cfg.optim.lr
    # No step trains at lr 0: warm-up step k trains at k/(warmup+1) of the peak, the next one at about the peak.
    assert lrs[:warmup] == pytest.approx([peak * (k + 1) / (warmup + 1) for k in range(warmup)])
    assert lrs[warmup] == pytest.approx(peak, rel=0.05)
    assert all(0 < lr <= peak for lr in lrs)
