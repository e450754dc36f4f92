"""Offline validation of the Kubernetes manifests with the ``kubernetes`` client's models.

Each document is deserialised into its typed model (``V1Deployment``, ``V1Service``,
``V2HorizontalPodAutoscaler``), which rejects missing required fields and wrong types; it is
then serialised back and compared with the file, which catches unknown or misspelt keys that
deserialisation would otherwise drop silently. No cluster or network is involved.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from kubernetes.client import ApiClient

K8S_DIR = Path(__file__).with_name("k8s")
MODELS = {
    ("apps/v1", "Deployment"): "V1Deployment",
    ("v1", "Service"): "V1Service",
    ("autoscaling/v2", "HorizontalPodAutoscaler"): "V2HorizontalPodAutoscaler",
}


def _differences(original: Any, round_trip: Any, where: str = "") -> list[str]:
    if isinstance(original, dict) and isinstance(round_trip, dict):
        out = [f"{where}.{k}: unknown field" for k in original if k not in round_trip]
        for key in original.keys() & round_trip.keys():
            out += _differences(original[key], round_trip[key], f"{where}.{key}")
        return out
    if isinstance(original, list) and isinstance(round_trip, list):
        return [
            e
            for i, (a, b) in enumerate(zip(original, round_trip, strict=False))
            for e in _differences(a, b, f"{where}[{i}]")
        ]
    return [] if original == round_trip else [f"{where}: {original!r} read as {round_trip!r}"]


def validate_document(doc: dict) -> list[str]:
    """Problems of one manifest document (empty when valid)."""
    key = (doc.get("apiVersion"), doc.get("kind"))
    if key not in MODELS:
        return [f"unsupported apiVersion/kind {key}; expected one of {sorted(MODELS)}"]
    client = ApiClient()
    try:
        model = client.deserialize(json.dumps(doc), MODELS[key], "application/json")
    except (ValueError, TypeError) as exc:
        return [f"{key[1]}: {exc}"]
    return [f"{key[1]}{d}" for d in _differences(doc, client.sanitize_for_serialization(model))]


def validate_dir(folder: Path = K8S_DIR) -> dict[str, list[str]]:
    """Validate every YAML document under ``folder``; maps file name to its problems."""
    report = {}
    for path in sorted(folder.glob("*.yaml")):
        problems: list[str] = []
        for doc in yaml.safe_load_all(path.read_text()):
            problems += validate_document(doc)
        report[path.name] = problems
    return report


if __name__ == "__main__":
    print(json.dumps(validate_dir(), indent=2))
