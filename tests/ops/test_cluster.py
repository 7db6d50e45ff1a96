"""cluster.yaml against Ray's own cluster-config schema and what the launcher will really open and grant; the
KubeRay manifests' kinds, required fields, token authentication, NetworkPolicy and service accounts."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

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


def _launcher_ssh_rules() -> list[dict]:
    """The SSH rules Ray's AWS launcher adds to every security group it creates, read from its source (importing
    it needs boto3, which only the machine running `ray up` has)."""
    import ast
    import importlib.util

    source = Path(importlib.util.find_spec("ray.autoscaler").submodule_search_locations[0]) / "_private/aws/config.py"
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.FunctionDef) and node.name == "_create_default_ssh_inbound_rules":
            (ret,) = [n for n in node.body if isinstance(n, ast.Return)]
            return ast.literal_eval(ret.value)
    raise AssertionError(f"{source}: no _create_default_ssh_inbound_rules")


def _launcher_opened_rules(cluster: dict) -> list[dict]:
    """The inbound rules `ray up` itself would open: those of the groups it creates for node types naming none
    (intra-cluster traffic, its SSH rules, then provider.security_group's)."""
    extra = cluster["provider"].get("security_group", {}).get("IpPermissions", [])
    unnamed = [t for t in cluster["available_node_types"].values() if not t["node_config"].get("SecurityGroupIds")]
    return [*_launcher_ssh_rules(), *extra] if unnamed else []


def test_rays_launcher_opens_ssh_to_the_world_in_a_group_it_creates():
    assert {"CidrIp": "0.0.0.0/0"} in [ip for rule in _launcher_ssh_rules() for ip in rule["IpRanges"]]


def test_the_launcher_opens_nothing_every_node_names_the_pre_created_group(cluster):
    assert _launcher_opened_rules(cluster) == []
    assert "security_group" not in cluster["provider"]  # its rules would only apply to a group ray up creates
    groups = {tuple(t["node_config"]["SecurityGroupIds"]) for t in cluster["available_node_types"].values()}
    assert len(groups) == 1 and all(g.startswith("sg-") for g in next(iter(groups)))
    head_start = " ".join(cluster["head_start_ray_commands"])
    assert "--dashboard-host=127.0.0.1" in head_start


def _readme_aws_commands(verb: str) -> list[str]:
    text = re.sub(r"\\\n\s*", " ", (REPO / "README.md").read_text())
    return [line.strip() for line in text.splitlines() if f"aws {verb} " in line]


def test_the_documented_group_admits_itself_and_ssh_from_one_network_only():
    assert len(_readme_aws_commands("ec2 create-security-group")) == 1
    rules = _readme_aws_commands("ec2 authorize-security-group-ingress")
    cidrs = [re.search(r"--cidr (\S+)", r).group(1) for r in rules if "--cidr" in r]
    assert cidrs and all(c != "0.0.0.0/0" and not c.startswith("::/") for c in cidrs)
    assert all("--port 22 " in r and "--protocol tcp" in r for r in rules if "--cidr" in r)
    assert any("--source-group" in r and "--protocol all" in r for r in rules)  # the cluster's own traffic
    assert not any("--port 8265" in r or "--port 8000" in r or "--port 10001" in r for r in rules)


def _policy(name: str) -> list[dict]:
    return json.loads((REPO / "aws" / name).read_text())["Statement"]


def _listed(value) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def test_no_node_gets_full_access_and_workers_only_the_runs_bucket(cluster):
    types = cluster["available_node_types"]
    profiles = {name: t["node_config"].get("IamInstanceProfile", {}).get("Arn", "") for name, t in types.items()}
    # A head without a profile gets the launcher's ray-autoscaler-v1: EC2 and S3 full access.
    assert all(profiles.values()) and not any("ray-autoscaler" in arn for arn in profiles.values())
    head = profiles.pop(cluster["head_node_type"])
    assert set(profiles.values()) == {head.replace("ecomgpt-ray-head", "ecomgpt-ray-worker")} != {head}
    bucket = "arn:aws:s3:::ecomgpt-runs"
    for name in ("runs-bucket-policy.json", "head-policy.json"):
        for statement in _policy(name):
            assert statement["Effect"] == "Allow"
            assert not any(a == "*" or a.endswith(":*") for a in _listed(statement["Action"])), (name, statement)
            if any(a.startswith("s3:") for a in _listed(statement["Action"])):
                assert set(_listed(statement["Resource"])) <= {bucket, f"{bucket}/*"}, (name, statement)
    assert all(a.startswith("s3:") for s in _policy("runs-bucket-policy.json") for a in _listed(s["Action"]))


def test_the_head_ends_only_this_clusters_instances_and_passes_only_the_worker_role(cluster):
    for statement in _policy("head-policy.json"):
        actions = set(_listed(statement["Action"]))
        if actions & {"ec2:TerminateInstances", "ec2:StopInstances", "ec2:StartInstances"}:
            tag = statement["Condition"]["StringEquals"]["ec2:ResourceTag/ray-cluster-name"]
            assert tag == cluster["cluster_name"]
        elif "ec2:CreateTags" in actions:
            assert statement["Condition"]["StringEquals"] == {"ec2:CreateAction": "RunInstances"}
        if "iam:PassRole" in actions:
            assert _listed(statement["Resource"]) == ["arn:aws:iam::123456789012:role/ecomgpt-ray-worker"]
        assert not actions & {"iam:CreateRole", "iam:AttachRolePolicy", "iam:PutRolePolicy"}


def test_every_node_starts_ray_with_token_auth_and_gets_the_token(cluster):
    for commands in (cluster["head_start_ray_commands"], cluster["worker_start_ray_commands"]):
        start = next(c for c in commands if " ray start " in f" {c.replace('~/venv/bin/', '')} ")
        assert "RAY_AUTH_MODE=token" in start.split("ray start")[0]
    assert cluster["file_mounts"]["~/.ray/auth_token"] == "~/.ray/auth_token"


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
    gpus = {
        g["groupName"]: g["template"]["spec"]["containers"][0]["resources"]["limits"].get("nvidia.com/gpu")
        for g in doc["spec"]["workerGroupSpecs"]
    }
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


OWN = {"app.kubernetes.io/part-of": "ecomgpt"}  # the label k8s/security.yaml admits
CLUSTER_SPECS = {
    "raycluster.yaml": ("spec",),
    "rayjob-pipeline.yaml": ("spec", "rayClusterSpec"),
    "rayservice.yaml": ("spec", "rayClusterConfig"),
}


def _cluster_spec(name: str) -> dict:
    spec = _manifest(name)
    for key in CLUSTER_SPECS[name]:
        spec = spec[key]
    return spec


def _security() -> dict[str, dict]:
    return {f"{d['kind']}/{d['metadata']['name']}": d for d in yaml.safe_load_all((K8S / "security.yaml").read_text())}


@pytest.mark.parametrize("name", CLUSTER_SPECS)
def test_every_kuberay_cluster_runs_with_token_auth(name):
    spec = _cluster_spec(name)
    assert spec["authOptions"] == {"mode": "token"}
    templates = [spec["headGroupSpec"]["template"], *(g["template"] for g in spec["workerGroupSpecs"])]
    env = {e["name"]: e.get("value") for t in templates for c in t["spec"]["containers"] for e in c.get("env", [])}
    assert env.get("RAY_AUTH_MODE", "token") == "token"  # no container turns it off


@pytest.mark.parametrize("name", CLUSTER_SPECS)
def test_every_ray_pod_carries_the_policy_label_and_workers_no_api_token(name):
    spec = _cluster_spec(name)
    head = spec["headGroupSpec"]["template"]
    others = [g["template"] for g in spec["workerGroupSpecs"]]
    if name == "rayjob-pipeline.yaml":
        others.append(_manifest(name)["spec"]["submitterPodTemplate"])  # it calls the head's Jobs API
    accounts = _security()
    for template in (head, *others):
        assert OWN.items() <= template["metadata"]["labels"].items()
        assert f"ServiceAccount/{template['spec']['serviceAccountName']}" in accounts
    assert head["spec"]["serviceAccountName"] == "ecomgpt-ray-head"  # the autoscaler's Kubernetes API access
    for template in others:
        assert template["spec"]["serviceAccountName"] == "ecomgpt-ray-worker"
        assert template["spec"]["automountServiceAccountToken"] is False


def test_the_network_policy_admits_only_the_clusters_own_pods_the_operator_and_the_ingress():
    docs = _security()
    policy = docs["NetworkPolicy/ecomgpt-ray"]["spec"]
    assert policy["podSelector"] == {"matchLabels": OWN} and "Ingress" in policy["policyTypes"]
    outside: dict[str, set[int]] = {}
    for rule in policy["ingress"]:
        assert rule.get("from"), "a rule without `from` admits every pod"
        for peer in rule["from"]:
            assert "ipBlock" not in peer
            if peer == {"podSelector": {"matchLabels": OWN}}:
                continue  # the cluster's own pods, on Ray's many ports
            (namespace,) = peer["namespaceSelector"]["matchLabels"].values()  # exactly one namespace
            outside[namespace] = {p["port"] for p in rule["ports"]}
    assert outside == {"kuberay-operator": {8265}, "ingress-nginx": {8000}}
    worker = docs["ServiceAccount/ecomgpt-ray-worker"]
    assert worker["automountServiceAccountToken"] is False
    for account in (worker, docs["ServiceAccount/ecomgpt-ray-head"]):
        assert account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"].endswith(":role/ecomgpt-ray-runs")
