"""Language models for scidisco: one `LLMBackend` protocol, a local and a LangChain backend.

from agent.llm import LLMConfig, load_backend
llm = load_backend(LLMConfig())               # SmolLM2-135M-Instruct, cached float32
llm.generate(["Name one drug that treats hypertension."], max_new_tokens=16)
llm.loglikelihood(["The capital of France is"], [" Paris"])
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from langchain_core.language_models import BaseChatModel

from agent.llm.config import LLMConfig


@runtime_checkable
class LLMBackend(Protocol):
    """What the agent needs from a language model."""

    def generate(self, prompts: list[str], max_new_tokens: int = 64) -> list[str]:
        """One reply per prompt, in order."""
        ...

    def loglikelihood(self, contexts: list[str], continuations: list[str]) -> list[float]:
        """Summed natural-log probability of each continuation given its context.

        Raises:
            NotImplementedError: the backend cannot score text (e.g. a chat endpoint).
        """
        ...


def load_backend(config: LLMConfig) -> LLMBackend:
    """Build the backend the config names (``local`` or ``langchain``)."""
    if config.backend == "langchain":
        from agent.llm.chat import LangChainBackend, import_chat_model

        assert config.chat_model is not None  # enforced by LLMConfig's validator
        chat = import_chat_model(config.chat_model, config.chat_model_kwargs)
        return LangChainBackend(chat, config.max_new_tokens)
    from agent.llm.local import LocalBackend

    return LocalBackend.load(config)


def chat_model_of(llm: LLMBackend) -> BaseChatModel:
    """The LangChain chat model behind a backend, for prompt-template chains.

    Raises:
        TypeError: the backend offers no chat model; the message names its type.
    """
    getter = getattr(llm, "chat_model", None)
    if getter is None:
        raise TypeError(
            f"{type(llm).__name__} has no `chat_model()`; use a backend from agent.llm.load_backend"
        )
    chat = getter()
    if not isinstance(chat, BaseChatModel):
        raise TypeError(f"{type(llm).__name__}.chat_model() returned {type(chat).__name__}")
    return chat


__all__ = ["LLMBackend", "LLMConfig", "chat_model_of", "load_backend"]
