"""Planning `ecomgpt generate`: config, sources, tasks, output and teacher checked before any work starts."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ecomgpt import storage
from ecomgpt.errors import UserError
from ecomgpt.generate.config import GenerateConfig
from ecomgpt.generate.heldout_texts import load_heldout_texts
from ecomgpt.generate.teacher.plan import TeacherPlan, plan_teacher
from ecomgpt.records.sources import SourceConfig, SourceError, input_source, load_source_config
from ecomgpt.records.units import ReadUnit, plan_units
from ecomgpt.runtime import cluster_cpus
from ecomgpt.tasks.examples import RenderOptions
from ecomgpt.tasks.registry import UnknownTaskError, all_tasks, resolve_tasks


class OutputExistsError(UserError, FileExistsError):
    pass


@dataclass(frozen=True)
class GeneratePlan:
    """Everything checked before any work starts."""

    config: GenerateConfig
    output: str
    staging: str  # where the run is built before it replaces `output`
    sources: list[SourceConfig]
    units: list[ReadUnit]
    task_names: list[str]
    heldout_texts: list[str]
    options: RenderOptions
    teacher: TeacherPlan | None = None


def render_options(cfg: GenerateConfig, sources: list[SourceConfig]) -> RenderOptions:
    """How examples are rendered: the config's switches, and which (source, task) pairs are original tasks."""
    pairs = frozenset((source.name, task) for source in sources for task in source.original_tasks)
    return RenderOptions(header=cfg.header, instruction_lang=cfg.instruction_lang, original=pairs)


def check_original_tasks(source: SourceConfig, where: str) -> None:
    """A source's `original_tasks` name registered tasks of its data type, once each."""
    known = {spec.name: spec.data_type for spec in all_tasks()}
    key = f"{where}: original_tasks"
    for name in source.original_tasks:
        if name not in known:
            raise SourceError(f"{key}: {name!r} is not a registered task (`ecomgpt tasks` lists them)")
        if source.data_type is not None and known[name] != source.data_type:
            raise SourceError(f"{key}: {name!r} is a {known[name]} task; this source gives {source.data_type} records")
    if len(set(source.original_tasks)) != len(source.original_tasks):
        raise SourceError(f"{key}: task names must not repeat")


def resolve_sources(cfg: GenerateConfig) -> list[SourceConfig]:
    sources = []
    for path in cfg.sources:
        source = load_source_config(path)
        check_original_tasks(source, path)
        sources.append(source)
    sources += [input_source(path) for path in cfg.inputs]
    if not sources:
        raise UserError("nothing to read: give --input PATH or sources in the config")
    names = Counter(source.name for source in sources)
    repeated = sorted(name for name, n in names.items() if n > 1)
    if repeated:
        raise UserError(f"source names must be unique (they key record lineage); repeated: {repeated}")
    return sources


def check_tasks(cfg: GenerateConfig) -> list[str]:
    """The golden tasks the run generates; pseudo-label tasks belong under `teacher.tasks`."""
    pseudo = {task.name for task in all_tasks(label_kind="pseudo")}
    named_pseudo = sorted(set(cfg.tasks or ()) & pseudo)
    if named_pseudo:
        raise UnknownTaskError(f"tasks names pseudo-label tasks {named_pseudo}: list them under teacher.tasks")
    specs = resolve_tasks(cfg.tasks)
    known = {spec.name for spec in resolve_tasks(None)} | pseudo
    unknown = sorted(set(cfg.heldout_tasks) - known)
    if unknown:
        raise UnknownTaskError(f"heldout_tasks names unknown tasks {unknown}; known tasks: {sorted(known)}")
    return [spec.name for spec in specs]


def plan_generate(cfg: GenerateConfig, output: str, overwrite: bool = False) -> GeneratePlan:
    """Validate config, sources, tasks and output before starting: a bad run fails here, fast.

    The output comes back absolute: the workers that write rejects run in other directories.
    """
    output = storage.absolute(output)
    task_names = check_tasks(cfg)
    sources = resolve_sources(cfg)
    check_output(output, cfg, sources, overwrite)
    units = plan_units(sources, cfg.num_blocks or 4 * cluster_cpus())
    texts = load_heldout_texts(cfg.heldout_dir) if cfg.heldout_dir else []
    teacher = plan_teacher(cfg.teacher, output) if cfg.teacher else None
    staging = storage.staging_dir(output)
    storage.delete_dir(staging)  # what a crashed run left half-built
    options = render_options(cfg, sources)
    return GeneratePlan(cfg, output, staging, sources, units, task_names, texts, options, teacher)


def check_output(output: str, cfg: GenerateConfig, sources: list[SourceConfig], overwrite: bool) -> None:
    """The output may be replaced only when it holds a `generate` run, and never when an input lies inside it
    (replacing it would delete what the run reads)."""
    inputs = [*cfg.sources, *(path for source in sources for path in source.paths)]
    inputs += [cfg.heldout_dir] if cfg.heldout_dir else []
    for location in inputs:
        if storage.inside(location, output):
            raise OutputExistsError(f"input {location} lies inside the output {output}; choose another output")
    if storage.is_empty_dir(output):
        return
    if not overwrite:
        raise OutputExistsError(f"output {output} is not empty; choose another or pass --overwrite")
    if "generate" not in (storage.manifest_stage(output), storage.interrupted_stage(output)):
        raise OutputExistsError(
            f"output {output} holds no generate run (no manifest.json of `generate`): --overwrite replaces only "
            "a generate run; choose another output"
        )
