"""The teacher's answer cache: content-addressed, so a (record, task, teacher) labelled once is never asked again.

An entry's key hashes the teacher's identity (`TeacherIdentity`: kind, model, API, temperature; not the
endpoint's address, so a model moved to another server keeps its answers) with the exact labelling prompt
(which holds the record's text, the task's guide and few-shot examples) and the answer budget. A changed
prompt, model or setting is a different key; nothing is ever invalidated in place.

Layout, one small JSON file per answer, written atomically (a temporary file renamed), so any number of
actors and runs may read and write one cache at once:

    <cache_dir>/<teacher id (16 hex)>/<key[:2]>/<key>.json    {"answer", "task", "teacher"}

The raw answer is stored, not the parsed one: grounding runs on every run, so a changed parser needs no
new call. Failed requests are not cached.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from ecomgpt import storage
from ecomgpt.hashing import stable_hex128
from ecomgpt.tasks.pseudo.registry import PromptFormat


@dataclass(frozen=True)
class TeacherIdentity:
    """What makes two teachers give the same answers: the cache is keyed by it (and by each prompt)."""

    kind: Literal["http", "local"]
    model: str
    temperature: float
    prompt_format: PromptFormat
    api: str | None = None  # http: chat or completions
    dtype: str | None = None  # local
    fingerprint: list | None = None  # a local checkpoint directory's: one re-trained in place is a new teacher

    def as_dict(self) -> dict[str, Any]:
        """The identity as the cache keys and manifests spell it (the fields a teacher of its kind has)."""
        found: dict[str, Any] = {"kind": self.kind, "model": self.model}
        found.update({"api": self.api} if self.kind == "http" else {"dtype": self.dtype})
        found.update({"temperature": self.temperature, "prompt_format": self.prompt_format})
        if self.fingerprint is not None:
            found["fingerprint"] = self.fingerprint
        return found


def teacher_id(identity: TeacherIdentity) -> str:
    return stable_hex128(json.dumps(identity.as_dict(), sort_keys=True))[:16]


def entry_key(identity: TeacherIdentity, prompt: str, max_new_tokens: int) -> str:
    return stable_hex128(json.dumps(identity.as_dict(), sort_keys=True), prompt, max_new_tokens)


class AnswerCache:
    def __init__(self, root: str, identity: TeacherIdentity) -> None:
        self.identity = identity
        self.dir = storage.join(root, teacher_id(identity))

    def path(self, key: str) -> str:
        return storage.join(self.dir, key[:2], f"{key}.json")

    def get(self, key: str) -> str | None:
        """The cached answer, or None. A file that is not a cache entry is an error naming it."""
        path = self.path(key)
        if not storage.exists(path):
            return None
        try:
            entry = json.loads(storage.read_text(path))
            return entry["answer"]
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"teacher cache entry {path} is corrupt ({exc}); delete it to ask again") from None

    def put(self, key: str, answer: str, task: str) -> None:
        storage.write_text(
            self.path(key),
            json.dumps({"answer": answer, "task": task, "teacher": self.identity.as_dict()}, ensure_ascii=False),
        )
