"""Doses in evidence text as SymPy unit quantities, and whether cited doses are comparable.

``parse_doses("rilmenidine (600 microg/kg) or alpha-methyldopa (100 mg/kg)")`` finds two
doses, each a ``sympy.physics.units`` quantity (``600*microgram/kilogram``). Their dimension
decides their kind: mass per body mass (mg/kg), mass per body mass per time (mg/kg/day),
molar or mass concentration (µM, µg/mL), mass (mg), ... Doses of different kinds cannot be
compared without more facts (body weight, molar mass, duration), which
:func:`dose_consistency` reports.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import sympy
from sympy.physics import units as u
from sympy.physics.units import convert_to
from sympy.physics.units.systems.si import SI, dimsys_SI

from agent.types import Verdict

_MICRO = "(?:µ|μ|u|micro)"
# Numerators: mass, amount of substance and molar concentration (case matters: Mg is magnesium).
_NUMERATORS: dict[str, sympy.Expr] = {
    "g": u.gram, "mg": u.milligram, "µg": u.microgram, "ng": u.microgram / 10**3,
    "mol": u.mol, "mmol": u.mol / 10**3, "µmol": u.mol / 10**6, "nmol": u.mol / 10**9,
    "M": u.mol / u.liter, "mM": u.mol / u.liter / 10**3, "µM": u.mol / u.liter / 10**6,
    "nM": u.mol / u.liter / 10**9, "pM": u.mol / u.liter / 10**12,
}  # fmt: skip
_DENOMINATORS: dict[str, sympy.Expr] = {
    "kg": u.kilogram, "g": u.gram, "m2": u.meter**2, "L": u.liter, "dL": u.deciliter,
    "mL": u.milliliter, "day": u.day, "h": u.hour, "min": u.minute, "week": 7 * u.day,
}  # fmt: skip
_DENOMINATOR_SPELLINGS = {
    "kg": "kg", "g": "g", "m2": "m2", "m^2": "m2", "l": "L", "L": "L", "dl": "dL", "dL": "dL",
    "ml": "mL", "mL": "mL", "d": "day", "day": "day", "days": "day", "h": "h", "hr": "h",
    "hour": "h", "min": "min", "wk": "week", "week": "week",
}  # fmt: skip

_NUMBER = r"\d+(?:\.\d+)?"
# No "kg" numerator: "a 70 kg patient" is a body weight, not a dose.
_NUMERATOR = rf"(?:mg|ng|g|{_MICRO}g|mcg|mmol|nmol|{_MICRO}mol|mol|mM|nM|pM|{_MICRO}M|M)"
_DENOM_WORD = r"(?:kg|m\^?2|[dm]?[lL]|days?|d|hr|hour|h|min|wk|week)"
_PATTERN = re.compile(
    rf"(?<![\w.])(?P<values>{_NUMBER}(?:\s*(?:,|-|–|to|and|or)\s*{_NUMBER})*)\s*"
    rf"(?P<unit>{_NUMERATOR})(?P<per>(?:/\s*{_DENOM_WORD}|\s+per\s+{_DENOM_WORD}"
    rf"|\s+{_DENOM_WORD}(?:-1|\(-1\)|⁻¹))*)(?![\w/])"
)
_BASE = [u.kilogram, u.meter, u.second, u.mol]

# Kind of dose for each dimension (SI dependencies), and the unit its values are shown in.
_KINDS: dict[frozenset[tuple[str, int]], tuple[str, str, sympy.Expr]] = {
    frozenset(): ("mass per body mass", "mg/kg", u.milligram / u.kilogram),
    frozenset({("time", -1)}): (
        "mass per body mass per time", "mg/kg/day", u.milligram / u.kilogram / u.day,
    ),
    frozenset({("mass", 1)}): ("mass", "mg", u.milligram),
    frozenset({("mass", 1), ("time", -1)}): ("mass per time", "mg/day", u.milligram / u.day),
    frozenset({("amount_of_substance", 1), ("length", -3)}): (
        "molar concentration", "µM", u.mol / u.liter / 10**6,
    ),
    frozenset({("mass", 1), ("length", -3)}): (
        "mass concentration", "µg/mL", u.microgram / u.milliliter,
    ),
    frozenset({("amount_of_substance", 1), ("mass", -1)}): (
        "amount per body mass", "mmol/kg", u.mol / 10**3 / u.kilogram,
    ),
    frozenset({("mass", 1), ("length", -2)}): (
        "mass per body surface area", "mg/m2", u.milligram / u.meter**2,
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Dose:
    """One dose value found in a text; ``quantity`` is a SymPy unit expression."""

    text: str
    value: sympy.Rational
    unit: sympy.Expr
    source: int = 0

    @property
    def quantity(self) -> sympy.Expr:
        return self.value * self.unit

    @property
    def dimension(self) -> frozenset[tuple[str, int]]:
        dims = dimsys_SI.get_dimensional_dependencies(SI.get_dimensional_expr(self.unit))
        return frozenset((str(d.name), int(p)) for d, p in dims.items())

    @property
    def kind(self) -> str:
        known = _KINDS.get(self.dimension)
        return known[0] if known else "dimension " + _dimension_words(self.dimension)

    def normalised(self) -> tuple[float, str] | None:
        """The value in the kind's display unit (mg/kg for mass per body mass), if known."""
        known = _KINDS.get(self.dimension)
        if known is None:
            return None
        ratio = convert_to(self.quantity / known[2], _BASE)
        return float(ratio), known[1]


def parse_doses(text: str, source: int = 0) -> list[Dose]:
    """Every dose in ``text``, one per number ("10-30 mg/kg" gives two doses)."""
    doses = []
    for match in _PATTERN.finditer(text):
        unit = _unit(match.group("unit"), match.group("per"))
        for number in re.findall(_NUMBER, match.group("values")):
            doses.append(Dose(match.group(0).strip(), sympy.Rational(number), unit, source))
    return doses


def _unit(numerator: str, per: str) -> sympy.Expr:
    key = re.sub(rf"^{_MICRO}", "µ", numerator).replace("mcg", "µg")
    unit = _NUMERATORS[key]
    for word in re.findall(_DENOM_WORD, per):
        unit = unit / _DENOMINATORS[_DENOMINATOR_SPELLINGS[word]]
    return unit


def dose_consistency(texts: Iterable[str] | str) -> Verdict:
    """Check that the doses cited across ``texts`` share one dimension.

    Passed is True when they do (the reason gives the normalised range, in mg/kg for mass per
    body mass), False when kinds differ, None when fewer than two doses were found.
    """
    texts = [texts] if isinstance(texts, str) else list(texts)
    doses = [dose for i, text in enumerate(texts) for dose in parse_doses(text, i)]
    proof = [_describe(d) for d in doses]
    if len(doses) < 2:
        reason = f"fewer than two doses cited ({len(doses)} found); nothing to compare"
        return Verdict(check="dose_consistency", passed=None, reason=reason, proof=proof)
    groups: dict[str, list[Dose]] = {}
    for dose in doses:
        groups.setdefault(dose.kind, []).append(dose)
    summaries = [_summary(kind, group) for kind, group in groups.items()]
    if len(groups) == 1:
        reason = f"all {len(doses)} doses are {summaries[0].replace(f' ({len(doses)})', '')}"
        proof.append("rule consistent: every dose has the same SI dimension")
        return Verdict(check="dose_consistency", passed=True, reason=reason, proof=proof)
    reason = (
        f"doses of {len(groups)} incompatible kinds: {'; '.join(summaries)}. They cannot be "
        "compared without body weight, molar mass or duration"
    )
    proof.append("rule inconsistent: two doses differ in SI dimension")
    return Verdict(check="dose_consistency", passed=False, reason=reason, proof=proof)


def _describe(dose: Dose) -> str:
    shown = dose.normalised()
    value = f" = {_number(shown[0])} {shown[1]}" if shown else ""
    return f"text {dose.source + 1}: '{dose.text}' -> {dose.quantity}{value} ({dose.kind})"


def _summary(kind: str, group: list[Dose]) -> str:
    values = [d.normalised() for d in group]
    if any(v is None for v in values):
        return f"{kind} ({len(group)})"
    numbers = sorted(v[0] for v in values if v)
    unit = values[0][1] if values[0] else ""
    span = (
        _number(numbers[0])
        if numbers[0] == numbers[-1]
        else (f"{_number(numbers[0])}-{_number(numbers[-1])}")
    )
    return f"{kind} ({len(group)}), range {span} {unit}"  # "mass (2), range 5-25 mg"


def _number(value: float) -> str:
    return f"{value:.6g}"


def _dimension_words(dimension: frozenset[tuple[str, int]]) -> str:
    return " ".join(f"{name}^{power}" for name, power in sorted(dimension)) or "1"
