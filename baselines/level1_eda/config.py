"""Typed, strict configuration of the level-1 task (one or more tables, same code)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

ModelName = Literal[
    "dummy", "logistic_regression", "knn", "random_forest", "hist_gradient_boosting"
]


class DatasetConfig(BaseModel):
    """One table to explore and model; nothing in the code knows its columns."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="Short name used in metric keys and artifact folders.")
    source: Literal["palmerpenguins", "csv"] = Field(
        description="`palmerpenguins`: the CSV inside the wheel, loaded offline with "
        "load_penguins(); `csv`: the file at `path`."
    )
    path: str | None = Field(
        default=None, description="CSV path, relative to $SCIDISCO_DATA unless absolute."
    )
    target: str = Field(description="Column to predict.")
    drop: list[str] = Field(
        default_factory=list, description="Columns never used as features (identifiers)."
    )
    na_values: list[str] = Field(
        default_factory=lambda: ["", " "],
        description="Strings read as missing. Only these: a literal 'None' stays a category.",
    )
    positive_label: str | None = Field(
        default=None,
        description="For a binary target, the class scored as positive (ROC AUC, F1). "
        "Unset: F1 is macro-averaged and ROC AUC is one-vs-rest.",
    )
    pair_columns: int = Field(
        default=4, ge=2, le=8, description="Numeric columns shown in the pairwise plot."
    )
    max_rows: int | None = Field(
        default=None, ge=50, description="Stratified subsample for quick runs; unset: all rows."
    )

    @model_validator(mode="after")
    def _path_matches_source(self) -> DatasetConfig:
        if self.source == "csv" and not self.path:
            raise ValueError(f"dataset {self.name!r}: source `csv` needs `path`")
        if self.source == "palmerpenguins" and self.path:
            raise ValueError(f"dataset {self.name!r}: source `palmerpenguins` takes no `path`")
        return self


class Level1Config(BaseModel):
    """The whole level-1 run: datasets, models and how they are measured."""

    model_config = ConfigDict(extra="forbid")

    seed: int = Field(default=0, description="Seed for the split, subsampling and models.")
    test_size: float = Field(
        default=0.25, gt=0.0, lt=0.9, description="Fraction held out, stratified by target."
    )
    cv_folds: int = Field(
        default=5, ge=2, le=20, description="Stratified folds for cross-validated ROC AUC."
    )
    models: list[ModelName] = Field(
        default_factory=lambda: list[ModelName](["dummy", "logistic_regression", "random_forest"]),
        min_length=1,
        description="scikit-learn estimators, each with default hyperparameters.",
    )
    datasets: list[DatasetConfig] = Field(min_length=1, description="Tables to run, in order.")
    plots: bool = Field(default=True, description="Write the EDA and confusion-matrix PNGs.")
    threads: int = Field(
        default=1,
        ge=1,
        description="OpenMP/BLAS threads while fitting. More threads than idle cores make "
        "HistGradientBoosting crawl (one fit: 3 s at 1 thread, 130-230 s at 2 on a busy 2-core "
        "machine); results do not depend on it.",
    )
