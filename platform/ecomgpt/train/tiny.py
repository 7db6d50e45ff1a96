"""The offline default model: a tiny randomly initialised BLOOM and a byte-level BPE tokenizer trained here.

No weights can be downloaded on an offline machine, so the default path builds both from the training
texts. Everything downstream (training, evaluation, serving) treats the result exactly like a BLOOMZ
checkpoint: a Hugging Face directory with config.json, model.safetensors and the tokenizer files.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

# BLOOM's special tokens and their ids, so the tiny model is configured like the real one.
UNK, BOS, EOS, PAD = "<unk>", "<s>", "</s>", "<pad>"
SPECIAL_TOKENS = (UNK, BOS, EOS, PAD)


def train_tokenizer(texts: Iterable[str], vocab_size: int = 4000, model_max_length: int = 2048):
    """A byte-level BPE tokenizer (every byte representable, so any text round-trips) with BLOOM's specials."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE(unk_token=UNK))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        unk_token=UNK,
        bos_token=BOS,
        eos_token=EOS,
        pad_token=PAD,
        model_max_length=model_max_length,
    )


def tiny_bloom_config(tokenizer, *, n_layer: int = 2, hidden_size: int = 64, n_head: int = 4):
    """A BloomConfig sized by the arguments, with the tokenizer's vocabulary and special-token ids."""
    from transformers import BloomConfig

    return BloomConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        n_layer=n_layer,
        n_head=n_head,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )


def init_model(config, seed: int = 0):
    """A randomly initialised causal LM for `config`, the same for the same seed."""
    import torch
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config)
    model.generation_config.eos_token_id = config.eos_token_id
    model.generation_config.pad_token_id = config.pad_token_id
    return model


def build_tiny_checkpoint(
    texts: Iterable[str],
    out_dir: str | Path,
    *,
    vocab_size: int = 4000,
    n_layer: int = 2,
    hidden_size: int = 64,
    n_head: int = 4,
    seed: int = 0,
) -> Path:
    """Train a tokenizer on `texts`, initialise a tiny BLOOM and save both as a Hugging Face directory."""
    tokenizer = train_tokenizer(texts, vocab_size)
    model = init_model(tiny_bloom_config(tokenizer, n_layer=n_layer, hidden_size=hidden_size, n_head=n_head), seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    return out
