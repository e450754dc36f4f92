"""Typed, strict configuration of the level-2 churn pipeline.

Everything that names a column lives here (and in the YAML file), never in the code: a new
table set needs only a new config.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

ModelKind = Literal["logistic_regression", "hist_gradient_boosting"]
Strategy = Literal["none", "class_weight", "random_over", "smote", "random_under"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TableConfig(_Strict):
    """One source table."""

    name: str = Field(description="Name used in joins and messages.")
    path: str = Field(description="CSV path, relative to $SCIDISCO_DATA unless absolute.")
    key: list[str] = Field(
        min_length=1, description="Columns that identify one row; checked unique."
    )
    drop: list[str] = Field(
        default_factory=list,
        description="Columns removed on load, e.g. bookkeeping columns repeated in several tables "
        "(they would collide in the join).",
    )


class JoinConfig(_Strict):
    """Attach one table to the running join (which starts as the first table)."""

    table: str = Field(description="Name of the table to attach.")
    # Not `on`: YAML 1.1 reads a bare `on` key as the boolean true.
    keys: list[str] = Field(min_length=1, description="Key columns present on both sides.")
    validate_as: Literal["one_to_one", "many_to_one"] = Field(
        description="Expected cardinality, checked by pandas; many-to-many is never allowed."
    )
    require_match: bool = Field(
        default=True, description="Fail if a row of the running join finds no partner."
    )


class DataConfig(_Strict):
    """Where the tables are and how they fit together."""

    tables: list[TableConfig] = Field(min_length=1, description="The first one is the base table.")
    joins: list[JoinConfig] = Field(default_factory=list, description="Applied in order.")
    na_values: list[str] = Field(
        default_factory=lambda: [""],
        description="Strings read as missing; nothing else is (a literal 'None' stays a category).",
    )
    expected_rows: int | None = Field(
        default=None, ge=1, description="If set, the joined table must have exactly this many rows."
    )

    @model_validator(mode="after")
    def _joins_name_tables(self) -> DataConfig:
        names = [t.name for t in self.tables]
        if len(set(names)) != len(names):
            raise ValueError(f"table names must be unique, got {names}")
        unknown = [j.table for j in self.joins if j.table not in names[1:]]
        if unknown:
            raise ValueError(
                f"joins name unknown tables {unknown}; known (besides the base): {names[1:]}"
            )
        unjoined = sorted(set(names[1:]) - {j.table for j in self.joins})
        if unjoined:
            raise ValueError(f"tables {unjoined} are never joined; add a `joins` entry for each")
        return self


class TargetConfig(_Strict):
    """The outcome to predict."""

    column: str = Field(description="Target column in the joined table.")
    positive: str | int = Field(description="Value of `column` that means churned.")


class EngineeredFeature(_Strict):
    """A derived column, computed inside the saved model so prediction recomputes it."""

    name: str = Field(description="New column name.")
    op: Literal["ratio", "difference", "product", "count_equal"] = Field(
        description="ratio: a/b (b<=0 -> missing); difference: a-b; product: a*b; "
        "count_equal: how many of `columns` equal `value`."
    )
    a: str | None = Field(default=None, description="First operand (ratio/difference/product).")
    b: str | None = Field(default=None, description="Second operand (ratio/difference/product).")
    columns: list[str] = Field(default_factory=list, description="Columns for count_equal.")
    value: str | int | None = Field(default=None, description="Value counted by count_equal.")

    @model_validator(mode="after")
    def _operands(self) -> EngineeredFeature:
        if self.op == "count_equal":
            if not self.columns or self.value is None:
                raise ValueError(f"feature {self.name!r}: count_equal needs `columns` and `value`")
        elif self.a is None or self.b is None:
            raise ValueError(f"feature {self.name!r}: {self.op} needs `a` and `b`")
        return self


class SelectionConfig(_Strict):
    """Feature selection, fitted inside each training fold."""

    method: Literal["none", "mutual_info", "model"] = Field(
        default="mutual_info",
        description="mutual_info: keep the k encoded features with the highest mutual information "
        "with the target; model: keep features an L1 logistic regression gives non-zero weight.",
    )
    k: int = Field(default=40, ge=1, description="Features kept by mutual_info.")
    l1_c: float = Field(default=0.05, gt=0, description="Inverse L1 strength for method `model`.")


class FeaturesConfig(_Strict):
    """Which columns become features."""

    id_columns: list[str] = Field(default_factory=list, description="Identifiers: never features.")
    leakage: list[str] = Field(
        default_factory=list,
        description="Columns that restate or follow from the outcome; never features.",
    )
    exclude: list[str] = Field(
        default_factory=list, description="Other columns kept out (constant, free text, redundant)."
    )
    max_single_feature_auc: float = Field(
        default=0.90,
        gt=0.5,
        le=1.0,
        description="Leakage guard: a remaining feature whose ROC AUC on its own (training rows, "
        "cross-fitted target encoding) exceeds this stops the run.",
    )
    min_category_frequency: int = Field(
        default=30, ge=1, description="Rarer categories are pooled into one 'infrequent' column."
    )
    engineered: list[EngineeredFeature] = Field(
        default_factory=list, description="Derived columns."
    )
    selection: SelectionConfig = Field(default_factory=SelectionConfig)


class SplitConfig(_Strict):
    """Train / validation / test, all stratified by the target."""

    test_size: float = Field(default=0.2, gt=0, lt=0.5, description="Share of all rows; used once.")
    val_size: float = Field(
        default=0.2, gt=0, lt=0.5, description="Share of the non-test rows; picks the threshold."
    )
    cv_folds: int = Field(default=5, ge=2, le=20, description="Stratified folds on the train rows.")


class ModelConfig(_Strict):
    """Candidate classifiers, compared by cross-validation on the train split."""

    kinds: list[ModelKind] = Field(
        default_factory=lambda: list[ModelKind](["logistic_regression", "hist_gradient_boosting"]),
        min_length=1,
        description="Models compared.",
    )
    logistic_regression: dict[str, float | int | str] = Field(
        default_factory=lambda: dict[str, float | int | str]({"max_iter": 2000}),
        description="LogisticRegression parameters.",
    )
    hist_gradient_boosting: dict[str, float | int | str] = Field(
        default_factory=dict, description="HistGradientBoostingClassifier parameters."
    )


class ImbalanceConfig(_Strict):
    """How the 26 % minority class is handled, and how the decision threshold is chosen."""

    strategies: list[Strategy] = Field(
        default_factory=lambda: list[Strategy](["none", "class_weight", "random_over", "smote"]),
        min_length=1,
        description="none; class_weight (balanced); random_over / smote / random_under "
        "(imbalanced-learn, applied to training folds only).",
    )
    select_by: Literal["roc_auc", "pr_auc"] = Field(
        default="pr_auc", description="CV metric that picks the model and strategy."
    )
    threshold_objective: Literal["f1", "precision_at_recall"] = Field(
        default="f1",
        description="f1: the validation threshold with the highest F1; precision_at_recall: the "
        "highest-precision threshold whose validation recall is at least `min_recall`.",
    )
    min_recall: float = Field(default=0.8, gt=0, le=1, description="For precision_at_recall.")


class EvaluationConfig(_Strict):
    """Test-split reporting."""

    bootstrap: int = Field(default=1000, ge=100, description="Bootstrap resamples for the test CI.")
    calibration_bins: int = Field(
        default=10, ge=3, le=50, description="Bins of the calibration plot."
    )


class Level2Config(_Strict):
    """The whole level-2 run."""

    seed: int = Field(default=0, description="Seed for splits, resampling, models, bootstrap.")
    threads: int = Field(
        default=1,
        ge=1,
        description="OpenMP/BLAS threads while fitting. More threads than idle cores make "
        "HistGradientBoosting crawl (one fit: 3 s at 1 thread, 130-230 s at 2 on a busy 2-core "
        "machine); results do not depend on it.",
    )
    data: DataConfig
    target: TargetConfig
    features: FeaturesConfig = Field(default_factory=FeaturesConfig)
    split: SplitConfig = Field(default_factory=SplitConfig)
    model: ModelConfig = Field(default_factory=ModelConfig)
    imbalance: ImbalanceConfig = Field(default_factory=ImbalanceConfig)
    evaluation: EvaluationConfig = Field(default_factory=EvaluationConfig)
