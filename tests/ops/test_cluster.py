"""cluster.yaml against Ray's own cluster-config schema, and the KubeRay manifests' kinds and required fields."""

from __future__ import annotations

import copy

import pytest
import yaml

from .conftest import REPO

CLUSTER = REPO / "cluster.yaml"
K8S = REPO / "k8s"


@pytest.fixture(scope="module")
def cluster() -> dict:
    return yaml.safe_load(CLUSTER.read_text())


def test_cluster_yaml_passes_rays_schema_as_ray_up_checks_it(cluster):
    import json

    import jsonschema
    import ray.autoscaler
    from ray.autoscaler._private.util import prepare_config, validate_config

    schema_path = f"{ray.autoscaler.__path__[0]}/ray-schema.json"
    with open(schema_path) as fh:
        jsonschema.validate(cluster, json.load(fh))
    validate_config(prepare_config(copy.deepcopy(cluster)))  # what `ray up` does, with the AWS defaults


def test_cluster_has_the_node_types_and_scales_each_from_zero(cluster):
    types = cluster["available_node_types"]
    head = types[cluster["head_node_type"]]
    assert head["resources"] == {"CPU": 0}
    workers = {name: t for name, t in types.items() if name != cluster["head_node_type"]}
    instance = {name: t["node_config"]["InstanceType"] for name, t in workers.items()}
    assert instance == {"cpu-data": "m6i.8xlarge", "gpu-a100x8": "p4d.24xlarge", "gpu-h100x8": "p5.48xlarge"}
    assert all(t["min_workers"] == 0 and t["max_workers"] > 0 for t in workers.values())
    assert cluster["max_workers"] == sum(t["max_workers"] for t in workers.values())
    assert cluster["idle_timeout_minutes"] > 0 and cluster["provider"]["type"] == "aws"


def test_only_ssh_is_open_and_never_to_the_world(cluster):
    rules = cluster["provider"]["security_group"]["IpPermissions"]
    assert [(r["FromPort"], r["ToPort"]) for r in rules] == [(22, 22)]
    assert all(ip["CidrIp"] != "0.0.0.0/0" for r in rules for ip in r["IpRanges"])
    head_start = " ".join(cluster["head_start_ray_commands"])
    assert "--dashboard-host=127.0.0.1" in head_start


def test_setup_installs_the_project_and_runs_live_on_s3(cluster):
    setup = " ".join(cluster["setup_commands"])
    assert "pip install" in setup and "~/ecomgpt" in setup and cluster["file_mounts"]["~/ecomgpt"] == "."
    assert ".gitignore" in cluster["rsync_filter"]
    assert "s3://" in CLUSTER.read_text()


def _manifest(name: str) -> dict:
    return yaml.safe_load((K8S / name).read_text())


def _check_cluster_spec(spec: dict) -> None:
    assert spec["headGroupSpec"]["template"]["spec"]["containers"][0]["image"]
    assert "rayStartParams" in spec["headGroupSpec"]
    for group in spec["workerGroupSpecs"]:
        assert {"groupName", "minReplicas", "maxReplicas", "rayStartParams", "template"} <= set(group)
        assert group["minReplicas"] == 0 and group["maxReplicas"] > 0
        assert group["template"]["spec"]["containers"][0]["image"]
    assert spec["enableInTreeAutoscaling"] is True


def test_raycluster_manifest():
    doc = _manifest("raycluster.yaml")
    assert doc["apiVersion"] == "ray.io/v1" and doc["kind"] == "RayCluster" and doc["metadata"]["name"]
    _check_cluster_spec(doc["spec"])
    gpus = {g["groupName"]: g["template"]["spec"]["containers"][0]["resources"]["limits"].get("nvidia.com/gpu")
            for g in doc["spec"]["workerGroupSpecs"]}
    assert gpus == {"cpu-data": None, "gpu-a100x8": "8", "gpu-h100x8": "8"}


def test_rayjob_runs_the_pipeline_entrypoint():
    doc = _manifest("rayjob-pipeline.yaml")
    assert doc["apiVersion"] == "ray.io/v1" and doc["kind"] == "RayJob"
    spec = doc["spec"]
    entry = spec["entrypoint"].split()
    assert entry[:2] == ["python", "jobs/pipeline.py"] and "--config" in entry and "--output" in entry
    assert (REPO / entry[entry.index("--config") + 1]).is_file()
    assert yaml.safe_load(spec["runtimeEnvYAML"]) == {"working_dir": "/app"}
    assert spec["shutdownAfterJobFinishes"] is True
    _check_cluster_spec(spec["rayClusterSpec"])


def test_rayservice_serves_a_valid_application():
    from ecomgpt.serve.config import app_config

    doc = _manifest("rayservice.yaml")
    assert doc["apiVersion"] == "ray.io/v1" and doc["kind"] == "RayService"
    serve = yaml.safe_load(doc["spec"]["serveConfigV2"])
    (app,) = serve["applications"]
    assert app["import_path"] == "ecomgpt.serve.app:build_app"
    app_config(app["args"], "k8s/rayservice.yaml")  # the application's own typed args
    _check_cluster_spec(doc["spec"]["rayClusterConfig"])
