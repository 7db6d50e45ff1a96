"""`ecomgpt pipeline`: synth -> generate -> train -> evaluate -> sweep -> serve, in one run directory.

    <output>/records/  synthetic records (when `synth` is configured)     manifest.json
    <output>/data/     instruction data: held_in/, held_out/              manifest.json
    <output>/train/    checkpoints/, model/ (Hugging Face directory)      manifest.json
    <output>/eval/     predictions, metrics.json, metrics.md, charts       manifest.json
    <output>/eval-base/  the same for the base model (with `evaluate.base`)  manifest.json
    <output>/comparison.md, comparison.json   base vs fine-tuned (with `evaluate.base`)
    <output>/sweep/    trials/, results, fit, plots (when configured)     manifest.json
    <output>/pipeline.json   every stage's key, status and wall time

Local paths are made absolute first (Ray's workers run in other directories). A stage's key hashes its
resolved config, what its inputs hold and the keys of the stages it reads from, so a changed upstream stage changes
every key below it. A stage whose key is recorded as done (and whose manifest exists) is
skipped; one recorded as started with the same key resumes where it can (training from its last
checkpoint, a sweep without its finished trials). A stage replaces only a directory this pipeline wrote
(recorded in pipeline.json): files of anyone else's under a stage's name stop the run untouched. Any output
location may be a local path or a URI.
"""

from __future__ import annotations

import json
import shlex
import time
from contextlib import ExitStack
from typing import Any

from ecomgpt import storage
from ecomgpt.config import ConfigError, leaves, load_yaml, override, parse_model
from ecomgpt.evaluate.config import EvaluateConfig
from ecomgpt.evaluate.report import compare, comparison_table, markdown_table
from ecomgpt.manifests import manifest_path, read_manifest, stage_manifest, write_manifest
from ecomgpt.pipeline_config import (
    EvaluateStageConfig,
    PipelineConfig,
    ServeStageConfig,
    SweepStageConfig,
    TrainStageConfig,
)
from ecomgpt.pipeline_stages import Stages, contents, stage_key
from ecomgpt.records.sources import load_source_config
from ecomgpt.train.config import TrainConfig

COMPARISON = "comparison"


def _synth(st: Stages) -> str | None:
    s = st.cfg.synth
    if s is None:
        return None
    where = st.dir("synth")

    def work(resume: bool) -> None:
        from ecomgpt.records.synth import write_synthetic

        storage.delete_dir(where)
        write_synthetic(s.records, s.seed, where, s.format, s.shard_records)

    key = stage_key("synth", s.model_dump(mode="json"), [])
    st.run("synth", key, work, lambda: None)
    return key


def _generate(st: Stages, synth_key: str | None) -> tuple[str, dict]:
    from ecomgpt.generate.summary import summary_table

    user_cfg = st.cfg.generate
    where = st.dir("generate")
    cfg = user_cfg
    if synth_key is not None:
        cfg = user_cfg.model_copy(update={"inputs": [st.dir("synth"), *user_cfg.inputs]})

    def work(resume: bool) -> dict:
        from ecomgpt.generate.plan import plan_generate
        from ecomgpt.generate.run import run_generate

        st.ray()
        return run_generate(plan_generate(cfg, where, overwrite=True))

    # The key leaves out the run directory's own paths, so a moved run directory is still up to date.
    data = [path for source in user_cfg.sources for path in load_source_config(source).paths]
    teacher = user_cfg.teacher
    # A local teacher checkpoint is an input too: one re-trained in place labels afresh.
    teacher_model = [teacher.model.model] if teacher and teacher.model.kind == "local" else []
    inputs = contents([*user_cfg.sources, *user_cfg.inputs, *data, user_cfg.heldout_dir, *teacher_model])
    key = stage_key("generate", {**user_cfg.model_dump(mode="json"), "contents": inputs}, [synth_key or ""])
    manifest = st.run("generate", key, work, lambda: read_manifest(where))
    print(summary_table(manifest))
    return key, manifest


def train_config(stage_cfg: TrainStageConfig) -> TrainConfig:
    """The training config file with the stage's overrides set over it, validated."""
    data = override(load_yaml(stage_cfg.config), leaves(stage_cfg.overrides))
    return parse_model(TrainConfig, data, f"{stage_cfg.config} (with train.overrides)")


def _train(st: Stages, data_key: str, data_dir: str) -> tuple[str, dict]:
    assert st.cfg.train is not None  # the stage runs only when configured
    cfg = train_config(st.cfg.train)
    where = st.dir("train")

    def work(resume: bool) -> dict:
        from ecomgpt.train.run import CHECKPOINTS, run_train

        st.ray()
        resume = resume and storage.exists(storage.join(where, CHECKPOINTS))
        if not resume:
            storage.delete_dir(where)
        run_train(cfg, data_dir, where, resume=resume)
        return load()

    def load() -> dict:
        manifest = read_manifest(where)
        return {
            "final_loss": manifest["final_loss"],
            "steps": manifest["counts"]["step"],
            "model_path": storage.join(where, "model"),
            "manifest_path": manifest_path(where),
            "model_source": manifest["inputs"]["model_source"],
        }

    key = stage_key(
        "train", {**cfg.model_dump(mode="json"), "contents": contents([cfg.model.name_or_path])}, [data_key]
    )
    result = st.run("train", key, work, load)
    print(f"trained {result['steps']} steps, final loss {result['final_loss']:.4f}; model: {result['model_path']}")
    return key, result


def evaluate_config(stage_cfg: EvaluateStageConfig, model: str, data_dir: str, output: str) -> EvaluateConfig:
    return EvaluateConfig(
        model=model,
        heldout_dir=stage_cfg.heldout_dir or data_dir,
        output=output,
        tasks=stage_cfg.tasks,
        limit=stage_cfg.limit,
        generation=stage_cfg.generation,
    )


def _evaluate(st: Stages, stage: str, model: str, upstream: list[str], data_dir: str) -> dict:
    """Evaluate `model` into the stage's directory (`evaluate`: the fine-tuned model; `evaluate_base`: the base)."""
    stage_cfg = st.cfg.evaluate
    assert stage_cfg is not None  # the stage runs only when configured
    where = st.dir(stage)
    cfg = evaluate_config(stage_cfg, model, data_dir, where)

    def work(resume: bool) -> dict:
        from ecomgpt.evaluate.run import run_evaluate

        st.ray()
        storage.delete_dir(where)
        return run_evaluate(cfg)

    config = stage_cfg.model_dump(mode="json", exclude={"base"})
    config["contents"] = contents([stage_cfg.heldout_dir, model if upstream == [model] else None])
    key = stage_key(stage, config, upstream + ([st.data_key] if stage_cfg.heldout_dir is None else []))
    return st.run(stage, key, work, lambda: storage.read_json(storage.join(where, "metrics.json")))


def _evaluate_both(st: Stages, train_key: str, trained: dict, data_dir: str) -> dict:
    """The fine-tuned model's metrics; with `evaluate.base`, the base model's too, and their comparison."""
    assert st.cfg.evaluate is not None  # the stage runs only when configured
    results = {"evaluate": _evaluate(st, "evaluate", trained["model_path"], [train_key], data_dir)}
    if not st.cfg.evaluate.base:
        return results
    base = trained["model_source"]
    # A named or hub model does not depend on the training run; the tiny model's initial weights do.
    upstream = [train_key] if storage.exists(storage.join(st.dir("train"), "init")) else [base]
    results["evaluate_base"] = _evaluate(st, "evaluate_base", base, upstream, data_dir)
    comparison = compare(results["evaluate_base"], results["evaluate"])
    comparison.update(
        base_model=base, tuned_model=trained["model_path"], heldout_dir=st.cfg.evaluate.heldout_dir or data_dir
    )
    storage.write_json(storage.join(st.cfg.output, f"{COMPARISON}.json"), comparison)
    storage.write_text(storage.join(st.cfg.output, f"{COMPARISON}.md"), comparison_table(comparison))
    results["comparison"] = comparison
    return results


def _sweep(st: Stages, stage_cfg: SweepStageConfig, data_key: str, data_dir: str) -> dict:
    from ecomgpt.sweep.config import SweepConfig

    cfg = parse_model(SweepConfig, load_yaml(stage_cfg.config), stage_cfg.config)
    where = st.dir("sweep")
    files = cfg.train_files

    def work(resume: bool) -> dict:
        from ecomgpt.sweep.results import summary_markdown, write_results
        from ecomgpt.sweep.run import plan_sweep, run_sweep

        st.ray()
        resume = resume and storage.exists(storage.join(where, "sweep.json"))
        if not resume:
            storage.delete_dir(where)
        started = time.perf_counter()
        plan = plan_sweep(cfg, data_dir, where, resume=resume)
        rows = run_sweep(plan)
        wall = time.perf_counter() - started
        fit = write_results(where, rows, cfg.metric, wall)
        print(summary_markdown(rows, fit, wall))
        inputs = {"data_dir": data_dir, "heldout_dir": plan.heldout_dir, "config_file": stage_cfg.config}
        fields = {
            "counts": {"trials": len(rows)},
            "fit": fit,
            "timings": {"total_s": round(wall, 3)},
            "outputs": ["results.json", "results.csv", "fit.json", "summary.md", "trials/"],
        }
        manifest = stage_manifest("sweep", cfg, inputs, fields)
        write_manifest(where, manifest)
        return manifest

    # The trials' training config files are inputs too: editing one re-runs the sweep.
    config = {
        "sweep": cfg.model_dump(mode="json"),
        "train_files": {path: load_yaml(path) for path in files},
        "contents": contents([cfg.evaluate.heldout_dir]),
    }
    key = stage_key("sweep", config, [data_key])
    return st.run("sweep", key, work, lambda: read_manifest(where))


def serve_commands(serve: ServeStageConfig, model: str) -> list[str]:
    """The shell commands that serve the model and query it."""
    command = ["ecomgpt", "serve", "--model", f"{serve.name}={model}"]
    if serve.config:
        command += ["--config", serve.config]
    if serve.host:
        command += ["--host", serve.host]
    if serve.port:
        command += ["--port", str(serve.port)]
    url = f"http://{serve.host or '127.0.0.1'}:{serve.port or 8000}"
    body = json.dumps({"model": serve.name, "text": "Fits well, fast shipping, would buy again"})
    completion = json.dumps({"model": serve.name, "prompt": "Below is an instruction", "max_tokens": 32})
    return [
        shlex.join(command),
        f"curl -s {url}/v1/tasks/review_sentiment -d {shlex.quote(body)}",
        f"curl -s {url}/v1/completions -H 'Content-Type: application/json' -d {shlex.quote(completion)}",
    ]


def _serve(st: Stages, model: str) -> None:
    serve = st.cfg.serve
    assert serve is not None  # the stage runs only when configured
    if serve.action == "print":
        serve_cmd, *queries = serve_commands(serve, model)
        print(f"\nserve the model:\n  {serve_cmd}\nthen query it:\n" + "\n".join(f"  {q}" for q in queries))
        return
    from ecomgpt.serve.config import cli_config

    app_cfg, host, port = cli_config(serve.config, [f"{serve.name}={model}"], serve.host, serve.port)
    if serve.action == "run":
        from ecomgpt.serve.run import serve_forever

        serve_forever(app_cfg, host, port, st.cfg.address)
        return
    from ecomgpt.serve.app import build_from_config
    from ecomgpt.serve.run import start

    app = build_from_config(app_cfg)
    st.ray()
    print(f"\nserving {serve.name} at {start(app, host, port)}/v1 for as long as this Ray cluster runs")


def timing_table(walls: dict[str, tuple[str, float]]) -> str:
    lines = ["| stage | status | wall s |", "|---|---|---:|"]
    lines += [f"| {stage} | {status} | {wall:.1f} |" for stage, (status, wall) in walls.items()]
    return "\n".join(lines)


def apply_heldout(cfg: PipelineConfig) -> PipelineConfig:
    """The config with the top-level `heldout` given to generate and evaluate, or, when it is optional and
    absent, without it (a notice says so)."""
    if cfg.heldout is None:
        return cfg
    where = cfg.heldout.dir
    if not storage.exists(where):
        if not cfg.heldout.optional:
            raise ConfigError(f"heldout.dir {where}: no such directory")
        print(
            f"note: no held-out sets at {where}: no decontamination, and evaluation on this run's generated "
            "held_out split",
            flush=True,
        )
        return cfg
    update: dict[str, Any] = {"generate": cfg.generate.model_copy(update={"heldout_dir": where})}
    if cfg.evaluate is not None:
        update["evaluate"] = cfg.evaluate.model_copy(update={"heldout_dir": where})
    return cfg.model_copy(update=update)


def run_pipeline(cfg: PipelineConfig) -> dict:
    """Run every configured stage into `cfg.output`; returns each stage's result by stage name.

    generate: its manifest; train: final_loss, steps, model_path, manifest_path, model_source; evaluate
    (and evaluate_base): the metrics; comparison: base vs fine-tuned; sweep: its manifest.
    """
    cfg = apply_heldout(cfg.model_copy(update={"output": storage.absolute(cfg.output)}))
    results: dict[str, Any] = {}
    with ExitStack() as stack:
        st = Stages(cfg, stack)
        synth_key = _synth(st)
        data_dir = st.dir("generate")
        st.data_key, results["generate"] = _generate(st, synth_key)
        print(f"\ninstruction data: {data_dir}")
        if cfg.train is not None:
            train_key, results["train"] = _train(st, st.data_key, data_dir)
            if cfg.evaluate is not None:
                results.update(_evaluate_both(st, train_key, results["train"], data_dir))
        if cfg.sweep is not None:
            results["sweep"] = _sweep(st, cfg.sweep, st.data_key, data_dir)
        print(f"\nstages ({cfg.output}):\n\n{timing_table(st.walls)}")
        if "evaluate" in results:
            assert cfg.evaluate is not None
            heldout = cfg.evaluate.heldout_dir or storage.join(data_dir, "held_out")
            if "comparison" in results:
                print(
                    f"\nheld-out metrics ({heldout}), base model "
                    f"{results['comparison']['base_model']} vs fine-tuned:\n\n"
                    f"{comparison_table(results['comparison'])}"
                )
            else:
                print(f"\nheld-out metrics ({heldout}):\n\n{markdown_table(results['evaluate'])}")
        if cfg.serve is not None:
            _serve(st, results["train"]["model_path"])
    results["walls"] = st.walls
    return results
