"""Kubernetes manifests validated offline against the client's typed models (no cluster here)."""

from __future__ import annotations

import yaml

from baselines.level4_fraud.k8s_check import K8S_DIR, validate_dir, validate_document
from baselines.level4_fraud.tests.test_dockerfile import dockerfile_env

FILES = [
    "deployment.yaml",
    "features-deployment.yaml",
    "features-service.yaml",
    "hpa.yaml",
    "service.yaml",
]


def _load(name: str) -> dict:
    return yaml.safe_load((K8S_DIR / name).read_text())


def _container(deployment: dict) -> dict:
    return deployment["spec"]["template"]["spec"]["containers"][0]


def test_manifests_are_valid():
    assert validate_dir() == {name: [] for name in FILES}


def test_manifests_refer_to_each_other():
    for deploy_file, service_file in [
        ("deployment.yaml", "service.yaml"),
        ("features-deployment.yaml", "features-service.yaml"),
    ]:
        deployment, service = _load(deploy_file), _load(service_file)
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
        assert service["spec"]["selector"].items() <= pod_labels.items()
        assert service["spec"]["ports"][0]["targetPort"] in {
            p["name"] for p in _container(deployment)["ports"]
        }
    hpa = _load("hpa.yaml")
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", "fraud-scoring")
    assert 1 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]


def test_state_lives_in_one_pod_and_scorers_point_at_it():
    scorer, store = _load("deployment.yaml"), _load("features-deployment.yaml")
    # The feature store is never scaled and never runs twice (no rolling overlap).
    assert store["spec"]["replicas"] == 1 and store["spec"]["strategy"] == {"type": "Recreate"}
    env = {e["name"]: e["value"] for e in _container(scorer)["env"]}
    service = _load("features-service.yaml")
    assert env["L4_FEATURES_URL"] == f"http://{service['metadata']['name']}"
    assert service["spec"]["ports"][0]["port"] == 80
    assert "L4_FEATURES_URL" not in {e["name"] for e in _container(store)["env"]}


def test_pods_run_the_image_command_and_probe_readiness_apart_from_liveness():
    image_port = int(dockerfile_env()["L4_PORT"])
    for name in ("deployment.yaml", "features-deployment.yaml"):
        container = _container(_load(name))
        # No command/args override: the pod runs the Dockerfile CMD that the tests run.
        assert "command" not in container and "args" not in container
        assert container["ports"][0]["containerPort"] == image_port
        assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
        assert container["livenessProbe"]["httpGet"]["path"] == "/health"


def test_validator_catches_typos_missing_fields_and_wrong_types():
    doc = _load("deployment.yaml")
    doc["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = "Always"
    assert validate_document(doc) == [
        "Deployment.spec.template.spec.containers[0].imagePullPolicyy: unknown field"
    ]
    del doc["spec"]["selector"]
    assert "selector" in validate_document(doc)[0]
    hpa = _load("hpa.yaml")
    hpa["spec"]["maxReplicas"] = "ten"
    assert "maxReplicas" in validate_document(hpa)[0]
