"""One process-wide SWI-Prolog engine behind a lock, with safe term building.

pyswip drives a single embedded SWI-Prolog. Three hazards, all reproduced on this project's
machine with pyswip 0.3.3 and SWI-Prolog 9.0.4, shape this module:

1. pyswip tracks "a query is open" in one class attribute, so queries from two threads at
   once raise ``NestedQueryError``. Every call here takes one process-wide re-entrant lock and
   drains the query before releasing it.
2. ``consult`` prints syntax errors to stderr and loads the rest of the file. :meth:`consult`
   loads through a message hook (``rules/loader.pl``), raises :class:`PrologSyntaxError`
   naming the file and line, and unloads the file again; warnings are returned and logged.
3. After some errors (a failed ``assertz`` and then a bad file) SWI-Prolog enters its
   interactive tracer, reads EOF from stdin and the whole Python process exits with status 4.
   Importing this module sets the ``debug_on_error`` flag to false before anything else runs.

Values never get pasted into goal text: :func:`render` replaces ``%p`` placeholders with
properly quoted atoms (:func:`quote_atom`), numbers or lists, so a name such as
``O'Brien'); halt. %`` stays one atom.
"""

from __future__ import annotations

import functools
import logging
import math
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from pyswip import Prolog
from pyswip.prolog import PrologError as PyswipError

logger = logging.getLogger(__name__)

# Importing pyswip started Prolog's main engine in this (normally the main) thread; every
# other thread gets, and through _ThreadEngine gives back, an engine of its own.
_HOME = threading.get_ident()
# Hazard 3, closed as soon as Prolog exists (see PrologEngine.__init__ for the why).
list(Prolog.query("set_prolog_flag(debug_on_error, false)"))
_LOCK = threading.RLock()
_VARIABLE = re.compile(r"^[A-Z_][A-Za-z0-9_]*$")
_FUNCTOR = re.compile(r"^[a-z][A-Za-z0-9_]*$")
_PLACEHOLDER = "%p"
# Atoms per assertz batch: one query of 5,000 facts parses in about 10 ms.
_BATCH = 5000


class PrologError(RuntimeError):
    """A Prolog goal raised an error; ``goal`` is the goal text, ``detail`` Prolog's error."""

    def __init__(self, goal: str, detail: str) -> None:
        shown = goal if len(goal) <= 300 else goal[:300] + f"... ({len(goal)} characters)"
        super().__init__(f"Prolog goal failed with an error: {detail}\n  goal: {shown}")
        self.goal = goal
        self.detail = detail


class PrologSyntaxError(PrologError):
    """A consulted file has a syntax (or other load) error at ``path``:``line``."""

    def __init__(self, path: str, line: int, column: int, message: str, others: int = 0) -> None:
        more = f" (and {others} more error(s) in the file)" if others else ""
        RuntimeError.__init__(
            self,
            f"{path}:{line}:{column}: {message}{more}. Fix the clause at that line; nothing "
            "after a syntax error is trustworthy, so the file was unloaded.",
        )
        self.goal = f"consult({path!r})"
        self.detail = message
        self.path, self.line, self.column = path, line, column


@dataclass(frozen=True)
class Var:
    """A Prolog variable in a rendered goal, e.g. ``Var("Proof")``."""

    name: str

    def __post_init__(self) -> None:
        if not _VARIABLE.match(self.name):
            raise ValueError(f"`Var` name {self.name!r} is not a Prolog variable name")


@dataclass(frozen=True)
class Term:
    """Goal text already built by :func:`render`; embedded as it is."""

    text: str


def quote_atom(text: str) -> str:
    """Return ``text`` as a quoted Prolog atom that reads back as exactly ``text``.

    Raises:
        ValueError: ``text`` contains a NUL character, which C strings cannot carry.
    """
    if "\0" in text:
        raise ValueError(f"cannot pass {text!r} to Prolog: it contains a NUL character")
    if text.isprintable() and "\\" not in text and "'" not in text:
        return f"'{text}'"  # the common case, checked in C: nothing to escape
    out = ["'"]
    for char in text:
        if char in "\\'":
            out.append("\\" + char)
        elif char.isprintable():
            out.append(char)
        else:
            # ISO escape \xHEX\ covers newlines, tabs and every other control character.
            out.append(f"\\x{ord(char):x}\\")
    out.append("'")
    return "".join(out)


@functools.lru_cache(maxsize=1 << 17)
def _quote_cached(text: str) -> str:
    return quote_atom(text)


def compound(name: str, *atoms: str) -> Term:
    """``name('a1', 'a2', ...)`` from strings quoted as atoms: the fast path for bulk facts.

    Raises:
        ValueError: ``name`` is not a plain lower-case Prolog atom.
    """
    if not _FUNCTOR.match(name):
        raise ValueError(f"`name` {name!r} is not a plain Prolog atom (like `fact`)")
    return Term(f"{name}({','.join(_quote_cached(a) for a in atoms)})")


def to_prolog(value: object) -> str:
    """Render a Python value as Prolog text: str -> quoted atom, numbers, lists, Var, Term."""
    if isinstance(value, Term):
        return value.text
    if isinstance(value, Var):
        return value.name
    if isinstance(value, str):
        return quote_atom(value)
    if isinstance(value, bool):
        raise TypeError("booleans have no Prolog counterpart; pass the atom 'true' or 'false'")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot pass the float {value!r} to Prolog")
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ",".join(to_prolog(v) for v in value) + "]"
    raise TypeError(f"cannot pass a {type(value).__name__} to Prolog: {value!r}")


def render(template: str, *args: object) -> Term:
    """Fill each ``%p`` in ``template`` with the next argument rendered by :func:`to_prolog`."""
    pieces = template.split(_PLACEHOLDER)
    if len(pieces) - 1 != len(args):
        raise ValueError(
            f"template {template!r} has {len(pieces) - 1} `%p` placeholder(s) but "
            f"{len(args)} argument(s) were given"
        )
    out = [pieces[0]]
    for arg, piece in zip(args, pieces[1:], strict=True):
        out.append(to_prolog(arg))
        out.append(piece)
    return Term("".join(out))


class PrologEngine:
    """The embedded SWI-Prolog, serialised by one lock. Get it with :func:`engine`."""

    def __init__(self) -> None:
        self._prolog = Prolog
        # Hazard 3: without this, an error can drop SWI-Prolog into its tracer, which reads
        # EOF from stdin and exits the Python process with status 4.
        self._run("set_prolog_flag(debug_on_error, false)")
        self._loaded: set[Path] = set()
        loader = resources.files("reasoning") / "rules" / "loader.pl"
        with resources.as_file(loader) as path:
            self._run(render("load_files(%p, [if(true)])", str(path)).text)
        if not self.succeeds("current_predicate(sd_loader:sd_load/3)"):
            raise PrologError(f"load_files({str(loader)!r})", "the loader helper did not load")

    def _run(self, goal: str, limit: int = -1) -> list[dict[str, Any]]:
        if threading.get_ident() != _HOME and not hasattr(_THREADS, "engine"):
            _THREADS.engine = _ThreadEngine()
        with _LOCK:
            try:
                return list(self._prolog.query(goal, maxresult=limit, catcherrors=True))
            except PyswipError as exc:
                detail = str(exc)
                marker = "Returned: '"
                if marker in detail:
                    detail = detail.split(marker, 1)[1].rstrip("'.")
                raise PrologError(goal, detail) from exc

    def query(self, goal: str | Term, *args: object, limit: int = -1) -> list[dict[str, Any]]:
        """All solutions (up to ``limit``) of a goal as dicts of variable bindings.

        Args:
            goal: goal text, with ``%p`` placeholders when ``args`` are given.
            *args: values for the placeholders, rendered safely by :func:`to_prolog`.
            limit: the most solutions to collect; -1 for all.

        Raises:
            PrologError: the goal raised a Prolog error; the message holds the goal.
        """
        text = goal.text if isinstance(goal, Term) else goal
        if args:
            text = render(text, *args).text
        return self._run(text, limit)

    def once(self, goal: str | Term, *args: object) -> dict[str, Any] | None:
        """The first solution of a goal, or None when it fails."""
        solutions = self.query(goal, *args, limit=1)
        return solutions[0] if solutions else None

    def succeeds(self, goal: str | Term, *args: object) -> bool:
        return self.once(goal, *args) is not None

    def consult(self, path: str | Path, *, reload: bool = True) -> list[str]:
        """Load a Prolog source file, raising on the first error instead of printing it.

        Returns:
            The load's warnings (singleton variables, discontiguous clauses, ...) as
            ``file:line: text``; each is also logged at warning level.

        Raises:
            FileNotFoundError: ``path`` does not exist.
            PrologSyntaxError: the file has a syntax or load error; names file and line.
        """
        resolved = Path(path).expanduser().resolve()
        if not resolved.is_file():
            raise FileNotFoundError(f"Prolog file {resolved} does not exist")
        with _LOCK:
            if resolved in self._loaded and not reload:
                return []
            found = self.once("sd_loader:sd_load(user:%p, Errors, Warnings)", str(resolved))
            errors = found["Errors"] if found else []
            if errors:
                file, line, column, text = _parse_error(errors[0], resolved)
                raise PrologSyntaxError(file, line, column, text, others=len(errors) - 1)
            self._loaded.add(resolved)
        warnings = []
        for warning in found["Warnings"] if found else []:
            file, line, _, text = _parse_error(warning, resolved)
            warnings.append(f"{file}:{line}: {text}")
            logger.warning("loading %s: %s", resolved.name, warnings[-1])
        logger.debug("consulted %s", resolved)
        return warnings

    def assert_all(self, module: str, clauses: Iterable[Term]) -> int:
        """``assertz`` every clause into ``module`` in batches; returns how many were added."""
        count = 0
        batch: list[str] = []
        for clause in clauses:
            batch.append(clause.text)
            if len(batch) >= _BATCH:
                count += self._assert_batch(module, batch)
                batch = []
        if batch:
            count += self._assert_batch(module, batch)
        return count

    def _assert_batch(self, module: str, batch: Sequence[str]) -> int:
        goal = f"forall(member(C, [{','.join(batch)}]), assertz({quote_atom(module)}:C))"
        self._run(goal)
        return len(batch)


def _parse_error(error: Any, default_path: Path) -> tuple[str, int, int, str]:
    """Unpack one ``[File, Line, Column, Text]`` list from ``sd_loader:sd_load/3``."""
    file, line, column, text = error
    return str(file) or str(default_path), int(line), int(column), str(text).strip()


class _ThreadEngine:
    """Held in thread-local storage by threads that queried Prolog; releases their engine.

    pyswip attaches a Prolog engine to each new thread and never frees it, so SWI-Prolog warns
    "Failed to stop Prolog threads" at exit. Thread-local values die with their thread, in
    that thread, which is where SWI-Prolog wants ``PL_thread_destroy_engine`` called.
    """

    def __del__(self) -> None:
        from pyswip import core

        with _LOCK:
            core._lib.PL_thread_destroy_engine()


_THREADS = threading.local()
_ENGINE: PrologEngine | None = None


def consult(path: str | Path) -> list[str]:
    """:meth:`PrologEngine.consult` on the process-wide engine."""
    return engine().consult(path)


def engine() -> PrologEngine:
    """The process-wide engine, created (and hardened) on first use."""
    global _ENGINE
    with _LOCK:
        if _ENGINE is None:
            _ENGINE = PrologEngine()
        return _ENGINE
