"""Which data files a task really read, to check that its manifest lists every input.

A task lists its inputs in ``TaskOutput.inputs`` and the manifest records their checksums.
A forgotten input (say the MeSH tables a benchmark loads through `retrieval.mesh`) leaves a
run that cannot be verified. :func:`record_reads` watches every file the process opens for
reading under the data directory, through Python's ``open`` audit event (PEP 578; raised by
``open``, ``io.open``, ``Path.open``/``read_text``, ``os.open`` and ``numpy.load``), so the
runner and the tests can compare what was read with what was listed.

Reads done by C code that bypasses Python's ``open`` (none of our readers) are not seen.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_lock = threading.Lock()
# (root prefixes ending in os.sep: as given and with links resolved, paths read)
_active: list[tuple[tuple[str, ...], set[str]]] = []
_installed = False


def _is_read(mode: Any, flags: Any) -> bool:
    if isinstance(mode, str):
        return not any(c in mode for c in "wax+")
    if isinstance(flags, int):
        return flags & os.O_ACCMODE == os.O_RDONLY
    return True


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if event != "open" or not _active:
        return
    path, mode, flags = (*args, None, None)[:3]
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if not isinstance(path, str) or not _is_read(mode, flags):
        return
    full = os.path.abspath(path)
    real: str | None = None
    with _lock:
        for prefixes, found in _active:
            if full.startswith(prefixes):
                found.add(full)
                continue
            if real is None:
                real = os.path.realpath(full)
            if real.startswith(prefixes):
                found.add(real)


@contextmanager
def record_reads(root: str | os.PathLike[str]) -> Iterator[set[str]]:
    """Collect the absolute paths of files under ``root`` opened for reading in the block.

    A file counts whether it is opened through ``root`` as given, through ``root`` with links
    resolved, or through a link into it (``../shared`` may be a symbolic link, and a reader
    may or may not resolve the paths it opens).

    The audit hook is installed once per process (hooks cannot be removed) and does nothing
    while no recorder is active.
    """
    global _installed
    with _lock:
        if not _installed:
            sys.addaudithook(_hook)
            _installed = True
        given = os.path.abspath(os.fspath(root))
        prefixes = tuple(
            dict.fromkeys(os.path.join(p, "") for p in (given, os.path.realpath(given)))
        )
        entry = (prefixes, set[str]())
        _active.append(entry)
    try:
        yield entry[1]
    finally:
        with _lock:
            _active.remove(entry)


def unlisted(reads: Iterable[str], inputs: Mapping[str, Path]) -> list[Path]:
    """Files that were read but are not among ``inputs`` (compared after resolving links)."""
    listed = {Path(p).resolve() for p in inputs.values()}
    return sorted({Path(p).resolve() for p in reads} - listed)


def mesh_inputs(data_dir: str | os.PathLike[str] | None = None) -> dict[str, Path]:
    """The two MeSH tables `retrieval.mesh.MeshVocabulary.load` reads, keyed by role."""
    from retrieval.datadir import resolve
    from retrieval.mesh import TERMS, TREE_NUMBERS

    return {
        "mesh_terms": resolve(TERMS, data_dir),
        "mesh_tree_numbers": resolve(TREE_NUMBERS, data_dir),
    }
