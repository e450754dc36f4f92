"""The LangChain side: the local model as a chat model, and the `langchain` backend type."""

from __future__ import annotations

import pytest
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

from agent.llm import LLMBackend, LLMConfig, chat_model_of, load_backend
from agent.llm.chat import BatchedChatHuggingFace, LangChainBackend, import_chat_model
from agent.llm.local import LocalBackend
from agent.llm.prompting import with_token_limit
from agent.llm.testing import shared_local_backend


@pytest.fixture(scope="module")
def llm(tmp_path_factory: pytest.TempPathFactory) -> LocalBackend:
    return shared_local_backend(tmp_path_factory.getbasetemp() / "llm-cache")


@pytest.mark.slow
def test_chain_over_local_chat_model_matches_backend_generate(llm: LocalBackend) -> None:
    chat = chat_model_of(llm)
    assert isinstance(chat, BatchedChatHuggingFace)
    assert chat_model_of(llm) is chat  # built once
    prompt = ChatPromptTemplate.from_messages([("human", "What does {drug} treat?")])
    chain = prompt | with_token_limit(chat, 6) | StrOutputParser()
    drugs = ["aspirin", "the angiotensin-converting enzyme inhibitor captopril"]
    via_langchain = chain.batch([{"drug": d} for d in drugs])  # one padded batch
    direct = llm.generate([f"What does {d} treat?" for d in drugs], max_new_tokens=6)
    assert via_langchain == direct
    assert chain.invoke({"drug": drugs[0]}) == direct[0]


def test_langchain_backend_generates_through_any_chat_model(llm: LocalBackend) -> None:
    backend = LangChainBackend(llm.chat_model(), max_new_tokens=6)
    assert isinstance(backend, LLMBackend)
    assert backend.generate(["What is aspirin?"], 6) == llm.generate(["What is aspirin?"], 6)
    with pytest.raises(NotImplementedError, match="use the local backend"):
        backend.loglikelihood(["The capital of France is"], [" Paris"])


def test_load_backend_builds_the_configured_chat_model_class() -> None:
    # LangChain's own list-replay chat model stands in for a remote endpoint (no network
    # here); what is tested is the config -> import -> instantiate -> generate plumbing.
    config = LLMConfig(
        backend="langchain",
        chat_model="langchain_core.language_models:FakeListChatModel",
        chat_model_kwargs={"responses": ["first reply", "second reply"]},
    )
    backend = load_backend(config)
    assert isinstance(backend, LangChainBackend)
    assert sorted(backend.generate(["a", "b"])) == ["first reply", "second reply"]


def test_chat_model_spec_errors_say_what_to_fix() -> None:
    with pytest.raises(ImportError, match="cannot import module 'langchain_nowhere'"):
        import_chat_model("langchain_nowhere:Chat", {})
    with pytest.raises(ImportError, match="has no 'ChatNothing'"):
        import_chat_model("langchain_core.language_models:ChatNothing", {})
    with pytest.raises(TypeError, match="not a LangChain BaseChatModel"):
        import_chat_model("pathlib:Path", {})
    with pytest.raises(ValueError, match="`chat_model_kwargs` rejected"):
        import_chat_model("langchain_core.language_models:FakeListChatModel", {"responses": 3})
