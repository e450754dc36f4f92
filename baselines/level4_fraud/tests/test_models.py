"""Model pipelines: the handbook's forest ignores this baseline's own choices."""

from __future__ import annotations

from sklearn.ensemble import RandomForestClassifier
from sklearn.preprocessing import StandardScaler

from baselines.level4_fraud.config import ModelsConfig
from baselines.level4_fraud.models import HANDBOOK_ROW, AmountRatios, make_model


def test_the_handbook_forest_keeps_its_inputs_and_sklearn_defaults() -> None:
    cfg = ModelsConfig(amount_ratios=True, rf_max_depth=5, rf_max_features=0.5, seed=3)
    ours, handbook = make_model("random_forest", cfg), make_model("random_forest_handbook", cfg)
    assert isinstance(ours.steps[0][1], AmountRatios)
    assert [type(step) for _, step in handbook.steps] == [StandardScaler, RandomForestClassifier]
    forest = handbook.steps[-1][1]
    defaults = RandomForestClassifier().get_params()
    for name in ("n_estimators", "max_depth", "max_features", "min_samples_leaf", "class_weight"):
        assert forest.get_params()[name] == defaults[name], name
    assert forest.random_state == 3
    assert HANDBOOK_ROW["random_forest_handbook"] == "random_forest"
