"""Optional MLflow logging of finished run folders (``scidisco experiment run --mlflow``).

MLflow accepts only ASCII letters, digits and ``_ - . / space`` in metric and param names
(colons too, except on Windows; `mlflow.utils.validation.validate_param_and_metric_name`),
while ours use ``@`` (``hits@10``) and ``+`` (``ranker+filter``). :func:`mlflow_name`
rewrites them reversibly:

====================  ======================  ==========================
character             written as              example
====================  ======================  ==========================
``@``                 ``_at_``                ``hits@10`` -> ``hits_at_10``
``+``                 ``_plus_``              ``a+b`` -> ``a_plus_b``
any other not allowed ``_uXXXX_`` (hex code)  ``a:b`` -> ``a_u003a_b``
====================  ======================  ==========================

:func:`original_name` undoes it. So that the mapping stays reversible, a name that already
contains one of these escape sequences is refused (rename the metric).

Each seed's folder becomes one MLflow run: params are its ``config.yaml`` flattened to dotted
keys (lists as JSON), metrics its ``metrics.json``, artifacts the whole folder. MLflow is not
a dependency of the project: ``pip install mlflow-skinny`` (pinned in the ``dev`` extra).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

_ALLOWED = re.compile(r"[A-Za-z0-9_\-./ ]")
_NAMED = {"@": "_at_", "+": "_plus_"}
_ESCAPE = re.compile(r"_at_|_plus_|_u([0-9a-f]{4})_")
# One request carries at most 1000 metrics and 100 params (mlflow.utils.validation).
METRICS_PER_BATCH = 1000
PARAMS_PER_BATCH = 100


def mlflow_name(name: str) -> str:
    """``name`` with every character MLflow refuses escaped (see the module table).

    Raises:
        ValueError: ``name`` already contains an escape sequence, so it could not be undone.
    """
    if _ESCAPE.search(name):
        raise ValueError(
            f"metric or param name {name!r} contains an escape sequence of "
            "experiments.tracking (_at_, _plus_ or _uXXXX_); rename it so MLflow names stay "
            "reversible"
        )
    return "".join(c if _ALLOWED.fullmatch(c) else _NAMED.get(c, f"_u{ord(c):04x}_") for c in name)


def original_name(logged: str) -> str:
    """Undo :func:`mlflow_name`."""
    reverse = {v: k for k, v in _NAMED.items()}

    def back(match: re.Match[str]) -> str:
        code = match.group(1)
        return chr(int(code, 16)) if code else reverse[match.group(0)]

    return _ESCAPE.sub(back, logged)


def flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Nested mappings as dotted keys; lists and scalars as strings (lists as JSON)."""
    flat: dict[str, str] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, name + "."))
        elif isinstance(value, list):
            flat[name] = json.dumps(value)
        else:
            flat[name] = str(value)
    return flat


def log_run_dirs(
    experiment: str, dirs: Iterable[Path], tracking_uri: str, artifact_root: Path | None = None
) -> list[str]:
    """Log each run folder as one MLflow run in ``experiment``; returns the MLflow run ids.

    Args:
        artifact_root: where a newly created experiment keeps its artifacts; default: beside
            a ``sqlite:///`` database (``mlartifacts/``), else MLflow's own default (which is
            ``./mlruns`` in the working directory).

    Raises:
        ImportError: MLflow is not installed.
    """
    import mlflow

    mlflow.set_tracking_uri(tracking_uri)
    if artifact_root is None and tracking_uri.startswith("sqlite:///"):
        artifact_root = Path(tracking_uri.removeprefix("sqlite:///")).parent / "mlartifacts"
    client = mlflow.MlflowClient()
    if client.get_experiment_by_name(experiment) is None:
        location = artifact_root.resolve().as_uri() if artifact_root else None
        client.create_experiment(experiment, artifact_location=location)
    mlflow.set_experiment(experiment)
    ids = []
    for run_dir in dirs:
        config = yaml.safe_load((run_dir / "config.yaml").read_text())
        params = {mlflow_name(k): v for k, v in flatten(config).items()}
        metrics = json.loads((run_dir / "metrics.json").read_text())
        logged = {mlflow_name(k): float(v) for k, v in metrics.items()}
        with mlflow.start_run(run_name=run_dir.name) as run:
            for batch in _batches(sorted(params.items()), PARAMS_PER_BATCH):
                mlflow.log_params(dict(batch))
            for batch in _batches(sorted(logged.items()), METRICS_PER_BATCH):
                mlflow.log_metrics(dict(batch))
            mlflow.set_tag("run_dir", str(run_dir))
            mlflow.log_artifacts(str(run_dir))
        ids.append(run.info.run_id)
    return ids


def _batches(items: list[tuple[str, Any]], size: int) -> Iterable[list[tuple[str, Any]]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
