"""Wall time and peak memory of one benchmark seed, measured honestly.

Peak memory is the resident-set high-water mark (``VmHWM``), not ``tracemalloc``: torch, FAISS
and SWI-Prolog allocate outside Python's allocator, so tracemalloc misses most of it.

``ru_maxrss`` and ``VmHWM`` are process-wide: with ``--backend local`` and several seeds in
one process (and in a Ray worker that runs several seeds), a later seed would report the
peak of an earlier one. Linux (4.0 and later) can reset the mark: writing ``5`` to
``/proc/self/clear_refs`` sets it to the current RSS (see proc(5), "clear_refs"). A meter
resets it when it starts, so its peak is this seed's, measured from the memory already held
when the seed began (caches kept from earlier seeds included). Where the file cannot be
written, the meter says so and reports the process-wide peak instead.
"""

from __future__ import annotations

import logging
import re
import resource
import time
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

_CLEAR_REFS = Path("/proc/self/clear_refs")
_STATUS = Path("/proc/self/status")

SCOPE_SEED = "seed"
SCOPE_PROCESS = "process"
SCOPE_NOTES = {
    SCOPE_SEED: "this seed only: the high-water mark was reset when it started "
    "(/proc/self/clear_refs), so it counts memory already held then, not earlier peaks",
    SCOPE_PROCESS: "process-wide peak since start: it includes earlier seeds run in this "
    "process (the high-water mark could not be reset here)",
}


def reset_peak_rss() -> bool:
    """Reset this process's RSS high-water mark to its current RSS; False if not possible."""
    try:
        _CLEAR_REFS.write_text("5")
    except OSError as exc:
        logger.debug("cannot reset the RSS high-water mark: %s", exc)
        return False
    return True


def peak_rss_mb() -> float:
    """The RSS high-water mark in MiB (``VmHWM``; ``ru_maxrss`` where /proc is missing)."""
    try:
        found = re.search(r"^VmHWM:\s+(\d+) kB", _STATUS.read_text(), re.MULTILINE)
    except OSError:
        found = None
    kib = int(found.group(1)) if found else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / 1024


@dataclass(frozen=True)
class Usage:
    """What a meter measured: seconds since it started and peak RSS (MiB) with its scope."""

    wall_s: float
    peak_rss_mb: float
    scope: str

    def as_dict(self) -> dict[str, float | str]:
        return {
            "wall_s": round(self.wall_s, 3),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "peak_rss_scope": self.scope,
        }

    def note(self) -> str:
        """One sentence for a benchmark's printed table."""
        return (
            f"Wall time {self.wall_s:.1f} s; peak RSS {self.peak_rss_mb:.0f} MiB "
            f"({SCOPE_NOTES[self.scope]})."
        )


class ResourceMeter:
    """Start the clock and reset the peak RSS; read both with :meth:`usage`."""

    def __init__(self) -> None:
        self.scope = SCOPE_SEED if reset_peak_rss() else SCOPE_PROCESS
        self._start = time.perf_counter()

    def usage(self) -> Usage:
        return Usage(time.perf_counter() - self._start, peak_rss_mb(), self.scope)
