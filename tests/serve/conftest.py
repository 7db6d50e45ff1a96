"""Two tiny checkpoints with different tokenizers (so responses tell them apart) and a free port."""

from __future__ import annotations

import socket

import pytest

from ecomgpt.train.tiny import build_tiny_checkpoint

TEXTS = [
    "Below is an instruction that describes the review sentiment classification task. "
    "Write a response that appropriately completes the request.\n### Instruction:\n"
    "great shoes, fast shipping\nWhat is the sentiment of the review above? Options: positive, negative, neutral.\n"
    "### Response: positive",
    "Query: red running shoes\nDoc: Nike Air Zoom running shoe red\nmatch, not match",
    "color: red; material: cotton; brand: Nike\nNike red cotton T-Shirt",
    "User: hello\nAgent: hi, how can I help you today?",
] * 5


@pytest.fixture(scope="session")
def checkpoints(tmp_path_factory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("serve-ckpt")
    return {
        "tiny-a": str(build_tiny_checkpoint(TEXTS, root / "a", vocab_size=400, seed=1)),
        "tiny-b": str(build_tiny_checkpoint(TEXTS, root / "b", vocab_size=300, seed=2)),
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
