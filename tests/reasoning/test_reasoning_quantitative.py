"""SymPy checks against hand-computed values: doses in BC5CDR abstracts and dose-response laws."""

from __future__ import annotations

from pathlib import Path

import pytest
import sympy

from reasoning.quantitative import dose_consistency, monotone_on, parse_doses, parse_law
from retrieval.pubtator import read_pubtator

HILL = "Emax*C**n/(EC50**n + C**n)"


@pytest.fixture(scope="module")
def abstracts(bc5cdr_train: Path) -> dict[str, str]:
    wanted = {"869641", "15145918", "19058010", "1378968"}
    return {d.pmid: d.abstract for d in read_pubtator(bc5cdr_train) if d.pmid in wanted}


def test_same_kind_doses_give_the_range_in_mg_per_kg(abstracts: dict[str, str]) -> None:
    """PMID 869641: L-Dopa 5 mg/kg, MK-486 25 mg/kg, 5-HTP 5 mg/kg (all i.v.)."""
    doses = parse_doses(abstracts["869641"])
    assert [d.normalised() for d in doses] == [(5.0, "mg/kg"), (25.0, "mg/kg"), (5.0, "mg/kg")]
    verdict = dose_consistency(abstracts["869641"])
    assert verdict.passed is True
    assert verdict.reason == "all 3 doses are mass per body mass, range 5-25 mg/kg"


def test_micrograms_per_kg_normalise_and_daily_doses_conflict(abstracts: dict[str, str]) -> None:
    """PMID 15145918: rilmenidine 600 microg/kg, methyldopa 100 mg/kg, estradiol 14.2 microg/day."""
    doses = parse_doses(abstracts["15145918"])
    assert [d.quantity for d in doses] == [
        600 * sympy.physics.units.microgram / sympy.physics.units.kilogram,
        100 * sympy.physics.units.milligram / sympy.physics.units.kilogram,
        sympy.Rational("14.2") * sympy.physics.units.microgram / sympy.physics.units.day,
    ]
    assert [d.kind for d in doses] == ["mass per body mass"] * 2 + ["mass per time"]
    verdict = dose_consistency(abstracts["15145918"])
    assert verdict.passed is False
    assert "mass per body mass (2), range 0.6-100 mg/kg" in verdict.reason
    assert "mass per time (1), range 0.0142 mg/day" in verdict.reason


def test_single_and_daily_doses_across_texts(abstracts: dict[str, str]) -> None:
    """PMID 19058010: ISO 200 mg/kg; green tea and vitamin E 100 mg/kg/day each."""
    verdict = dose_consistency([abstracts["19058010"]])
    assert verdict.passed is False
    assert "mass per body mass per time (2), range 100 mg/kg/day" in verdict.reason
    assert len(verdict.proof) == 4  # three doses and the rule


def test_one_dose_abstains(abstracts: dict[str, str]) -> None:
    """PMID 1378968 cites one dose (a 50 mmol/kg lithium diet)."""
    verdict = dose_consistency(abstracts["1378968"])
    assert verdict.passed is None
    assert verdict.proof == [
        "text 1: '50 mmol/kg' -> mole/(20*kilogram) = 50 mmol/kg (amount per body mass)"
    ]


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("2.5 mg/kg/day", 2.5, "mg/kg/day"),
        ("2 mg kg-1 day-1", 2.0, "mg/kg/day"),
        ("500 mg", 500.0, "mg"),
        ("0.1 µM", 0.1, "µM"),
        ("100 nM", 0.1, "µM"),
        ("5 ng/ml", 0.005, "µg/mL"),
    ],
)
def test_units_convert_to_the_display_unit(text: str, value: float, unit: str) -> None:
    (dose,) = parse_doses(text)
    normalised = dose.normalised()
    assert normalised is not None
    assert normalised[0] == pytest.approx(value)
    assert normalised[1] == unit


def test_concentrations_agree_with_each_other() -> None:
    verdict = dose_consistency(["IC50 of 0.1 µM", "inhibited at 100 nM and 2.5 μM"])
    assert verdict.passed is True
    assert verdict.reason == "all 3 doses are molar concentration, range 0.1-2.5 µM"


def test_magnesium_and_body_weight_are_not_doses() -> None:
    assert parse_doses("Mg+2 ATPase in 70 kg adults after 24 h") == []


def test_hill_curve_is_increasing_with_the_derivative_as_proof() -> None:
    verdict = monotone_on(HILL, "C", 0, 100, {"Emax": 100, "EC50": 10, "n": 2})
    assert verdict.passed is True
    assert verdict.reason == "monotone: f is strictly increasing on [0, 100]"
    # d/dC 100 C^2/(100 + C^2) = 100 * 200 C / (C^2 + 100)^2; at C = 50: 25/169.
    c = sympy.Symbol("C", real=True)
    derivative = sympy.sympify(verdict.proof[1].split(" = ", 1)[1], locals={"C": c})
    assert sympy.simplify(derivative - 20000 * c / (c**2 + 100) ** 2) == 0
    assert "on (0, 100): f'(50) = 25/169 > 0" in verdict.proof


def test_hill_curve_is_increasing_for_any_positive_parameters() -> None:
    verdict = monotone_on(HILL, "C", 0, 1000)
    assert verdict.passed is True
    assert "for all positive EC50, Emax, n" in verdict.reason


def test_biphasic_response_is_not_monotone_past_its_peak() -> None:
    # f = C exp(-C/10): f' = (1 - C/10) exp(-C/10), zero at C = 10.
    verdict = monotone_on("C*exp(-C/k)", "C", 0, 50, {"k": 10})
    assert verdict.passed is False
    assert verdict.reason == "not monotone on [0, 50]: f' changes sign at 10"
    assert "on (10, 50): f'(30) = -2*exp(-3) < 0" in verdict.proof
    assert monotone_on("C*exp(-C/k)", "C", 0, 10, {"k": 10}).passed is True


def test_inhibition_is_decreasing() -> None:
    # f = 1 - C/(5 + C): f' = -5/(C + 5)^2; at C = 50: -5/3025 = -1/605.
    verdict = monotone_on("1 - C/(IC50 + C)", "C", 0, 100, {"IC50": 5})
    assert verdict.passed is True
    assert "decreasing" in verdict.reason
    assert "on (0, 100): f'(50) = -1/605 < 0" in verdict.proof


def test_a_pole_in_the_range_is_not_monotone() -> None:
    verdict = monotone_on("1/(C - 5)", "C", 0, 10)
    assert verdict.passed is False
    assert "not continuous" in verdict.reason


def test_undetermined_sign_abstains() -> None:
    verdict = monotone_on("a*C - b*C**2", "C", 0, 10)
    assert verdict.passed is None
    assert verdict.reason == "undecided: give values for a, b to decide"


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("__import__('os').system('true')", "calls something other than"),
        ("C.real", "contains Attribute"),
        ("C +", "is not a formula"),
        ("Emax*D", "`var` 'C' does not occur"),
    ],
)
def test_unsafe_or_wrong_formulas_are_refused(expr: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_law(expr, "C")


def test_bad_range_and_unknown_parameter_are_refused() -> None:
    with pytest.raises(ValueError, match="lo=10, hi=1"):
        monotone_on(HILL, "C", 10, 1)
    with pytest.raises(ValueError, match=r"\['Kd'\] do not occur"):
        monotone_on(HILL, "C", 0, 1, {"Kd": 3})
