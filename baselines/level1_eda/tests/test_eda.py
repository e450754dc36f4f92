"""Exploration tables and plots say what the data holds: missing cells shown, flags as counts."""

from __future__ import annotations

import numpy as np
from matplotlib.patches import Rectangle

from baselines.level1_eda import data, eda
from baselines.level1_eda.tests.test_data import PENGUINS, TELCO


def test_missing_table_and_class_balance_match_the_penguin_counts() -> None:
    raw = data.load_table(PENGUINS)
    missing = eda.missing_table(raw)
    assert missing.index[0] == "sex" and missing.loc["sex", "missing"] == 11
    assert missing.loc["bill_length_mm", "percent"] == 100 * 2 / 344
    assert eda.class_balance(raw, "species")["rows"].to_dict() == {
        "Adelie": 152,
        "Gentoo": 124,
        "Chinstrap": 68,
    }
    summary = eda.summary_table(raw)
    assert summary.loc["body_mass_g", "count"] == 342 and summary.loc["island", "distinct"] == 3


def test_distributions_show_missing_cells_and_few_valued_numbers_as_counts() -> None:
    raw = data.load_table(PENGUINS)
    fig = eda.plot_distributions(raw, "species")
    panels = {ax.get_title(): ax for ax in fig.axes if ax.get_visible()}
    assert "bill_length_mm (2 missing)" in panels and "island" in panels
    # sex: female, male and the 11 missing as a bar of their own (stacked over 3 species).
    sex = panels["sex"]
    labels = [t.get_text() for t in sex.get_yticklabels()]
    assert sorted(labels) == ["(missing)", "female", "male"]
    widths = np.array([p.get_width() for p in sex.patches if isinstance(p, Rectangle)]).reshape(
        3, len(labels)
    )
    assert widths.sum(axis=0)[labels.index("(missing)")] == 11
    # year is a number with three values: one bar per year, in order, not a 20-bin histogram.
    assert [t.get_text() for t in panels["year"].get_yticklabels()] == ["2007", "2008", "2009"]


def test_pair_columns_leave_out_flags() -> None:
    df, _ = data.prepare(TELCO.model_copy(update={"max_rows": 1000}))
    # SeniorCitizen is numeric 0/1: a scatter of it is two lines, so it is not chosen.
    assert eda.pair_columns(df, "Churn", 4) == ["TotalCharges", "MonthlyCharges", "tenure"]


def test_pair_histograms_share_bin_edges_across_classes() -> None:
    raw = data.load_table(PENGUINS)
    fig = eda.plot_pairs(raw, "species", ["bill_length_mm", "body_mass_g"])
    diagonal = fig.axes[0]
    lefts = [round(p.get_x(), 6) for p in diagonal.patches if isinstance(p, Rectangle)]
    per_class = [lefts[i * 20 : (i + 1) * 20] for i in range(3)]
    assert per_class[0] == per_class[1] == per_class[2]
    assert min(lefts) == raw["bill_length_mm"].min()
