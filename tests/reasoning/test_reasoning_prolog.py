"""The Prolog engine wrapper: thread safety, load errors, no tracer exit, safe quoting."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
import threading
from importlib import resources
from pathlib import Path

import pytest

from reasoning.prolog import (
    PrologError,
    PrologSyntaxError,
    Var,
    consult,
    engine,
    quote_atom,
    render,
)

REPO = Path(__file__).resolve().parents[2]
NASTY = [
    "O'Brien'); halt. %",
    "back\\slash and 'quotes' \"double\"",
    "line\nbreak\ttab\r",
    "Émile α-synuclein 5-HT₂ ✓ 𝔘",
    "",
    "X",
    "_",
    "a, b ; c :- d.",
    "\x07bell\x1b",
]


def test_threads_share_one_engine_without_nested_query_errors() -> None:
    prolog = engine()
    errors: list[BaseException] = []
    wrong: list[tuple[int, int, object]] = []

    def work(thread: int) -> None:
        try:
            for i in range(50):
                found = prolog.once("X is %p * 1000 + %p", thread, i)
                if found is None or found["X"] != thread * 1000 + i:
                    wrong.append((thread, i, found))
        except BaseException as exc:  # collected and re-checked in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert wrong == []


def test_raw_pyswip_refuses_a_second_open_query() -> None:
    """The hazard the lock guards against: pyswip allows one open query per process."""
    from pyswip import Prolog
    from pyswip.prolog import NestedQueryError

    engine()
    first = Prolog.query("member(X, [1, 2, 3])")
    next(first)
    try:
        with pytest.raises(NestedQueryError):
            next(Prolog.query("true"))
    finally:
        first.close()


def test_consult_raises_on_a_syntax_error_naming_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad_rules.pl"
    bad.write_text("good_before(1).\nbroken(:- .\ngood_after(2).\n")
    with pytest.raises(PrologSyntaxError) as info:
        engine().consult(bad)
    assert info.value.path == str(bad)
    assert info.value.line == 2
    assert f"{bad}:2:" in str(info.value)
    assert "Syntax error" in str(info.value)
    # The half-loaded file was unloaded: its good clauses are gone too.
    assert not engine().succeeds("current_predicate(good_before/1)")


def test_consult_loads_a_good_file(tmp_path: Path) -> None:
    good = tmp_path / "good_rules.pl"
    good.write_text("sd_test_double(X, Y) :- Y is 2 * X.\n")
    assert engine().consult(good) == []
    assert engine().once("sd_test_double(21, Y)") == {"Y": 42}


def test_consult_returns_and_logs_warnings(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sloppy = tmp_path / "sloppy_rules.pl"
    sloppy.write_text("sd_test_ok(1).\nsd_test_single(X) :- true.\n")
    with caplog.at_level(logging.WARNING, logger="reasoning.prolog"):
        warnings = engine().consult(sloppy)
    assert len(warnings) == 1
    assert warnings[0].startswith(f"{sloppy}:2: ")
    assert "Singleton variables: [X]" in warnings[0]
    assert "Singleton variables" in caplog.text
    assert engine().succeeds("sd_test_single(anything)")


def test_package_rules_load_without_warnings() -> None:
    rules = resources.files("reasoning") / "rules" / "kb.pl"
    with resources.as_file(rules) as path:
        assert consult(path) == []


def test_consult_of_a_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        engine().consult(tmp_path / "absent.pl")


def test_prolog_errors_carry_the_goal() -> None:
    with pytest.raises(PrologError, match=r"instantiation_error[\s\S]*goal: atom_length\(A, B\)"):
        engine().query("atom_length(A, B)")
    with pytest.raises(PrologError, match=r"existence_error[\s\S]*goal: no_such_predicate_x\(1\)"):
        engine().query("no_such_predicate_x(1)")


@pytest.mark.parametrize("text", NASTY)
def test_quoted_atoms_round_trip(text: str) -> None:
    found = engine().once("X = %p, atom_length(X, N), atom(X)", text)
    assert found == {"X": text, "N": len(text)}


def test_injected_name_stays_one_atom_in_asserted_facts() -> None:
    name = "O'Brien'); halt. %"
    prolog = engine()
    prolog.query("dynamic(sd_quote_test:person/2)")
    prolog.query("assertz(sd_quote_test:person(%p, %p))", name, "ok")
    assert prolog.query("sd_quote_test:person(N, S)") == [{"N": name, "S": "ok"}]
    assert prolog.once("sd_quote_test:person(%p, S)", name) == {"S": "ok"}
    assert prolog.succeeds("true")  # the engine is alive; no halt ran


def test_quote_atom_matches_prolog_writeq_for_plain_names() -> None:
    found = engine().once("format(atom(A), '~q', [%p])", "Lithium Carbonate")
    assert found is not None and found["A"] == quote_atom("Lithium Carbonate")


def test_render_checks_placeholders_and_values() -> None:
    assert render("f(%p, %p, %p)", "a b", 3, [1.5, Var("Y")]).text == "f('a b', 3, [1.5,Y])"
    with pytest.raises(ValueError, match="2 `%p` placeholder"):
        render("f(%p, %p)", "only one")
    with pytest.raises(ValueError, match="not a Prolog variable name"):
        Var("x); halt")
    with pytest.raises(ValueError, match="NUL"):
        quote_atom("a\0b")
    with pytest.raises(TypeError, match="booleans"):
        render("f(%p)", True)


_SEQUENCE = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {repo!r})
    {setup}
    from pyswip import Prolog
    try:
        Prolog.assertz("foo(")
    except Exception:
        pass
    try:
        Prolog.consult({bad!r})
    except Exception:
        pass
    print("still alive")
    """
)


def _run_sequence(tmp_path: Path, setup: str) -> subprocess.CompletedProcess[str]:
    bad = tmp_path / "bad.pl"
    bad.write_text("ok(1).\nbad(:- .\n")
    script = _SEQUENCE.format(repo=str(REPO), setup=setup, bad=str(bad))
    return subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def test_failed_assert_then_bad_consult_leaves_the_process_alive(tmp_path: Path) -> None:
    done = _run_sequence(tmp_path, "import reasoning.prolog")
    assert done.returncode == 0, done.stderr
    assert "still alive" in done.stdout


def test_without_the_flag_the_same_sequence_kills_the_process(tmp_path: Path) -> None:
    """Shows the test above can fail: raw pyswip drops into the tracer and exits with 4."""
    done = _run_sequence(tmp_path, "")
    assert done.returncode == 4
    assert "still alive" not in done.stdout


def test_worker_threads_release_their_engines_at_exit() -> None:
    """Without the per-thread release SWI-Prolog warns "Failed to stop Prolog threads"."""
    script = textwrap.dedent(
        f"""
        import sys, threading
        sys.path.insert(0, {str(REPO)!r})
        from reasoning.prolog import engine
        workers = [threading.Thread(target=lambda: engine().once("true")) for _ in range(4)]
        for w in workers: w.start()
        for w in workers: w.join()
        print("done")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "done" in done.stdout
    assert "Failed to stop Prolog threads" not in done.stderr
