"""Load a local causal LM, dequantizing a GGUF file once into an on-disk cache.

Dequantizing the shipped GGUF takes about 20 s; reloading the saved float32 model takes
under a second. The cache is written to a temporary sibling folder and renamed into place,
so a process killed mid-write leaves only a stray temp folder, never a half-written model.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
import uuid
from pathlib import Path

from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    GgufConfig,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)

logger = logging.getLogger(__name__)

_TMP_MARK = ".tmp-"
_REQUIRED = ("config.json", "model.safetensors", "tokenizer_config.json")


def cache_path(gguf_file: Path, cache_dir: Path) -> Path:
    """The cache folder for one GGUF file: ``<cache_dir>/<file stem>``."""
    return cache_dir / gguf_file.stem


def load_model(
    model: str, cache_dir: Path
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase, Path]:
    """Load model and tokenizer; return them with the folder they can be reloaded from.

    Args:
        model: a ``.gguf`` file, a saved transformers folder, or a Hugging Face id that is
            already in the local HF cache.
        cache_dir: where dequantized GGUF models are kept.

    Raises:
        FileNotFoundError: the model cannot be found locally; the message says what to set.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    path = Path(model).expanduser()
    if path.suffix == ".gguf":
        if not path.is_file():
            raise FileNotFoundError(
                f"GGUF file {path} (the LLM config's `model`) does not exist; point `model` at "
                "an existing .gguf file or a saved model folder."
            )
        folder = ensure_cached(path, cache_dir)
    elif path.is_dir():
        folder = path
    else:
        folder = Path(model)  # a hub id, resolved from the local HF cache only
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        loaded = AutoModelForCausalLM.from_pretrained(str(folder), local_files_only=True)
    except OSError as exc:
        raise FileNotFoundError(
            f"cannot load model {model!r} offline: {exc}. Set `model` in the LLM config to a "
            ".gguf file or a folder saved with save_pretrained (the hub is never contacted)."
        ) from exc
    loaded.eval()
    return loaded, tokenizer, folder


def ensure_cached(gguf_file: Path, cache_dir: Path) -> Path:
    """Return the cache folder for ``gguf_file``, dequantizing and saving it first if needed."""
    final = cache_path(gguf_file, cache_dir)
    if final.is_dir():
        missing = [name for name in _REQUIRED if not (final / name).exists()]
        if not missing:
            return final
        raise RuntimeError(
            f"model cache {final} lacks {', '.join(missing)}; it was not written by scidisco. "
            "Delete that folder and it will be rebuilt from the GGUF file."
        )
    cache_dir.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(final)

    start = time.perf_counter()
    tokenizer = AutoTokenizer.from_pretrained(str(gguf_file.parent), gguf_file=gguf_file.name)
    # dequantize=True gives plain float32 weights; the quantized form can be neither saved
    # nor trained.
    model = AutoModelForCausalLM.from_pretrained(
        str(gguf_file.parent),
        gguf_file=gguf_file.name,
        quantization_config=GgufConfig(dequantize=True),
    )
    logger.info("dequantized %s in %.1f s", gguf_file.name, time.perf_counter() - start)

    tmp = final.with_name(f"{final.name}{_TMP_MARK}{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        os.rename(tmp, final)  # atomic on one filesystem
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        if not final.is_dir():  # another process may have won the race; that is fine
            raise
    logger.info("cached dequantized model at %s", final)
    return final


def _remove_stale_temps(final: Path) -> None:
    """Delete temp folders left by processes that died mid-write (their pid is gone)."""
    for stray in final.parent.glob(f"{final.name}{_TMP_MARK}*"):
        pid_text = stray.name.rsplit(_TMP_MARK, 1)[1].split("-", 1)[0]
        if pid_text.isdigit() and _alive(int(pid_text)):
            continue
        logger.warning("removing incomplete model cache %s left by a killed process", stray)
        shutil.rmtree(stray, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0 only checks that the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by another user
    return True
