"""Planning the teacher's pass: who the teacher is (its identity keys the answer cache), how it is prompted,
and the checks made before any work starts."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from ecomgpt import models, storage
from ecomgpt.errors import UserError
from ecomgpt.generate.teacher.cache import TeacherIdentity
from ecomgpt.generate.teacher.config import HttpTeacher, LocalTeacher, TeacherConfig
from ecomgpt.tasks.pseudo.registry import PromptFormat, prompts_hash
from ecomgpt.tasks.registry import resolve_tasks


@dataclass(frozen=True)
class TeacherPlan:
    config: TeacherConfig
    tasks: list[str]
    cache_dir: str
    identity: TeacherIdentity
    prompts_hash: str
    api_key: str | None = field(default=None, repr=False)


def identity(cfg: TeacherConfig, prompt_format: PromptFormat) -> TeacherIdentity:
    model = cfg.model
    if isinstance(model, HttpTeacher):
        return TeacherIdentity("http", model.model, cfg.temperature, prompt_format, api=model.api)
    located = models.locate(model.model)
    fingerprint = storage.fingerprint(located) if _is_directory(located) else None
    return TeacherIdentity("local", located, cfg.temperature, prompt_format, dtype=model.dtype, fingerprint=fingerprint)


def _is_directory(located: str) -> bool:
    return not models.is_offline(located) and (storage.is_uri(located) or storage.is_dir(located))


def fine_tuned_here(located: str) -> bool:
    """Whether a located model is a checkpoint this platform trained (its manifest.json names the train stage)."""
    return _is_directory(located) and storage.manifest_stage(located) == "train"


def prompt_format(model: LocalTeacher | HttpTeacher) -> PromptFormat:
    """How the teacher is prompted. HTTP: chat messages for `api: chat`, the platform format for `completions`.
    Local (`model.model` located): as `prompt_format` says; `auto` is `ecomgpt` for a checkpoint this platform
    fine-tuned (trained on that format), else `chat` when the tokenizer has a chat template, else `ecomgpt`."""
    if isinstance(model, HttpTeacher):
        return "chat" if model.api == "chat" else "ecomgpt"
    if model.prompt_format == "ecomgpt" or (model.prompt_format == "auto" and fine_tuned_here(model.model)):
        return "ecomgpt"
    has_template = bool(models.load_tokenizer(model.model).chat_template)
    if model.prompt_format == "chat" and not has_template:
        raise UserError(
            f"teacher.model.prompt_format: chat, but the tokenizer of {model.model} has no chat "
            "template; use ecomgpt (or auto)"
        )
    return "chat" if has_template else "ecomgpt"


def plan_teacher(cfg: TeacherConfig, output: str) -> TeacherPlan:
    """Check the teacher before any work starts: the model loads (or the API key is set), the cache lies
    outside the output (which a finished run replaces whole)."""
    model = cfg.model
    key = None
    if isinstance(model, HttpTeacher):
        if model.api_key_env:
            key = os.environ.get(model.api_key_env)  # read here; it reaches only the labelling actor
            if not key:
                raise UserError(f"teacher.model.api_key_env: environment variable {model.api_key_env} is not set")
    else:
        models.check(model.model, "teacher.model.model")
        model = model.model_copy(update={"model": models.locate(model.model)})
        cfg = cfg.model_copy(update={"model": model})
    cache_dir = storage.absolute(cfg.cache_dir or f"{storage.normalize(output).rstrip('/')}.teacher-cache")
    if storage.inside(cache_dir, output):
        raise UserError(
            f"teacher.cache_dir {cache_dir} lies inside the output {output}, which a run replaces; "
            "choose a directory outside it"
        )
    tasks = resolve_tasks(cfg.tasks, label_kind="pseudo")
    fmt = prompt_format(cfg.model)
    return TeacherPlan(cfg, [t.name for t in tasks], cache_dir, identity(cfg, fmt), prompts_hash(tasks, fmt), key)
