"""The local LLM backend on the real SmolLM2-135M-Instruct model (no mocks)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import torch
from pydantic import ValidationError

from agent.llm import LLMBackend, LLMConfig, load_backend
from agent.llm.cache import cache_path, ensure_cached, load_model
from agent.llm.config import default_model_path
from agent.llm.local import LocalBackend
from agent.llm.testing import shared_local_backend


@pytest.fixture(scope="session")
def llm(tmp_path_factory: pytest.TempPathFactory) -> LocalBackend:
    return shared_local_backend(tmp_path_factory.getbasetemp() / "llm-cache")


def test_backend_satisfies_protocol(llm: LocalBackend) -> None:
    assert isinstance(llm, LLMBackend)


def test_generate_is_nonempty_and_deterministic(llm: LocalBackend) -> None:
    prompts = ["Name one drug that treats hypertension.", "What is aspirin?"]
    first = llm.generate(prompts, max_new_tokens=8)
    second = llm.generate(list(reversed(prompts)), max_new_tokens=8)
    assert all(text.strip() for text in first)
    assert first == list(reversed(second))


def test_seeded_sampling_repeats(llm: LocalBackend) -> None:
    config = llm.config.model_copy(update={"temperature": 1.0, "seed": 7})
    sampler = LocalBackend(llm.model, llm.tokenizer, config, llm.model_dir)
    prompts = ["Name one drug that treats hypertension."]
    assert sampler.generate(prompts, max_new_tokens=8) == sampler.generate(prompts, 8)


def test_batched_generation_matches_one_at_a_time(llm: LocalBackend) -> None:
    prompts = ["Is lithium a metal?", "Write one word about the sea, please, in English."]
    batched = llm.generate(prompts, max_new_tokens=6)
    single = [llm.generate([p], max_new_tokens=6)[0] for p in prompts]
    assert batched == single


def test_loglikelihood_prefers_natural_continuation(llm: LocalBackend) -> None:
    scores = llm.loglikelihood(["The capital of France is"] * 2, [" Paris", " banana"])
    assert scores[0] > scores[1] + 5  # measured: about -0.3 vs -17
    assert all(s < 0 for s in scores)


def test_loglikelihood_is_batch_invariant_and_additive(llm: LocalBackend) -> None:
    context, first, second = "Aspirin is used to treat", " pain", " and fever"
    together = llm.loglikelihood(
        [context, "The capital of France is", context], [first, " Paris", first]
    )
    alone = llm.loglikelihood([context], [first])[0]
    assert together[0] == pytest.approx(alone, abs=1e-4)
    assert together[2] == pytest.approx(alone, abs=1e-4)
    # log P(a b | c) = log P(a | c) + log P(b | c a): the chain rule, token by token.
    joint = llm.loglikelihood([context], [first + second])[0]
    rest = llm.loglikelihood([context + first], [second])[0]
    assert joint == pytest.approx(alone + rest, abs=1e-3)


def test_one_token_answers_share_the_context_pass_exactly(llm: LocalBackend) -> None:
    # " Yes" and " No" after one question are scored from one pass over the question; the
    # reference is the model's own full forward pass over question + answer.
    question = llm.format_chat("Is aspirin a drug? Answer yes or no.")
    scores = llm.loglikelihood([question, question], ["Yes", "No"])
    context = llm.tokenizer(question, add_special_tokens=False)["input_ids"]
    for answer, score in zip(["Yes", "No"], scores, strict=True):
        (token,) = llm.tokenizer(answer, add_special_tokens=False)["input_ids"]
        with torch.inference_mode():
            logits = llm.model(torch.tensor([[*context, token]])).logits[0, len(context) - 1]
        assert score == pytest.approx(float(torch.log_softmax(logits, -1)[token]), abs=1e-4)


def test_loglikelihood_rejects_mismatched_and_empty(llm: LocalBackend) -> None:
    with pytest.raises(ValueError, match="2 items but `continuations` has 1"):
        llm.loglikelihood(["a", "b"], ["c"])
    with pytest.raises(ValueError, match="request 0 has an empty continuation"):
        llm.loglikelihood(["a"], [""])


def test_cache_round_trip_gives_identical_logits(
    llm: LocalBackend, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # `llm` was dequantized from the GGUF in memory; this reloads what it wrote to disk.
    folder = cache_path(Path(default_model_path()), tmp_path_factory.getbasetemp() / "llm-cache")
    assert llm.model_dir == folder
    reloaded, tokenizer, _ = load_model(str(folder), folder.parent)
    ids = tokenizer("Lithium carbonate can cause tremor.", return_tensors="pt")["input_ids"]
    with torch.inference_mode():
        expected = llm.model(input_ids=ids).logits
        got = reloaded(input_ids=ids).logits
    torch.testing.assert_close(got, expected, rtol=0, atol=0)


def test_cache_ignores_and_removes_interrupted_write(llm: LocalBackend, tmp_path: Path) -> None:
    source = llm.model_dir
    assert source is not None
    gguf = Path(default_model_path())
    final = cache_path(gguf, tmp_path)
    # A killed writer leaves a half-written temp folder (pid 2**22 + 1 is above pid_max's
    # default, so no live process owns it); the finished cache appears only by rename.
    stray = final.with_name(f"{final.name}.tmp-{2**22 + 1}-deadbeef")
    stray.mkdir(parents=True)
    (stray / "config.json").write_text("{")  # truncated
    assert not final.exists()
    # Pre-seed the finished cache by copy to skip a second 20 s dequantization: the
    # interrupted-write rule is about the stray folder, not about the GGUF conversion.
    shutil.copytree(source, final.with_name("staging"))
    os.rename(final.with_name("staging"), final)
    assert ensure_cached(gguf, tmp_path) == final
    reloaded, _, folder = load_model(str(gguf), tmp_path)
    assert folder == final and reloaded.config.vocab_size == 49152


def test_stray_temp_folder_is_cleaned_before_a_new_write(tmp_path: Path) -> None:
    from agent.llm.cache import _remove_stale_temps

    final = tmp_path / "Model"
    dead = tmp_path / f"Model.tmp-{2**22 + 1}-0000"
    live = tmp_path / f"Model.tmp-{os.getpid()}-0000"
    dead.mkdir()
    live.mkdir()
    _remove_stale_temps(final)
    assert not dead.exists()
    assert live.exists()  # a writer still running keeps its temp folder


def test_incomplete_cache_folder_is_reported(tmp_path: Path) -> None:
    gguf = Path(default_model_path())
    cache_path(gguf, tmp_path).mkdir()
    with pytest.raises(RuntimeError, match=r"lacks config\.json.*Delete that folder"):
        ensure_cached(gguf, tmp_path)


def test_missing_gguf_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist; point `model`"):
        load_backend(LLMConfig(model=str(tmp_path / "nope.gguf"), cache_dir=tmp_path))


def test_config_rejects_unknown_keys_and_bad_class_spec() -> None:
    with pytest.raises(ValidationError, match="max_tokens"):
        LLMConfig.model_validate({"max_tokens": 5})
    with pytest.raises(ValidationError, match="must be 'module:Class'"):
        LLMConfig(backend="langchain", chat_model="langchain_openai.ChatOpenAI")
    with pytest.raises(ValidationError, match="needs `chat_model"):
        LLMConfig(backend="langchain")


def test_cache_dir_follows_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SCIDISCO_CACHE", str(tmp_path))
    assert LLMConfig().cache_dir == tmp_path / "models"
    assert LLMConfig().model.endswith("SmolLM2-135M-Instruct.Q4_1.gguf")
