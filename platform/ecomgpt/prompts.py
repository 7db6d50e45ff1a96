"""The one prompt format shared by training, evaluation and serving (the EcomGPT evaluation format)."""

from __future__ import annotations

HEADER = (
    "Below is an instruction that describes the {definition} task. "
    "Write a response that appropriately completes the request.\n"
)
RESPONSE_MARKER = "### Response:"
# Where an answer ends: a model that writes on starts a new `### ` section (evaluation and serving stop here).
RESPONSE_STOP = "### "


def render_prompt(definition: str, instruction: str, input_text: str, *, header: bool = True) -> str:
    """Render one prompt; the model's answer follows the final `### Response:`."""
    head = HEADER.format(definition=definition) if header else ""
    return f"{head}### Instruction:\n{input_text}\n{instruction}\n{RESPONSE_MARKER}"
