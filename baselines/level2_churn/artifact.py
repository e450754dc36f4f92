"""The saved model: preprocessing, classifier, threshold and column contract in one file."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import joblib
import pandas as pd
from imblearn.pipeline import Pipeline as ImbPipeline

FORMAT_VERSION = 1


class ArtifactError(ValueError):
    """The artifact cannot be loaded or does not fit the data it is asked to score."""


@dataclass
class ChurnModel:
    """Everything prediction needs; ``predict`` takes raw joined rows.

    Attributes:
        pipeline: fitted imbalanced-learn pipeline (derive, encode, select, classify).
        threshold: probability at or above which a customer is flagged as churning.
        feature_columns: raw columns the pipeline reads, in order; nothing else is read, so
            leakage columns present in the input cannot reach the model.
        id_columns: columns copied to the output to identify rows (when present).
        info: provenance (model kind, strategy, threshold objective, scores).
    """

    pipeline: ImbPipeline
    threshold: float
    feature_columns: list[str]
    id_columns: list[str] = field(default_factory=list)
    info: dict[str, object] = field(default_factory=dict)
    format_version: int = FORMAT_VERSION

    def predict_proba(self, df: pd.DataFrame) -> pd.Series:
        """Churn probability per row of ``df``.

        Raises:
            ArtifactError: a column the model reads is missing from ``df``.
        """
        missing = [c for c in self.feature_columns if c not in df.columns]
        if missing:
            raise ArtifactError(
                f"input lacks {len(missing)} column(s) the model needs: {missing[:10]}"
                f"{' ...' if len(missing) > 10 else ''}"
            )
        proba = self.pipeline.predict_proba(df[self.feature_columns])[:, 1]
        return pd.Series(proba, index=df.index, name="churn_probability")

    def predict(self, df: pd.DataFrame) -> pd.DataFrame:
        """Identifiers, churn probability and the thresholded decision for each row."""
        proba = self.predict_proba(df)
        out = df[[c for c in self.id_columns if c in df.columns]].copy()
        out["churn_probability"] = proba
        out["churn_predicted"] = (proba >= self.threshold).astype(int)
        return out

    def save(self, path: str | Path) -> Path:
        """Write the whole object with joblib; returns the path."""
        path = Path(path)
        joblib.dump(self, path)
        return path


def load_model(path: str | Path) -> ChurnModel:
    """Load a model written by ``ChurnModel.save``.

    Raises:
        ArtifactError: the file is missing, not a ChurnModel, or of another format version.
    """
    path = Path(path)
    if not path.is_file():
        raise ArtifactError(
            f"no model file at {path}; run the task first (it writes model.joblib)."
        )
    try:
        obj = joblib.load(path)  # a pickle: load only models you wrote or trust
    except Exception as exc:  # joblib raises many kinds (EOFError, UnpicklingError, KeyError)
        raise ArtifactError(f"{path} is not a readable joblib model file ({exc!r}).") from exc
    if not isinstance(obj, ChurnModel):
        raise ArtifactError(f"{path} holds a {type(obj).__name__}, not a ChurnModel.")
    if obj.format_version != FORMAT_VERSION:
        raise ArtifactError(
            f"{path} has format version {obj.format_version}; this code reads {FORMAT_VERSION}. "
            "Re-run the task to rebuild it."
        )
    return obj
