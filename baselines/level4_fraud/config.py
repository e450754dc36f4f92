"""Typed, validated configuration of the level 4 baseline."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

DEFAULT_CONFIG = Path(__file__).with_name("config.yaml")


class SplitConfig(BaseModel):
    """The handbook's train / delay / test split (all in whole days)."""

    model_config = ConfigDict(extra="forbid")

    train_start: dt.date = Field(description="First day of the training week.")
    delta_train: int = Field(7, ge=1, description="Days of training data.")
    delta_delay: int = Field(
        7, ge=0, description="Days between training and test: labels not yet known (unused)."
    )
    delta_test: int = Field(7, ge=1, description="Days of test data.")

    @property
    def test_start(self) -> dt.date:
        """First test day."""
        return self.train_start + dt.timedelta(days=self.delta_train + self.delta_delay)


class FeatureConfig(BaseModel):
    """Window features computed online from the raw stream."""

    model_config = ConfigDict(extra="forbid")

    windows_days: list[int] = Field([1, 7, 30], description="Window lengths in days.")
    terminal_delay_days: int = Field(
        7, ge=0, description="Terminal risk only uses labels older than this many days."
    )
    source: Literal["online", "file"] = Field(
        "online",
        description="'online' recomputes features from raw transactions; 'file' reads the "
        "shipped feature file (only covers 2018-07-25..2018-08-14).",
    )


# Features tried per split of a tree: a rule, a share of the inputs, or None for all of them.
MaxFeatures = Literal["sqrt", "log2"] | Annotated[float, Field(gt=0, le=1)] | None

ModelName = Literal[
    "logistic_regression",
    "random_forest",
    "random_forest_handbook",
    "balanced_bagging",
    "balanced_bagging_hgb",
    "gradient_boosting",
]


class ModelsConfig(BaseModel):
    """Which models to fit and their hyperparameters (chosen on a validation split: tune.py).

    ``random_forest_handbook`` is the handbook's chapter-3 forest as published: its 15 inputs
    (no amount ratios) and scikit-learn's defaults, only ``seed`` and ``n_jobs`` configurable.
    ``balanced_bagging`` is the handbook's (chapter 6): decision trees of depth 20 on randomly
    undersampled bootstrap bags. ``balanced_bagging_hgb`` is this baseline's variant: the same
    balanced bags, each fitted with a histogram gradient-boosting model.
    """

    model_config = ConfigDict(extra="forbid")

    names: list[ModelName] = Field(
        [
            "logistic_regression",
            "random_forest",
            "random_forest_handbook",
            "balanced_bagging",
            "balanced_bagging_hgb",
        ],
        description="Models to train and compare.",
    )
    amount_ratios: bool = Field(
        True, description="Append amount / card mean amount per window and log amount."
    )
    logreg_c: float = Field(1.0, gt=0, description="Inverse L2 strength of logistic regression.")
    rf_n_estimators: int = Field(100, ge=1, description="Trees in the random forest.")
    rf_max_depth: int | None = Field(None, description="Depth of forest trees (None: unbounded).")
    rf_min_samples_leaf: int = Field(1, ge=1, description="Fewest training rows in a forest leaf.")
    rf_max_features: MaxFeatures = Field(
        "sqrt", description="Features tried per split of a forest tree (scikit-learn's default)."
    )
    rf_class_weight: Literal["balanced", "balanced_subsample"] | None = Field(
        None, description="Class weights of the forest (None: every row weighs 1)."
    )
    bb_n_estimators: int = Field(
        100, ge=1, description="Trees in balanced bagging (the handbook's: 100)."
    )
    bb_max_depth: int | None = Field(
        20, description="Depth of each bagged tree (the handbook's: 20; None: unbounded)."
    )
    bb_max_features: MaxFeatures = Field(
        None,
        description="Features tried per split of each bagged tree (None: all, as the handbook).",
    )
    bb_min_samples_leaf: int = Field(
        1, ge=1, description="Fewest rows in a bagged tree's leaf (the handbook's: 1)."
    )
    bb_replacement: bool = Field(
        False, description="Undersample the majority class with replacement (the handbook: no)."
    )
    bb_sampling_strategy: float = Field(
        0.1,
        gt=0,
        le=1,
        description="Minority/majority ratio after undersampling each bag (handbook grid: "
        "0.02, 0.05, 0.1, 0.5, 1).",
    )
    bbh_n_estimators: int = Field(
        50, ge=1, description="Bags in balanced_bagging_hgb (one gradient-boosting model each)."
    )
    bbh_sampling_strategy: float = Field(
        0.2, gt=0, le=1, description="Minority/majority ratio of each balanced_bagging_hgb bag."
    )
    bbh_max_iter: int = Field(100, ge=1, description="Boosting rounds of each bag's model.")
    bbh_learning_rate: float = Field(0.1, gt=0, description="Learning rate of each bag's model.")
    gb_max_iter: int = Field(300, ge=1, description="Boosting rounds of gradient boosting.")
    gb_learning_rate: float = Field(0.05, gt=0, description="Gradient boosting learning rate.")
    n_jobs: int = Field(2, ge=1, description="CPU workers for tree ensembles.")
    seed: int = Field(0, description="Random seed for every model.")


class ServiceConfig(BaseModel):
    """The real-time scoring service."""

    model_config = ConfigDict(extra="forbid")

    model: ModelName = Field(
        "logistic_regression",
        description="Which saved model_<name>.joblib the service scores with.",
    )
    alert_threshold: float = Field(
        0.5, ge=0, le=1, description="Fraud probability at or above which a request is an alert."
    )
    drift_window: int = Field(5000, ge=50, description="Recent transactions compared for drift.")
    drift_every: int = Field(500, ge=1, description="Run the drift check every this many requests.")
    drift_exclude: list[str] = Field(
        ["TX_DURING_WEEKEND", "TX_DURING_NIGHT"],
        description="Features not drift-tested: calendar flags follow the clock, so any window "
        "shorter than a week differs from the training week without anything being wrong.",
    )
    drift_alpha: float = Field(
        0.01, gt=0, lt=1, description="Family-wise significance of the KS tests (Bonferroni)."
    )
    drift_min_statistic: float = Field(
        0.1, gt=0, le=1, description="Smallest KS distance counted as drift (effect size)."
    )


class Level4Config(BaseModel):
    """Root configuration of ``python -m baselines.level4_fraud``."""

    model_config = ConfigDict(extra="forbid")

    data_subdir: str = Field(
        "baselines/level4/fdh_simulated", description="Folder under SCIDISCO_DATA."
    )
    raw_file: str = Field(
        "transactions_raw_2018-06-18_2018-07-24.csv.gz", description="Raw history file."
    )
    features_file: str = Field(
        "transactions_features_2018-07-25_2018-08-14.csv.gz",
        description="Shipped feature file (its 9 raw columns also extend the stream).",
    )
    split: SplitConfig = Field(description="Train / delay / test days.")
    features: FeatureConfig = Field(default_factory=FeatureConfig, description="Features.")
    models: ModelsConfig = Field(default_factory=ModelsConfig, description="Models.")
    service: ServiceConfig = Field(default_factory=ServiceConfig, description="Scoring service.")
    top_k: int = Field(100, ge=1, description="k of card precision@k.")
    check_feature_parity: bool = Field(
        True, description="Compare online features with the shipped file on overlapping days."
    )

    @model_validator(mode="after")
    def _windows_sorted(self) -> Level4Config:
        if sorted(set(self.features.windows_days)) != self.features.windows_days:
            raise ValueError(
                f"features.windows_days must be increasing and distinct, got "
                f"{self.features.windows_days}"
            )
        return self


class ConfigError(ValueError):
    """A config file could not be read or does not validate."""


def load_config(path: str | Path | None = None) -> Level4Config:
    """Read and validate a YAML config (the packaged default when ``path`` is None).

    Raises:
        ConfigError: the file is missing, is not YAML, or has wrong or unknown fields.
    """
    path = Path(path) if path is not None else DEFAULT_CONFIG
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist; pass an existing YAML file")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {path} is not valid YAML: {exc}") from exc
    try:
        return Level4Config.model_validate(raw or {})
    except ValidationError as exc:
        raise ConfigError(f"config file {path} is invalid:\n{exc}") from exc
