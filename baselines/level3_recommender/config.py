"""Typed, documented configuration of the level-3 recommender (validated from ``config.yaml``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

DEFAULT_CONFIG = Path(__file__).with_name("config.yaml")


class ConfigError(ValueError):
    """A config file that cannot be read or does not validate."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataConfig(_Strict):
    folder: str = Field(
        default="baselines/level3/ml-latest-small",
        description="Folder of ratings.csv, movies.csv and tags.csv, relative to SCIDISCO_DATA "
        "unless absolute.",
    )
    max_users: int | None = Field(
        default=None,
        ge=2,
        description="Keep only the first N user ids (tests); None keeps all 610.",
    )


class SplitConfig(_Strict):
    test_fraction: float = Field(
        default=0.25, gt=0.0, lt=1.0, description="Share of ratings held out, in both split kinds."
    )
    seed: int = Field(default=42, description="Seed of the random split and of every model.")
    relevance_threshold: float = Field(
        default=0.0,
        ge=0.0,
        le=5.0,
        description="A held-out rating >= this is relevant. 0.0 means any held-out rating is "
        "relevant, the convention of the popularity anchor in the data README.",
    )


class AlsConfig(_Strict):
    factors: int = Field(default=32, ge=1, description="Latent dimension.")
    regularization: float = Field(default=1.0, ge=0.0, description="L2 penalty on the factors.")
    alpha: float = Field(
        default=3.0, gt=0.0, description="Confidence scale: weight = alpha * rating/5."
    )
    iterations: int = Field(default=15, ge=1, description="Alternating least squares sweeps.")


class BprConfig(_Strict):
    factors: int = Field(
        default=64, ge=1, description="Latent dimension (implicit adds one bias term)."
    )
    learning_rate: float = Field(default=0.01, gt=0.0, description="SGD step size.")
    regularization: float = Field(default=0.05, ge=0.0, description="L2 penalty on the factors.")
    iterations: int = Field(default=60, ge=1, description="Epochs over the sampled triples.")


class ContentConfig(_Strict):
    min_df: int = Field(default=5, ge=1, description="Drop genre/tag terms seen on fewer movies.")
    popularity_blend: float = Field(
        default=0.9,
        ge=0.0,
        le=1.0,
        description="Weight of the log-popularity prior mixed into the content score (0: pure "
        "content similarity, which recommends obscure look-alikes).",
    )


class ModelsConfig(_Strict):
    evaluate: list[Literal["popularity", "als", "bpr", "content"]] = Field(
        default=["popularity", "als", "bpr", "content"],
        min_length=1,
        description="Models compared side by side in the offline table.",
    )
    serve: Literal["als"] = Field(
        default="als",
        description="Model trained on all ratings for the batch store and the service.",
    )
    als: AlsConfig = Field(default_factory=AlsConfig)
    bpr: BprConfig = Field(default_factory=BprConfig)
    content: ContentConfig = Field(default_factory=ContentConfig)


class EvalConfig(_Strict):
    k: int = Field(
        default=10, ge=1, description="Cut-off of precision, recall, NDCG, MAP and coverage."
    )
    splits: list[Literal["random", "temporal", "temporal_user"]] = Field(
        default=["random", "temporal", "temporal_user"],
        min_length=1,
        description="random: 75/25 of all ratings (published tables); temporal: one global "
        "time cut, scored on users seen before it (what a service faces); temporal_user: each "
        "user's latest ratings held out.",
    )
    repeat_seeds: list[int] = Field(
        default=[1, 2, 3, 4],
        description="Extra seeds of the random split; with `split.seed` they give each "
        "metric's mean and standard deviation over splits (empty: no repeats).",
    )


class BatchConfig(_Strict):
    top_n: int = Field(
        default=100,
        ge=10,
        description="Candidates stored per user; the service re-ranks among them.",
    )
    enabled: bool = Field(default=True, description="Build the store after the evaluation.")


class Level3Config(_Strict):
    """Everything one run of the level-3 task reads."""

    data: DataConfig = Field(default_factory=DataConfig)
    split: SplitConfig = Field(default_factory=SplitConfig)
    models: ModelsConfig = Field(default_factory=ModelsConfig)
    eval: EvalConfig = Field(default_factory=EvalConfig)
    batch: BatchConfig = Field(default_factory=BatchConfig)


def load_config(path: str | Path | None = None) -> Level3Config:
    """Read and validate a YAML config.

    Args:
        path: YAML file; None reads the package's ``config.yaml``.

    Returns:
        The validated config with every default filled in.

    Raises:
        ConfigError: The file is missing, is not YAML, or a field is wrong (the message names
            the file, the field and the value received).
    """
    path = Path(path) if path is not None else DEFAULT_CONFIG
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError as exc:
        raise ConfigError(f"config file {path} does not exist; pass an existing YAML") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {path} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"config file {path} must hold a mapping, got {type(raw).__name__}")
    try:
        return Level3Config.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"`{'.'.join(str(p) for p in err['loc'])}`: {err['msg']} (got {err.get('input')!r})"
            for err in exc.errors()
        )
        raise ConfigError(f"config file {path} is invalid: {problems}") from exc
