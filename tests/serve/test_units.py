"""The serving pieces that need no Ray: configs, shipped Serve files, prompts, answer parsing, stop strings."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import yaml
from ray.serve.schema import ServeDeploySchema

from ecomgpt.cli import main
from ecomgpt.config import ConfigError
from ecomgpt.records.schema import MODELS
from ecomgpt.records.synth import iter_synthetic
from ecomgpt.serve.api import task_generation
from ecomgpt.serve.app import api_key_hash, build_app, build_from_config
from ecomgpt.serve.config import AppConfig, LimitsConfig, app_config, cli_config, parse_model_specs, read_serve_file
from ecomgpt.serve.engine import TransformersModel, apply_stop, releasable
from ecomgpt.serve.errors import ApiError
from ecomgpt.serve.protocol import ChatMessage, chat_prompt, load_json, stop_strings
from ecomgpt.serve.tasks import SERVED_TASKS, parse_request, task_prompt
from ecomgpt.tasks.examples import build_examples
from ecomgpt.tasks.registry import get_task
from tests.conftest import SECTION_ANSWER, SECTION_REQUEST

REPO = Path(__file__).resolve().parents[2]
SERVE_FILES = sorted((REPO / "configs" / "serve").glob("*.yaml"))


# ---- configs ---------------------------------------------------------------------------------------


def test_serve_files_are_shipped():
    assert {p.name for p in SERVE_FILES} >= {"local.yaml", "cluster.yaml"}


@pytest.mark.parametrize("path", SERVE_FILES, ids=lambda p: p.name)
def test_shipped_serve_file_is_valid_for_serve_and_for_the_app(path):
    data = yaml.safe_load(path.read_text())
    ServeDeploySchema.model_validate(data)
    (app,) = data["applications"]
    assert app["import_path"] == "ecomgpt.serve.app:build_app"
    cfg = app_config(app["args"], str(path))
    batching = cfg.model.batching
    assert batching.max_ongoing_requests >= batching.max_batch_size * batching.max_concurrent_batches
    assert cfg.model.autoscaling.target_ongoing_requests <= batching.max_ongoing_requests
    served = read_serve_file(path)
    assert (served.host, served.port) == (data["http_options"]["host"], data["http_options"]["port"])


def test_auth_is_off_locally_and_on_in_the_cluster_config():
    local = app_config(read_serve_file(REPO / "configs/serve/local.yaml").args, "local")
    cluster = app_config(read_serve_file(REPO / "configs/serve/cluster.yaml").args, "cluster")
    assert local.auth_env is None and AppConfig(models={"m": "x"}).auth_env is None
    assert cluster.auth_env == "ECOMGPT_API_KEY"


@pytest.mark.parametrize(
    "args, message",
    [
        ({"models": {"m": "x"}, "modle": {}}, "unknown key 'modle'"),
        ({"models": {}}, "models"),
        ({"models": {"bad name!": "x"}}, "model name"),
        ({"models": {"m": "x"}, "model": {"autoscaling": {"min_replicas": 3, "max_replicas": 2}}}, "min_replicas"),
        (
            {
                "models": {"m": "x"},
                "model": {
                    "batching": {"max_batch_size": 2, "queue_factor": 1},
                    "autoscaling": {"target_ongoing_requests": 8},
                },
            },
            "target_ongoing",
        ),
        ({"models": {"m": "x"}, "limits": {"max_tokens": 8, "default_max_tokens": 16}}, "default_max_tokens"),
        ({"models": {"m": "x"}, "backend": "tgi"}, "backend"),
    ],
)
def test_bad_app_config_names_the_problem(args, message):
    with pytest.raises(ConfigError, match=message):
        build_app(args)


def test_max_ongoing_requests_follows_the_batch_size():
    cfg = AppConfig(models={"m": "x"}, model={"batching": {"max_batch_size": 12, "max_concurrent_batches": 2}})
    assert cfg.model.batching.max_ongoing_requests == 12 * 2 * 2


def test_command_line_models_replace_the_config_file_ones(tmp_path):
    cfg, host, port = cli_config(str(REPO / "configs/serve/local.yaml"), ["a=/x", "b=/y"], None, 9000)
    assert cfg.models == {"a": "/x", "b": "/y"} and (host, port) == ("127.0.0.1", 9000)
    assert cfg.model.batching.max_batch_size == 16  # the rest comes from the file
    with pytest.raises(ConfigError, match="NAME=PATH"):
        parse_model_specs(["just-a-path"])
    with pytest.raises(ConfigError, match="given twice"):
        parse_model_specs(["a=/x", "a=/y"])
    with pytest.raises(ConfigError, match="no model to serve"):
        cli_config(None, None, None, None)


def test_serve_command_reports_bad_input_before_starting_anything(tmp_path, capsys):
    assert main(["serve", "--model", f"m={tmp_path / 'missing'}"]) == 2
    assert "checkpoint" in capsys.readouterr().err
    assert main(["serve", "--model", "m"]) == 2
    assert main(["serve", "--config", str(tmp_path / "none.yaml"), "--model", "m=/x"]) == 2


def test_checkpoint_without_safetensors_is_refused(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "pytorch_model.bin").write_text("")
    with pytest.raises(ConfigError, match="model.safetensors"):
        build_from_config(AppConfig(models={"m": str(tmp_path)}))


def test_auth_key_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("ECOMGPT_TEST_UNSET", raising=False)
    with pytest.raises(ConfigError, match="ECOMGPT_TEST_UNSET"):
        api_key_hash("ECOMGPT_TEST_UNSET")
    monkeypatch.setenv("ECOMGPT_TEST_SET", "secret")
    digest = api_key_hash("ECOMGPT_TEST_SET")
    assert digest and "secret" not in digest
    assert api_key_hash(None) is None


@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="vLLM is installed here")
def test_vllm_backend_without_vllm_is_a_clear_error(checkpoints):
    with pytest.raises(ConfigError, match="needs vLLM"):
        build_from_config(AppConfig(models=checkpoints, backend="vllm"))


# ---- prompts: serving renders what training rendered ------------------------------------------------


def _examples(task: str, n: int = 400) -> list[dict]:
    spec = get_task(task)
    rows = []
    for raw in iter_synthetic(n, seed=3):
        if raw["data_type"] == spec.data_type:
            rows += build_examples(MODELS[raw["data_type"]].model_validate(raw), [spec], seed=5)
    assert rows, task
    return rows


def _served_prompt(name: str, fields: dict, example: dict) -> str:
    lang, index = example["template_id"][:2], int(example["template_id"][2:])
    req = parse_request(SERVED_TASKS[name], {"model": "m", "lang": lang, "template": index, **fields})
    return task_prompt(SERVED_TASKS[name], req)


def test_review_sentiment_prompt_is_the_training_prompt():
    for ex in _examples("review.sentiment_classification")[:20]:
        assert _served_prompt("review_sentiment", {"text": ex["input"]}, ex) == ex["prompt"]


def test_attribute_extraction_prompt_is_the_training_prompt():
    for ex in _examples("product.attribute_extraction")[:20]:
        types = [line.partition(":")[0] for line in ex["output"].splitlines()]
        assert _served_prompt("attribute_extraction", {"title": ex["input"], "attributes": types}, ex) == ex["prompt"]


def test_query_item_matching_prompt_is_the_training_prompt():
    for ex in _examples("query.query_item_matching")[:20]:
        query, doc = ex["input"].split("\n")
        fields = {"query": query.removeprefix("Query: "), "item": doc.removeprefix("Doc: ")}
        assert _served_prompt("query_item_matching", fields, ex) == ex["prompt"]


def test_title_generation_prompt_is_the_training_prompt():
    spec = get_task("product.title_generation")
    checked = 0
    for raw in iter_synthetic(200, seed=3):
        if raw["data_type"] != "product":
            continue
        record = MODELS["product"].model_validate(raw)
        for ex in build_examples(record, [spec], seed=5):
            names = [a.name for a in record.attributes]
            if len(set(names)) != len(names):
                continue  # a JSON object cannot repeat a name
            fields = {"attributes": {a.name: a.value for a in record.attributes}, "brand": record.brand}
            assert _served_prompt("title_generation", fields, ex) == ex["prompt"]
            checked += 1
    assert checked


def test_category_classification_prompt_is_the_training_prompt():
    ex = _examples("product.coarse_category_classification")[0]
    record = next(
        MODELS["product"].model_validate(r) for r in iter_synthetic(400, seed=3) if r["record_id"] == ex["record_id"]
    )
    candidates = ex["instruction"].rstrip(".").split(": ", 1)[1].split(", ")
    fields = {
        "title": record.title,
        "attributes": {a.name: a.value for a in record.attributes},
        "candidates": candidates,
    }
    assert _served_prompt("category_classification", fields, ex) == ex["prompt"]


def test_chat_prompt_renders_turns_like_response_generation():
    prompt = chat_prompt(
        [
            ChatMessage(role="user", content="hello"),
            ChatMessage(role="assistant", content="hi"),
            ChatMessage(role="user", content="red shoes?"),
        ]
    )
    assert "describes the response generation task" in prompt
    assert "User: hello\nAgent: hi\nUser: red shoes?\n" in prompt and prompt.endswith("### Response:")
    with_system = chat_prompt([ChatMessage(role="system", content="Be brief."), ChatMessage(role="user", content="x")])
    assert "User: x\nBe brief.\n### Response:" in with_system


# ---- answers and stop strings --------------------------------------------------------------------------


def _answer(name: str, answer: str, **fields) -> dict:
    task = SERVED_TASKS[name]
    return task.parse(answer, parse_request(task, {"model": "m", **fields}))


def test_answer_parsing_follows_the_platform_formats():
    ner = _answer(
        "attribute_extraction",
        "color: red, blue\nmaterial: None\nsize: M",
        title="t",
        attributes=["color", "material", "brand"],
    )
    assert ner == {"attributes": {"color": ["red", "blue"], "material": [], "brand": []}}
    assert _answer("review_sentiment", " 负面\n", text="x", lang="zh") == {"label": "负面", "sentiment": "negative"}
    assert _answer("query_item_matching", "not match", query="q", item="i") == {"label": "not match", "match": False}
    assert _answer("query_item_matching", "maybe", query="q", item="i") == {"label": "maybe", "match": None}
    assert _answer("category_classification", "Books ", title="t", candidates=["Clothing", "Books"]) == {
        "label": "Books",
        "in_candidates": True,
    }
    assert _answer("title_generation", " Nike red T-Shirt\n", attributes={"color": "red"}) == {
        "title": "Nike red T-Shirt"
    }


def test_task_routes_stop_at_the_section_marker(section_writer):
    prompt, writer = section_writer
    served = SERVED_TASKS["review_sentiment"]
    req = parse_request(served, SECTION_REQUEST)
    assert task_prompt(served, req) == prompt
    model = TransformersModel("m", writer, dtype="auto", use_gpu=False, max_context=512)
    request = task_generation(prompt, 32, LimitsConfig())
    (done,) = model.generate([model.encode(prompt, request.max_tokens)], [request])
    # The model writes on into a `### Instruction:` section; the route's answer ends where evaluation cuts.
    assert done.text.strip() == SECTION_ANSWER and done.finish_reason == "stop"
    assert done.completion_tokens < request.max_tokens
    assert served.parse(done.text, req) == {"label": SECTION_ANSWER, "sentiment": "positive"}


def test_stop_strings_cut_the_answer_and_hold_back_partial_matches():
    assert apply_stop("abc###def", ["###"]) == ("abc", True)
    assert apply_stop("a\nb###", ["###", "\n"]) == ("a", True)
    assert apply_stop("abc", ["x"]) == ("abc", False)
    assert releasable("abc##", ["###"]) == 3
    assert releasable("abc#", ["###", "#!"]) == 3
    assert releasable("abc", ["###"]) == 3 and releasable("abc", []) == 3


def test_api_error_keeps_its_fields_through_pickling():
    import pickle

    err = pickle.loads(pickle.dumps(ApiError("no", 404, code="model_not_found", param="model")))
    assert (err.status, err.code, err.param, str(err)) == (404, "model_not_found", "model", "no")
    assert err.body() == {
        "error": {"message": "no", "type": "invalid_request_error", "param": "model", "code": "model_not_found"}
    }


# ---- hostile requests --------------------------------------------------------------------------------


def test_a_body_nested_deeper_than_the_limit_is_a_400_not_a_crash():
    for raw in (b"[" * 5000 + b"]" * 5000, b'{"model": "m", "text": ' + b"[" * 5000 + b"]" * 5000 + b"}"):
        with pytest.raises(ApiError) as caught:
            load_json(raw, 32)
        assert (caught.value.status, caught.value.code) == (400, "json_too_deep")
    nested = b'{"a": ' * 33 + b"1" + b"}" * 33
    with pytest.raises(ApiError, match="deeper than 32"):
        load_json(nested, 32)
    assert load_json(b'{"a": [[1]], "b": {"c": []}}', 32) == {"a": [[1]], "b": {"c": []}}
    with pytest.raises(ApiError) as caught:
        load_json(b'{"model": ', 32)
    assert caught.value.code == "invalid_json"


def test_stop_strings_are_bounded_in_count_and_length():
    assert stop_strings(["###", "x" * 128], 128) == ("###", "x" * 128)
    for stop in (["x" * 129], "x" * 500_000, ["a", "b", "c", "d", "e"], [""]):
        with pytest.raises(ApiError) as caught:
            stop_strings(stop, 128)
        assert (caught.value.status, caught.value.param) == (400, "stop")


@pytest.mark.parametrize("part", ["config.json", "model.safetensors"])
def test_a_load_error_is_logged_in_full_and_answered_without_paths(checkpoints, tmp_path, caplog, part):
    import logging
    import shutil

    from ecomgpt.serve.deployments import load_model
    from ecomgpt.serve.placement import place

    broken = tmp_path / "cache-of-s3-bucket-ecomgpt-runs" / "checkpoint"
    shutil.copytree(checkpoints["tiny-a"], broken)
    (broken / part).write_bytes(b"{ not what the loader expects")
    serve_logger = logging.getLogger("ray.serve")
    serve_logger.addHandler(caplog.handler)
    try:
        with pytest.raises(ApiError) as caught:
            cfg = AppConfig(models={"tiny": str(broken)})
            load_model("tiny", cfg, place(cfg.models))
    finally:
        serve_logger.removeHandler(caplog.handler)
    err = caught.value
    assert (err.status, err.code) == (503, "model_load_failed") and "'tiny'" in err.message
    assert str(tmp_path) not in str(err.body()) and "bucket" not in str(err.body())
    assert str(broken) in caplog.text and caplog.records[-1].exc_info is not None


def test_both_deployments_bound_their_queues(checkpoints):
    cfg = AppConfig(models=checkpoints, model={"max_queued_requests": 48}, gateway={"max_queued_requests": 96})
    gateway = build_from_config(cfg)._bound_deployment
    server = gateway.init_args[0]._bound_deployment
    assert gateway._deployment_config.max_queued_requests == 96
    assert server._deployment_config.max_queued_requests == 48
    for path in SERVE_FILES:
        shipped = app_config(read_serve_file(path).args, str(path))
        assert shipped.model.max_queued_requests > 0 and shipped.gateway.max_queued_requests > 0


@pytest.mark.parametrize(
    "host, auth_env, warned",
    [
        ("0.0.0.0", None, True),
        ("10.0.0.5", None, True),
        ("serve.example.com", None, True),
        ("::", None, True),
        ("127.0.0.1", None, False),
        ("localhost", None, False),
        ("::1", None, False),
        ("0.0.0.0", "KEY", False),
    ],
)
def test_auth_off_on_a_reachable_host_is_warned(caplog, host, auth_env, warned):
    from ecomgpt.serve.app import warn_if_exposed

    with caplog.at_level("WARNING", logger="ecomgpt.serve.app"):
        assert warn_if_exposed(AppConfig(models={"m": "x"}, auth_env=auth_env), host) is warned
    assert ("without auth" in caplog.text) is warned


def test_mixed_sampling_and_stop_strings_share_one_generate_call(checkpoints):
    from ecomgpt.serve.deployments import Job, groups
    from ecomgpt.serve.engine import GenRequest

    model = TransformersModel("m", checkpoints["tiny-a"], dtype="auto", use_gpu=False, max_context=256)
    prompt = "Query: red running shoes\nDoc:"
    ids = model.encode(prompt, 12)
    (plain,) = model.generate([ids], [GenRequest(prompt, 12)])
    assert len(plain.text) >= 6, plain
    stop = plain.text[3:5]
    requests = [
        GenRequest(prompt, 12),
        GenRequest(prompt, 12, stop=(stop, "never appears")),
        GenRequest(prompt, 12, temperature=0.8, top_p=0.9, stop=("zz",)),
        GenRequest(prompt, 5),
        GenRequest(prompt, 12, temperature=1.5, top_p=0.5),
    ]
    jobs = [Job(model, ids, r) for r in requests]
    assert list(groups(jobs).values()) == [[0, 1, 2, 3, 4]]  # one generate call for the whole batch
    mixed = model.generate([ids] * len(requests), requests)
    solo = [model.generate([ids], [r])[0] for r in requests]
    for i in (0, 1, 3):  # greedy rows: exactly their answer alone, each cut at its own stop strings
        assert mixed[i] == solo[i], i
    assert mixed[1].text == plain.text[: plain.text.index(stop)] and mixed[1].finish_reason == "stop"
    assert mixed[3].completion_tokens <= 5
    assert all(m.finish_reason in ("stop", "length") and "zz" not in m.text for m in mixed)


def test_batch_rows_per_call_follow_the_cache_budget(checkpoints):
    from transformers import AutoConfig, BloomConfig, LlamaConfig

    from ecomgpt.serve.engine import GenRequest, kv_bytes_per_token, rows_per_call

    bloom = BloomConfig(n_layer=30, hidden_size=4096, n_head=32)  # bloomz-7b1's shape
    assert kv_bytes_per_token(bloom, 2) == 2 * 30 * 4096 * 2  # 480 KiB per token in bfloat16
    gqa = LlamaConfig(num_hidden_layers=30, hidden_size=576, num_attention_heads=9, num_key_value_heads=3)
    assert kv_bytes_per_token(gqa, 4) == 2 * 30 * 3 * 64 * 4
    # bloomz-7b1 at 2048 tokens: 16 GiB of cache holds 17 full-context rows; a tiny budget still runs one.
    assert rows_per_call(16 * 2**30, 2048, kv_bytes_per_token(bloom, 2)) == 17
    assert rows_per_call(1, 2048, kv_bytes_per_token(bloom, 2)) == 1

    tiny = kv_bytes_per_token(AutoConfig.from_pretrained(checkpoints["tiny-a"]), 4)  # float32 weights
    model = TransformersModel(
        "m",
        checkpoints["tiny-a"],
        dtype="float32",
        use_gpu=False,
        max_context=256,
        kv_cache_gb=2.5 * 256 * tiny / 2**30,
    )
    assert model.rows_per_call == 2
    prompts = [f"query {i} red shoes" for i in range(5)]
    requests = [GenRequest(p, 4) for p in prompts]
    split = model.generate([model.encode(p, 4) for p in prompts], requests)
    assert split == [model.generate([model.encode(p, 4)], [r])[0] for p, r in zip(prompts, requests)]
