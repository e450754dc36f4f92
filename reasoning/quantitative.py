"""Quantitative checks with SymPy: dose units (see :mod:`reasoning.doses`) and monotonicity.

``monotone_on("Emax*C**n/(EC50**n + C**n)", "C", 0, 100, {"Emax": 100, "EC50": 10, "n": 2})``
decides whether a stated dose-response law rises (or falls) over a dose range. The proof is
the derivative, the roots SymPy finds for it inside the range, and its sign between them.
With parameters left symbolic (assumed positive), it asks SymPy's assumption system for the
sign of the derivative instead.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Mapping

import sympy
from sympy.calculus.util import continuous_domain
from sympy.parsing.sympy_parser import (
    convert_xor,
    parse_expr,
    standard_transformations,
)

from agent.types import Verdict
from reasoning.doses import Dose, dose_consistency, parse_doses

__all__ = ["Dose", "dose_consistency", "monotone_on", "parse_doses", "parse_law"]

_FUNCTIONS = {"exp": sympy.exp, "log": sympy.log, "sqrt": sympy.sqrt, "tanh": sympy.tanh}
_NODES = (
    ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant, ast.Name, ast.Load, ast.Call,
    ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.BitXor, ast.USub, ast.UAdd,
)  # fmt: skip
Number = int | float | str


def parse_law(expr: str, var: str, params: Mapping[str, Number] | None = None) -> sympy.Expr:
    """Parse a formula safely: numbers, names, + - * / ** ^ and exp/log/sqrt/tanh only.

    Raises:
        ValueError: the text has anything else (attributes, strings, other calls), naming it.
    """
    try:
        tree = ast.parse(expr.replace("^", "**"), mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"`expr` {expr!r} is not a formula: {exc.msg}") from exc
    names: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, _NODES):
            raise ValueError(
                f"`expr` {expr!r} contains {type(node).__name__}; use numbers, names, "
                f"+ - * / ** and {', '.join(_FUNCTIONS)}"
            )
        if isinstance(node, ast.Constant) and not isinstance(node.value, int | float):
            raise ValueError(f"`expr` {expr!r} contains the constant {node.value!r}")
        if isinstance(node, ast.Call) and not (
            isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS
        ):
            raise ValueError(f"`expr` {expr!r} calls something other than {list(_FUNCTIONS)}")
        if isinstance(node, ast.Name) and node.id not in _FUNCTIONS:
            names.add(node.id)
    if var not in names:
        raise ValueError(f"`var` {var!r} does not occur in `expr` {expr!r} (names: {names})")
    symbols = {
        name: sympy.Symbol(name, real=True) if name == var else sympy.Symbol(name, positive=True)
        for name in names
    }
    law = parse_expr(
        expr,
        local_dict={**symbols, **_FUNCTIONS},
        transformations=(*standard_transformations, convert_xor),
    )
    values = {symbols[k]: sympy.Rational(str(v)) for k, v in (params or {}).items() if k in symbols}
    unknown = set(params or {}) - names
    if unknown:
        raise ValueError(f"`params` {sorted(unknown)} do not occur in `expr` {expr!r}")
    return sympy.sympify(law.subs(values))


def monotone_on(
    expr: str,
    var: str,
    lo: Number,
    hi: Number,
    params: Mapping[str, Number] | None = None,
) -> Verdict:
    """Decide whether ``expr`` is monotone in ``var`` on ``[lo, hi]``.

    Args:
        expr: the law, e.g. ``"Emax*C**n/(EC50**n + C**n)"`` (Hill / Emax model).
        var: the dose or concentration variable, e.g. ``"C"``.
        lo, hi: the range, ``lo < hi``.
        params: numbers for the other names; names left out are positive symbols.

    Returns:
        A ``monotone`` verdict: True (increasing or decreasing, which the reason says), False
        with the point where the derivative changes sign, or None when SymPy cannot decide.
    """
    low, high = sympy.Rational(str(lo)), sympy.Rational(str(hi))
    if not low < high:
        raise ValueError(f"the range needs `lo` < `hi`, got lo={lo!r}, hi={hi!r}")
    x = sympy.Symbol(var, real=True)
    law = parse_law(expr, var, params)
    derivative = sympy.simplify(sympy.diff(law, x))
    proof = [f"f({var}) = {law}", f"f'({var}) = {derivative}"]
    interval = sympy.Interval(low, high)

    if law.free_symbols - {x}:
        return _symbolic(law, derivative, x, interval, proof)
    domain = continuous_domain(law, x, interval)
    if domain != interval:
        proof.append(f"f is continuous only on {domain} within {_show(interval)}")
        reason = f"not monotone on {_show(interval)}: f is not continuous there"
        return Verdict(check="monotone", passed=False, reason=reason, proof=proof)
    return _numeric(derivative, x, interval, proof)


def _numeric(
    derivative: sympy.Expr, x: sympy.Symbol, interval: sympy.Interval, proof: list[str]
) -> Verdict:
    interior = sympy.Interval.open(interval.start, interval.end)
    roots = sympy.solveset(derivative, x, interior)
    if not isinstance(roots, sympy.FiniteSet) and roots != sympy.S.EmptySet:
        proof.append(f"SymPy cannot list the roots of f' on {_show(interior)}: {roots}")
        reason = "undecided: SymPy could not solve f' = 0 on the range"
        return Verdict(check="monotone", passed=None, reason=reason, proof=proof)
    cuts = sorted(roots, key=float) if isinstance(roots, sympy.FiniteSet) else []
    found = ", ".join(map(str, cuts)) if cuts else "no root"
    proof.append(f"solveset(f'({x}) = 0) on {_show(interior)}: {found}")
    edges = [interval.start, *cuts, interval.end]
    signs = []
    for left, right in itertools.pairwise(edges):
        probe = (left + right) / 2
        value = derivative.subs(x, probe)
        sign = int(sympy.sign(value))
        signs.append(sign)
        word = {1: "> 0", -1: "< 0", 0: "= 0"}[sign]
        proof.append(f"on ({left}, {right}): f'({probe}) = {sympy.nsimplify(value)} {word}")
    return _conclude(signs, cuts, interval, proof)


def _conclude(
    signs: list[int], cuts: list[sympy.Expr], interval: sympy.Interval, proof: list[str]
) -> Verdict:
    if all(s == 0 for s in signs):
        reason = f"monotone (constant) on {_show(interval)}: f' = 0 throughout"
        return Verdict(check="monotone", passed=True, reason=reason, proof=proof)
    if all(s >= 0 for s in signs) or all(s <= 0 for s in signs):
        direction = "increasing" if max(signs) > 0 else "decreasing"
        proof.append(f"f' keeps one sign between its isolated roots, so f is {direction}")
        reason = f"monotone: f is strictly {direction} on {_show(interval)}"
        return Verdict(check="monotone", passed=True, reason=reason, proof=proof)
    pairs = zip(cuts, itertools.pairwise(signs), strict=True)
    turns = [cut for cut, (before, after) in pairs if before != after]
    reason = f"not monotone on {_show(interval)}: f' changes sign at {', '.join(map(str, turns))}"
    return Verdict(check="monotone", passed=False, reason=reason, proof=proof)


def _symbolic(
    law: sympy.Expr,
    derivative: sympy.Expr,
    x: sympy.Symbol,
    interval: sympy.Interval,
    proof: list[str],
) -> Verdict:
    if interval.start < 0:
        reason = "undecided: symbolic parameters are only handled on ranges with lo >= 0"
        return Verdict(check="monotone", passed=None, reason=reason, proof=proof)
    # On the open range the dose is positive; continuity closes it at the ends.
    positive = sympy.Symbol(str(x), positive=True)
    sign = derivative.subs(x, positive)
    names = ", ".join(sorted(str(s) for s in law.free_symbols - {x}))
    proof.append(f"assume {names} > 0 and {x} > 0 on the open range")
    if sign.is_positive:
        proof.append(f"SymPy's assumptions give f'({x}) > 0")
        reason = f"monotone: f is strictly increasing on {_show(interval)} for all positive {names}"
        return Verdict(check="monotone", passed=True, reason=reason, proof=proof)
    if sign.is_negative:
        proof.append(f"SymPy's assumptions give f'({x}) < 0")
        reason = f"monotone: f is strictly decreasing on {_show(interval)} for all positive {names}"
        return Verdict(check="monotone", passed=True, reason=reason, proof=proof)
    proof.append("the sign of f' depends on the parameter values")
    reason = f"undecided: give values for {names} to decide"
    return Verdict(check="monotone", passed=None, reason=reason, proof=proof)


def _show(interval: sympy.Interval) -> str:
    """``[0, 100]`` or ``(0, 100)`` rather than SymPy's ``Interval.open(0, 100)``."""
    left = "(" if interval.left_open else "["
    right = ")" if interval.right_open else "]"
    return f"{left}{interval.start}, {interval.end}{right}"
