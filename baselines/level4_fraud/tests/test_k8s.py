"""Kubernetes manifests validated offline against the client's typed models."""

from __future__ import annotations

import yaml

from baselines.level4_fraud.k8s_check import K8S_DIR, validate_dir, validate_document


def _load(name: str) -> dict:
    return yaml.safe_load((K8S_DIR / name).read_text())


def test_manifests_are_valid():
    assert validate_dir() == {"deployment.yaml": [], "hpa.yaml": [], "service.yaml": []}


def test_manifests_refer_to_each_other():
    deployment, service, hpa = _load("deployment.yaml"), _load("service.yaml"), _load("hpa.yaml")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert service["spec"]["selector"].items() <= pod_labels.items()
    port_names = {
        p["name"] for p in deployment["spec"]["template"]["spec"]["containers"][0]["ports"]
    }
    assert service["spec"]["ports"][0]["targetPort"] in port_names
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", deployment["metadata"]["name"])
    assert 1 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]


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
