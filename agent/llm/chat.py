"""LangChain side: the local model as a chat model, and any LangChain chat model as a backend."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.runnables import Runnable, RunnableConfig
from langchain_huggingface import ChatHuggingFace, HuggingFacePipeline
from transformers import pipeline

if TYPE_CHECKING:
    from agent.llm.local import LocalBackend


class BatchedChatHuggingFace(ChatHuggingFace):
    """ChatHuggingFace whose ``batch`` sends all prompts to the pipeline at once.

    The stock class answers ``batch`` one prompt per thread; on a CPU the model is much
    faster on one padded batch, and LCEL chains call ``batch`` step by step, so a chain
    ``prompt | model | parser`` batched over many inputs reaches the model as one call.
    """

    num_threads: int | None = None
    """torch CPU threads during a call (see `LLMConfig.num_threads`)."""

    def batch(
        self,
        inputs: list[LanguageModelInput],
        config: RunnableConfig | list[RunnableConfig] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> list[AIMessage]:
        prompts = [self._to_chat_prompt(self._convert_input(i).to_messages()) for i in inputs]
        if not prompts:
            return []
        from agent.llm.local import batches, torch_threads

        size = max(1, getattr(self.llm, "batch_size", len(prompts)))
        replies: list[AIMessage] = []
        with torch_threads(self.num_threads):
            for chunk in batches(list(range(len(prompts))), size, "LLM chat"):
                result = self.llm.generate([prompts[i] for i in chunk], **kwargs)
                replies += [AIMessage(content=g[0].text.strip()) for g in result.generations]
        return replies


def local_chat_model(backend: LocalBackend) -> BatchedChatHuggingFace:
    """Wrap the already-loaded local model; nothing is fetched from the hub."""
    config = backend.config
    tokenizer: Any = backend.tokenizer  # pipeline's stub lists concrete tokenizer classes
    sampling = config.temperature > 0
    generator = pipeline(
        "text-generation",
        model=backend.model,
        tokenizer=tokenizer,
        batch_size=config.batch_size,
        max_new_tokens=config.max_new_tokens,
        do_sample=sampling,
        temperature=config.temperature if sampling else None,
        top_p=None,
        top_k=None,
        return_full_text=False,
        pad_token_id=backend.tokenizer.pad_token_id,
    )
    name = str(backend.model_dir or config.model)
    llm = HuggingFacePipeline(pipeline=generator, model_id=name, batch_size=config.batch_size)
    return BatchedChatHuggingFace(
        llm=llm, tokenizer=backend.tokenizer, model_id=name, num_threads=config.num_threads
    )


def import_chat_model(spec: str, kwargs: dict[str, Any]) -> BaseChatModel:
    """Instantiate ``module:Class`` with ``kwargs``; errors say which part was wrong."""
    module_name, _, class_name = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ImportError(
            f"`chat_model` {spec!r}: cannot import module {module_name!r} ({exc}); install the "
            "package that provides it (e.g. `pip install langchain-openai==<version>`)."
        ) from exc
    cls = getattr(module, class_name, None)
    if cls is None:
        raise ImportError(f"`chat_model` {spec!r}: module {module_name!r} has no {class_name!r}")
    if not (isinstance(cls, type) and issubclass(cls, BaseChatModel)):
        raise TypeError(f"`chat_model` {spec!r} is not a LangChain BaseChatModel subclass")
    try:
        return cls(**kwargs)
    except Exception as exc:  # the class validates its own kwargs; say which config field
        raise ValueError(f"`chat_model_kwargs` rejected by {spec}: {exc}") from exc


def with_token_limit(chat: BaseChatModel, max_new_tokens: int) -> Runnable[Any, Any]:
    """Cap generated tokens where the model takes a per-call limit.

    The local pipeline takes ``max_new_tokens`` per call; endpoint models name and set their
    limit in `chat_model_kwargs` instead (``max_tokens`` for OpenAI-compatible ones).
    """
    if isinstance(chat, BatchedChatHuggingFace):
        return chat.bind(pipeline_kwargs={"max_new_tokens": max_new_tokens})
    return chat


class LangChainBackend:
    """Any LangChain chat model as an `LLMBackend`: generation only.

    ``loglikelihood`` raises NotImplementedError: chat endpoints generally do not return
    log-probabilities of a given continuation, and callers fall back (see
    `agent.plausibility`).
    """

    def __init__(self, chat: BaseChatModel, max_new_tokens: int = 64) -> None:
        self.chat = chat
        self.max_new_tokens = max_new_tokens

    def generate(self, prompts: list[str], max_new_tokens: int | None = None) -> list[str]:
        """Send each prompt as one user message; returns the reply texts in order.

        ``max_new_tokens`` reaches the local chat model; endpoint models take their limit
        from `chat_model_kwargs` (e.g. ``max_tokens``), since the name differs by provider.
        """
        model = with_token_limit(self.chat, max_new_tokens or self.max_new_tokens)
        replies = model.batch([[HumanMessage(content=p)] for p in prompts])
        return [message_text(reply) for reply in replies]

    def loglikelihood(self, contexts: list[str], continuations: list[str]) -> list[float]:
        raise NotImplementedError(
            f"{type(self.chat).__name__} through the langchain backend cannot score "
            "continuations (chat endpoints do not return their log-probabilities); use the "
            "local backend for log-likelihood scores"
        )

    def chat_model(self) -> BaseChatModel:
        """The wrapped chat model, for LangChain chains."""
        return self.chat


def message_text(message: BaseMessage) -> str:
    """A chat reply's text, whether its content is a string or a list of parts."""
    content = message.content
    if isinstance(content, str):
        return content.strip()
    parts = [p if isinstance(p, str) else str(p.get("text", "")) for p in content]
    return "".join(parts).strip()
