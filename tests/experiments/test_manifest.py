"""The manifest records code, packages, seeds and the exact input bytes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from experiments.manifest import build_manifest, sha256_file, write_json


def test_checksum_matches_hashlib(bc5cdr_train: Path) -> None:
    assert sha256_file(bc5cdr_train) == hashlib.sha256(bc5cdr_train.read_bytes()).hexdigest()


def test_manifest_fields(tmp_path: Path, bc5cdr_dev: Path) -> None:
    manifest = build_manifest({"gold": bc5cdr_dev}, seeds=[3], threads=2)
    assert manifest["seeds"] == [3] and manifest["threads"] == 2
    assert manifest["inputs"]["gold"]["bytes"] == bc5cdr_dev.stat().st_size
    assert len(manifest["git"]["commit"] or "x" * 40) == 40
    assert manifest["packages"]["torch"].startswith("2.13.0")
    write_json(tmp_path / "m.json", manifest)
    assert json.loads((tmp_path / "m.json").read_text())["inputs"]["gold"]["sha256"] == (
        sha256_file(bc5cdr_dev)
    )
