"""Typed configuration: YAML -> pydantic models where an unknown key is an error, then overrides.

Every command and job builds its config one way (`load_config`): the YAML file, then overrides — the
command's shortcut flags and `--set KEY=VALUE` — each a dotted key path into the config with a value, then
validation by the config's pydantic model, so an unknown or mistyped key fails naming its whole path.
Configs that carry overrides of another config (the pipeline's `train.overrides`, the sweep's
`train_overrides`) are nested mappings applied the same way, key by key.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from ecomgpt.errors import UserError

M = TypeVar("M", bound=BaseModel)

Key = str | tuple[str, ...]  # a dotted key path, "train.max_steps", or its parts
Override = tuple[Key, Any]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class ConfigError(UserError, ValueError):
    """A config file that cannot be used, with the file and the offending keys in the message."""


def format_validation_error(err: ValidationError, where: str) -> str:
    lines = [f"{where}: invalid configuration"]
    for item in err.errors():
        loc = ".".join(str(part) for part in item["loc"]) or "(top level)"
        if item["type"] == "extra_forbidden":
            lines.append(f"  - unknown key {loc!r}")
        else:
            lines.append(f"  - {loc}: {item['msg']}")
    return "\n".join(lines)


def load_yaml(path: str | Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    with path.open(encoding="utf-8") as fh:
        try:
            data = yaml.safe_load(fh)
        except yaml.YAMLError as err:
            raise ConfigError(f"{path}: not valid YAML: {err}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level, got {type(data).__name__}")
    return data


def parse_model(model: type[M], data: dict, where: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise ConfigError(format_validation_error(err, where)) from None


def load_model(model: type[M], path: str | Path) -> M:
    return parse_model(model, load_yaml(path), str(path))


# ---- overrides ---------------------------------------------------------------------------------------


def key_path(key: Key) -> tuple[str, ...]:
    """A dotted key as its parts; an empty key or part is an error."""
    parts = tuple(key.split(".")) if isinstance(key, str) else tuple(key)
    if not parts or not all(parts):
        raise ConfigError(f"invalid config key {key!r}: expected dotted names such as train.max_steps")
    return parts


def parse_set(text: str) -> tuple[tuple[str, ...], Any]:
    """`--set KEY=VALUE`: the key's parts and the value parsed as YAML (`300` an int, `null` None, `a` a string)."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"--set {text!r}: expected KEY=VALUE, e.g. --set max_steps=300")
    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError as err:
        raise ConfigError(f"--set {text!r}: the value is not valid YAML: {err}") from None
    return key_path(key.strip()), value


def leaves(mapping: Mapping, prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """A nested mapping as overrides: nested mappings merge key by key, any other value (an empty mapping
    included) replaces."""
    for key, value in mapping.items():
        path = (*prefix, str(key))
        if isinstance(value, Mapping) and value:
            yield from leaves(value, path)
        else:
            yield path, value


def override(data: Mapping, overrides: Iterable[Override]) -> dict:
    """`data` with each key path set to its value, in order (a later one wins); `data` is left unchanged.

    Missing or null mappings on the way are created; a key path through any other value is an error.
    """
    out = dict(data)
    for key, value in overrides:
        parts = key_path(key)
        node = out
        for depth, part in enumerate(parts[:-1]):
            child = node.get(part)
            if child is not None and not isinstance(child, Mapping):
                above = ".".join(parts[: depth + 1])
                raise ConfigError(f"cannot set {'.'.join(parts)}: {above} is {child!r}, not a mapping")
            node[part] = dict(child or {})  # copied: the caller's data stays as it was
            node = node[part]
        node[parts[-1]] = value
    return out


def apply_overrides(data: Mapping, overrides: Iterable[Override] = (), sets: Sequence[str] = ()) -> dict:
    """`data` with `overrides` (a command's shortcut flags; None values skipped) and then the `--set
    KEY=VALUE` strings applied, not yet validated."""
    given = [(key, value) for key, value in overrides if value is not None]
    return override(data, [*given, *map(parse_set, sets)])


def source_name(path: str | Path | None, sets: Sequence[str] = ()) -> str:
    """Where a config came from, for its error messages."""
    where = str(path) if path else "command line"
    return f"{where} with --set {' '.join(sets)}" if sets else where


def load_config(
    model: type[M], path: str | Path | None, overrides: Iterable[Override] = (), sets: Sequence[str] = ()
) -> M:
    """The one way a command builds its config: the YAML file (none: the defaults), then the shortcut
    flags' overrides, then `--set KEY=VALUE`, validated by `model`."""
    data = apply_overrides(load_yaml(path) if path else {}, overrides, sets)
    return parse_model(model, data, source_name(path, sets))


def unknown_keys(model: type[BaseModel], data: Mapping, prefix: tuple[str, ...] = ()) -> list[str]:
    """Dotted keys of a nested mapping that `model` does not declare, following nested config models."""
    unknown = []
    for key, value in data.items():
        path = (*prefix, str(key))
        field = model.model_fields.get(str(key))
        if field is None:
            unknown.append(".".join(path))
        elif (nested := _config_model(field.annotation)) is not None and isinstance(value, Mapping):
            unknown += unknown_keys(nested, value, path)
    return unknown


def _config_model(annotation: Any) -> type[BaseModel] | None:
    """The config model an annotation holds (`X` or `X | None`), or None for any other type."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        inner = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        return _config_model(inner[0]) if len(inner) == 1 else None
    return None
