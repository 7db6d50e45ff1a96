"""Source configs: where raw records live, their format, and how raw fields map to canonical ones.

A new CSV or JSON-lines dataset is plugged in by writing `configs/sources/<name>.yaml`, not code
(the field specs below show each form; configs/sources/ has one real config per shared dataset):

```yaml
name: womens_clothing_reviews
path: ../shared/data/raw/womens_clothing_reviews/*.csv   # relative paths: against the working directory
format: csv
data_type: review
lang: en
mapping:
  text: Review Text                    # a column (a dotted path for nested JSON)
  rating: {column: Rating, parse: int}
  sentiment: {column: label, values: {"1": positive, "0": negative}}
  items: [{title: product_title, relevance: {column: esci_label, values: {Exact: exact}}}]
  turns: {column: utterances, each: {role: {column: participant, values: {Client: user}}, text: utterance}}
  domain: {const: Appliances}
```

A field spec is one of: a column name; a rule `{column | const, parse, values, default, each}`; or a
list whose items are columns (giving a list of values) or nested mappings evaluated on the same row
(giving a list of objects, e.g. one query candidate per CSV row). `parse` names parsers from
`ecomgpt.records.parsers` (a name or a chain: json, python_literal, split:SEP, kv:SEP, first, last,
drop_last, list, pluck:KEY, int, float, money, regex:PATTERN, dict_items, ruby_kv), or a
`module:function` imported from the config's directory or the Python path; `values` maps raw values (compared as
strings) to canonical ones; `each` applies a nested mapping to every element of a list value. Mapping keys are
checked against the canonical schema when the config loads.
"""

from __future__ import annotations

import json
import typing
from typing import Annotated, Any, Literal, cast

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)
from typing_extensions import TypeAliasType

from ecomgpt import storage
from ecomgpt.errors import UserError
from ecomgpt.records.layout import task_dirs
from ecomgpt.records.parsers import check_parser, is_function, load_function
from ecomgpt.records.schema import MODELS

FORMATS = ("jsonl", "json", "csv", "parquet", "bio", "ecomgpt")
SourceFormat = Literal["jsonl", "json", "csv", "parquet", "bio", "ecomgpt"]
# Extensions a directory path contributes, per format.
EXTENSIONS = {
    "jsonl": (".jsonl", ".ndjson", ".json"),
    "json": (".json",),
    "csv": (".csv", ".tsv"),
    "parquet": (".parquet",),
    "bio": (".txt", ".bio", ".conll"),
}


class SourceError(UserError, ValueError):
    """An unusable source: the message names the source and the file, key or column at fault."""


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldRule(_Config):
    """How to get one canonical field from a raw row (or from a list element, inside `each`)."""

    column: str | None = Field(
        default=None, description="raw column or dotted path into nested JSON, e.g. 'metadata.id'"
    )
    const: Any = Field(default=None, description="a constant value instead of a column")
    parse: list[str] = Field(
        default_factory=list, description="parser name or chain applied in order, e.g. [json, first]"
    )
    values: dict[str, Any] | None = Field(
        default=None,
        description="maps raw values (as strings) to canonical ones; a value not listed is rejected",
    )
    default: Any = Field(default=None, description="used when the result is missing (None)")
    each: dict[str, FieldSpec] | None = Field(  # type: ignore[misc]  # a recursive TypeAliasType, which mypy does not resolve
        default=None, description="nested mapping applied to every element of a list value"
    )

    @field_validator("parse", mode="before")
    @classmethod
    def _parse_chain(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("parse")
    @classmethod
    def _known_parsers(cls, value: list[str]) -> list[str]:
        for spec in value:
            check_parser(spec)
        return value

    @field_validator("values", mode="before")
    @classmethod
    def _string_keys(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {value_key(key): val for key, val in value.items()}
        return value

    @model_validator(mode="after")
    def _column_or_const(self) -> FieldRule:
        has_const = "const" in self.model_fields_set
        if (self.column is None) == (not has_const):
            raise ValueError("a field rule needs exactly one of 'column' or 'const'")
        if has_const and (self.parse or self.values or self.each):
            raise ValueError("'const' cannot be combined with parse, values or each")
        return self


def value_key(value: Any) -> str:
    """The string form used to look raw values up in a `values` map (1, 1.0 and "1" all give "1")."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _spec_kind(value: Any) -> str:
    if isinstance(value, str):
        return "spec:column"
    if isinstance(value, (list, tuple)):
        return "spec:list"
    return "spec:rule"


def _item_kind(value: Any) -> str:
    return "spec:column" if isinstance(value, str) else "spec:mapping"


# Named recursive aliases: a field spec may hold nested mappings of field specs.
ListItem = TypeAliasType(  # type: ignore[misc]  # a recursive TypeAliasType, which mypy does not resolve
    "ListItem",
    Annotated[
        Annotated[str, Tag("spec:column")] | Annotated[dict[str, "FieldSpec"], Tag("spec:mapping")],  # type: ignore[misc]  # a recursive TypeAliasType, which mypy does not resolve
        Discriminator(_item_kind),
    ],
)
FieldSpec = TypeAliasType(  # type: ignore[misc]  # a recursive TypeAliasType, which mypy does not resolve
    "FieldSpec",
    Annotated[
        Annotated[str, Tag("spec:column")]
        | Annotated[FieldRule, Tag("spec:rule")]
        | Annotated[list[ListItem], Tag("spec:list")],
        Discriminator(_spec_kind),
    ],
)
FieldRule.model_rebuild()


class BioOptions(_Config):
    """Settings of the char-level BIO reader (one `char TAG` per line, blank line between sentences)."""

    dataset: str | None = Field(default=None, description="AnnotatedText.dataset; default: the source name")
    definition: str = Field(default="named entity recognition", description="AnnotatedText.definition")
    label_names: dict[str, str] = Field(
        default_factory=dict,
        description="renames entity types (HPPX -> 品牌); when given, a type not listed is rejected",
    )
    token_sep: str = Field(default="", description="joins tokens into the text ('' for characters)")


class SourceConfig(_Config):
    """One raw data source: files, their format, and the mapping to canonical records."""

    name: str = Field(min_length=1, description="source name; becomes each record's `source`")
    path: str | list[str] = Field(
        description="file, directory or glob (or a list of them); local path or fsspec/pyarrow URI "
        "such as file:// or s3://. Relative local paths resolve against the working directory."
    )
    format: SourceFormat = Field(
        description="jsonl: JSON lines; json: one JSON array; csv; parquet; bio: char-level BIO "
        "NER; ecomgpt: the EcomGPT task layout <Dataset>/tasks/<task>/{meta-info.json,test.json}"
    )
    data_type: Literal["product", "review", "query", "dialogue", "annotated"] | None = Field(
        default=None, description="canonical data type; None: rows are canonical and carry their own"
    )
    lang: Literal["en", "zh"] | None = Field(default=None, description="language of records whose mapping gives none")
    mapping: dict[str, FieldSpec] | None = Field(
        default=None, description="canonical field -> field spec; None: rows are already canonical"
    )
    allow_python_literals: bool = Field(
        default=False, description="jsonl: read lines that are not JSON as Python literals"
    )
    delimiter: str = Field(default=",", min_length=1, max_length=1, description="csv field delimiter")
    max_record_lines: int = Field(
        default=100,
        ge=1,
        description="csv: physical lines one record may span (quoted newlines); a "
        "longer record is rejected as unparsable and reading resumes at its second line",
    )
    max_record_bytes: int = Field(
        default=1 << 20,
        ge=1,
        description="csv: bytes one record (and one physical line) may hold; a "
        "larger one is rejected as unparsable without being held in memory",
    )
    bio: BioOptions | None = Field(default=None, description="bio format settings")
    original_tasks: list[str] = Field(
        default_factory=list,
        description="the dataset's own tasks (those its annotation was published for, e.g. rating prediction "
        "for a reviews-with-stars dataset): their examples from this source are marked atomic = false; every "
        "other task's are Chain-of-Task atomic tasks",
    )
    config_dir: str | None = Field(
        default=None,
        description="directory `module:function` parsers are imported from before the Python path; "
        "set to the config file's directory when the config is read from a file",
    )

    @property
    def paths(self) -> list[str]:
        return [self.path] if isinstance(self.path, str) else list(self.path)

    @model_validator(mode="after")
    def _consistent(self) -> SourceConfig:
        if not self.paths or not all(self.paths):
            raise ValueError("path must name at least one file, directory or glob")
        if self.format in ("bio", "ecomgpt"):
            if self.data_type not in (None, "annotated"):
                raise ValueError(f"format {self.format!r} gives annotated records, not {self.data_type!r}")
            if self.mapping is not None:
                raise ValueError(f"format {self.format!r} builds records itself and takes no mapping")
        if self.format == "bio" and self.lang is None:
            raise ValueError("format 'bio' needs lang, the language of its sentences")
        if self.bio is not None and self.format != "bio":
            raise ValueError("'bio' settings apply to format 'bio' only")
        if self.allow_python_literals and self.format != "jsonl":
            raise ValueError("allow_python_literals applies to format 'jsonl' only")
        csv_only = {"delimiter", "max_record_lines", "max_record_bytes"} & self.model_fields_set
        if csv_only and self.format != "csv":
            raise ValueError(f"{', '.join(sorted(csv_only))} applies to format 'csv' only")
        if self.mapping is not None:
            if self.data_type is None:
                raise ValueError("a mapping needs data_type, the canonical type it builds")
            _check_mapping(self.mapping, MODELS[self.data_type], "mapping")
            _check_functions(self.mapping, self.config_dir, "mapping")
        return self


def _check_mapping(mapping: dict[str, Any], model: type[BaseModel], where: str) -> None:
    known = [name for name in model.model_fields if name != "data_type"]
    for key, spec in mapping.items():
        if key not in known:
            raise ValueError(f"{where}: {key!r} is not a field of {model.__name__}; known fields: {known}")
        sub = _submodel(model.model_fields[key].annotation)
        nested = []
        if isinstance(spec, FieldRule) and spec.each is not None:
            nested = [spec.each]
        elif isinstance(spec, list):
            nested = [item for item in spec if isinstance(item, dict)]
        for i, item in enumerate(nested):
            if sub is None:
                raise ValueError(f"{where}.{key}: {model.__name__}.{key} holds no objects to map fields into")
            _check_mapping(item, sub, f"{where}.{key}" + (f"[{i}]" if isinstance(spec, list) else ".each"))


def _check_functions(mapping: dict[str, Any], functions_dir: str | None, where: str) -> None:
    """Import every `module:function` parser now, so a missing one fails before any work starts."""
    for key, spec in mapping.items():
        nested = [item for item in spec if isinstance(item, dict)] if isinstance(spec, list) else []
        if isinstance(spec, FieldRule):
            for parser in spec.parse:
                if is_function(parser):
                    try:
                        load_function(parser, functions_dir)
                    except ValueError as exc:
                        raise ValueError(f"{where}.{key} (column {spec.column!r}): {exc}") from None
            nested = [spec.each] if spec.each is not None else []
        for item in nested:
            _check_functions(item, functions_dir, f"{where}.{key}")


def _submodel(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _submodel(arg)
        if found is not None:
            return found
    return None


def format_validation_error(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        parts = [str(part) for part in item["loc"] if not str(part).startswith(("spec:", "function-"))]
        if item["type"] == "extra_forbidden":
            lines.append(f"unknown key {parts[-1]!r} at {'.'.join(parts[:-1]) or 'top level'}")
        else:
            lines.append(f"{'.'.join(parts) or 'top level'}: {item['msg']}")
    return "; ".join(dict.fromkeys(lines))


def source_config(data: dict[str, Any], where: str) -> SourceConfig:
    """Validate a config mapping; errors become a SourceError naming `where` and the key."""
    if not isinstance(data, dict):
        raise SourceError(f"{where}: a source config must be a mapping, got {type(data).__name__}")
    try:
        return SourceConfig.model_validate(data)
    except ValidationError as exc:
        raise SourceError(f"{where}: invalid source config: {format_validation_error(exc)}") from None


def load_source_config(path: str) -> SourceConfig:
    """Read a YAML source config; unknown keys, unknown parsers and bad fields raise SourceError."""
    try:
        with storage.open_binary(path) as handle:
            data = yaml.safe_load(handle.read().decode("utf-8"))
    except FileNotFoundError:
        raise SourceError(f"{path}: source config not found") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise SourceError(f"{path}: not readable YAML: {exc}") from None
    if isinstance(data, dict) and "config_dir" not in data and not storage.is_uri(path):
        data = {**data, "config_dir": storage.parent(storage.normalize(path))}
    return source_config(data, path)


def input_source(path: str) -> SourceConfig:
    """The source for `generate --input PATH`: canonical records, or an EcomGPT task directory.

    Accepts a file, directory or glob holding canonical records as .jsonl / .json / .parquet (what
    `ecomgpt synth` writes), or a directory in the EcomGPT layout. Anything else raises SourceError.
    """
    head = path.rstrip("/")
    if storage.has_glob(head):
        head = storage.parent(head.split("*")[0].split("?")[0].split("[")[0] + "x")
    name = storage.basename(head) or "input"
    if storage.has_glob(path):
        files = storage.glob(path)
        if not files:
            raise SourceError(f"input {path!r}: the glob matches no file")
    elif not storage.exists(path):
        raise SourceError(f"input {path!r}: no such file or directory")
    elif storage.is_dir(path):
        if task_dirs(path):
            return SourceConfig(name=name, path=path, format="ecomgpt")
        files = storage.list_files(path)
    else:
        files = [storage.normalize(path)]
        name = name.rsplit(".", 1)[0] or name
    formats = cast("set[SourceFormat]", {_canonical_format(file) for file in files} - {None})
    if not formats:
        raise SourceError(
            f"input {path!r}: found no .jsonl, .json or .parquet records and no EcomGPT task folders "
            "(<dir>/<Dataset>/tasks/<task>/test.json)"
        )
    if len(formats) > 1:
        raise SourceError(f"input {path!r}: mixes formats {sorted(formats)}; point at one kind of file")
    fmt = formats.pop()
    chosen = [file for file in files if _canonical_format(file) == fmt]
    if storage.has_glob(path) or not storage.is_dir(path) or directory_files(path, fmt) != chosen:
        return SourceConfig(name=name, path=chosen if len(chosen) > 1 else chosen[0], format=fmt)
    return SourceConfig(name=name, path=path, format=fmt)


def directory_files(directory: str, fmt: str) -> list[str]:
    """The files a directory path contributes to a source of format `fmt`."""
    return [file for file in storage.list_files(directory) if storage.extension(file) in EXTENSIONS[fmt]]


def _canonical_format(file: str) -> str | None:
    ext = storage.extension(file)
    if ext in (".jsonl", ".ndjson"):
        return "jsonl"
    if ext == ".parquet":
        return "parquet"
    if ext == ".json":
        with storage.open_binary(file) as handle:
            head = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
        return "json" if head.startswith(b"[") else "jsonl"
    return None


def source_json(config: SourceConfig) -> str:
    # exclude_unset keeps a rule's `const` distinguishable from "no const" after the round trip.
    return config.model_dump_json(exclude_unset=True)


def parse_source_json(text: str) -> SourceConfig:
    return SourceConfig.model_validate(json.loads(text))
