"""The local backend: a transformers causal LM in this process, batched and deterministic."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import torch
from tqdm.auto import tqdm
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from agent.llm.cache import load_model
from agent.llm.config import LLMConfig

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

logger = logging.getLogger(__name__)


def batches(items: list[int], size: int, desc: str) -> Iterator[list[int]]:
    """Consecutive slices of ``items`` of at most ``size``, with a progress bar when there are
    several (``TQDM_DISABLE=1`` hides it, as `scidisco run --quiet` does)."""
    starts = range(0, len(items), size)
    # `disable` only when it must be: an explicit value would override TQDM_DISABLE.
    hide = {"disable": True} if len(starts) < 2 else {}
    for begin in tqdm(starts, desc=desc, unit="batch", leave=False, **hide):
        yield items[begin : begin + size]


class LocalBackend:
    """Greedy (or seeded sampling) generation and log-likelihood scoring with a local model.

    Prompts are wrapped in the model's chat template as one user turn; batches are
    left-padded for generation and right-padded for scoring. ``stats`` accumulates
    generated tokens and seconds so callers can report throughput.
    """

    def __init__(
        self,
        model: PreTrainedModel,
        tokenizer: PreTrainedTokenizerBase,
        config: LLMConfig,
        model_dir: Path | None = None,
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.config = config
        self.model_dir = model_dir
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token
        tokenizer.padding_side = "left"  # decoder-only generation continues from the right end
        self.stats: dict[str, float] = {"generated_tokens": 0, "generate_seconds": 0.0}
        self._chat: BaseChatModel | None = None

    @classmethod
    def load(cls, config: LLMConfig) -> LocalBackend:
        """Load the configured model (through the GGUF cache) and its LoRA adapter if any."""
        start = time.perf_counter()
        with torch_threads(config.num_threads):
            model, tokenizer, folder = load_model(config.model, config.cache_dir)
        if config.adapter is not None:
            model = _apply_adapter(model, config.adapter)
        logger.info("loaded %s in %.1f s", folder, time.perf_counter() - start)
        return cls(model, tokenizer, config, folder)

    def format_chat(self, prompt: str) -> str:
        """Wrap ``prompt`` as one user turn in the chat template, ready for the reply."""
        messages = [{"role": "user", "content": prompt}]
        text = self.tokenizer.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=True
        )
        return str(text)

    def generate(self, prompts: list[str], max_new_tokens: int | None = None) -> list[str]:
        """Answer each prompt (as a chat user turn); returns the reply texts in order."""
        limit = max_new_tokens or self.config.max_new_tokens
        texts = [self.format_chat(p) for p in prompts]
        replies: list[str] = [""] * len(texts)
        # Batching prompts of similar length wastes fewer padded positions.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for chunk in batches(order, self.config.batch_size, "LLM generate"):
            for index, reply in zip(
                chunk, self._generate_batch([texts[i] for i in chunk], limit), strict=True
            ):
                replies[index] = reply
        return replies

    def _generate_batch(self, texts: list[str], limit: int) -> list[str]:
        encoded = self.tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False)
        sampling = self.config.temperature > 0
        if sampling:  # reseed per call so a call's samples do not depend on earlier calls
            torch.manual_seed(self.config.seed)
        start = time.perf_counter()
        with torch_threads(self.config.num_threads), torch.inference_mode():
            # torch's Module.__getattr__ stub hides GenerationMixin.generate from mypy.
            output = self.model.generate(  # type: ignore[operator]
                **encoded,
                max_new_tokens=limit,
                do_sample=sampling,
                temperature=self.config.temperature if sampling else None,
                top_p=None,
                top_k=None,
                pad_token_id=self.tokenizer.pad_token_id,
            )
        new_tokens = output[:, encoded["input_ids"].shape[1] :]
        self.stats["generate_seconds"] += time.perf_counter() - start
        self.stats["generated_tokens"] += int((new_tokens != self.tokenizer.pad_token_id).sum())
        decoded = self.tokenizer.batch_decode(new_tokens, skip_special_tokens=True)
        return [text.strip() for text in decoded]

    def loglikelihood(self, contexts: list[str], continuations: list[str]) -> list[float]:
        """Summed log-probability (natural log) of each continuation's tokens given its context.

        Context and continuation are tokenized separately and joined, so the continuation's
        tokens are exactly those of the continuation text (write a leading space into the
        continuation, as in ``" Paris"``). No chat template is applied; use `format_chat`
        on the context for instruction-style questions.

        Raises:
            ValueError: the lists differ in length, or a context or continuation is empty.
        """
        if len(contexts) != len(continuations):
            raise ValueError(
                f"`contexts` has {len(contexts)} items but `continuations` has "
                f"{len(continuations)}; pass one continuation per context"
            )
        pairs = [
            self._encode_pair(c, x, i)
            for i, (c, x) in enumerate(zip(contexts, continuations, strict=True))
        ]
        # One forward pass per distinct token row. A causal model's prediction at the last
        # context position does not depend on what follows, so requests with equal contexts
        # and one-token continuations (" Yes" and " No" after the same question) share a pass
        # over the context alone.
        rows: dict[tuple[int, ...], list[int]] = {}
        for index, (ctx, cont) in enumerate(pairs):
            rows.setdefault(tuple(ctx) if len(cont) == 1 else tuple(ctx + cont), []).append(index)
        keys = sorted(rows, key=len, reverse=True)  # similar lengths batch with less padding
        scores = [0.0] * len(pairs)
        for chunk in batches(list(range(len(keys))), self.config.batch_size, "LLM score"):
            requests = [[(i, *pairs[i]) for i in rows[keys[j]]] for j in chunk]
            for index, score in self._score_batch([list(keys[j]) for j in chunk], requests):
                scores[index] = score
        return scores

    def _encode_pair(
        self, context: str, continuation: str, index: int
    ) -> tuple[list[int], list[int]]:
        ctx = self.tokenizer(context, add_special_tokens=False)["input_ids"]
        cont = self.tokenizer(continuation, add_special_tokens=False)["input_ids"]
        if not ctx or not cont:
            which = "context" if not ctx else "continuation"
            raise ValueError(
                f"loglikelihood request {index} has an empty {which}; both must contain text"
            )
        return list(ctx), list(cont)

    def _score_batch(
        self, rows: list[list[int]], requests: list[list[tuple[int, list[int], list[int]]]]
    ) -> list[tuple[int, float]]:
        """Score the ``(index, context, continuation)`` requests of each token row in one pass."""
        width = max(len(tokens) for tokens in rows)
        pad = int(self.tokenizer.pad_token_id or 0)
        ids = torch.full((len(rows), width), pad, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for row, tokens in enumerate(rows):  # right padding: positions start at 0
            ids[row, : len(tokens)] = torch.tensor(tokens)
            mask[row, : len(tokens)] = 1
        scores = []
        with torch_threads(self.config.num_threads), torch.inference_mode():
            # Project only the continuation positions onto the vocabulary: the full logits
            # tensor (batch x length x 49k vocabulary) would take hundreds of MB.
            hidden = self.model.get_decoder()(input_ids=ids, attention_mask=mask)[0]
            head = self.model.get_output_embeddings()
            for row, row_requests in enumerate(requests):
                for index, ctx, cont in row_requests:
                    # Token t is predicted by the hidden state at position t - 1.
                    positions = slice(len(ctx) - 1, len(ctx) + len(cont) - 1)
                    logprobs = torch.log_softmax(head(hidden[row, positions]).float(), dim=-1)
                    target = torch.tensor(cont).unsqueeze(1)
                    scores.append((index, float(logprobs.gather(1, target).sum())))
        return scores

    def chat_model(self) -> BaseChatModel:
        """This model as a LangChain chat model (built once; see `agent.llm.chat`)."""
        if self._chat is None:
            from agent.llm.chat import local_chat_model

            self._chat = local_chat_model(self)
        return self._chat


@contextmanager
def torch_threads(count: int | None) -> Iterator[None]:
    """Run the block with ``count`` torch CPU threads (None: leave as is), then restore."""
    if count is None:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _apply_adapter(model: PreTrainedModel, adapter: Path) -> PreTrainedModel:
    from peft import PeftModel

    if not (adapter / "adapter_config.json").is_file():
        raise FileNotFoundError(
            f"LoRA adapter folder {adapter} (the LLM config's `adapter`) has no "
            "adapter_config.json; point it at a folder written by `scidisco finetune`."
        )
    peft_model = PeftModel.from_pretrained(model, str(adapter))
    merged = peft_model.merge_and_unload()  # plain model again: faster, same outputs
    merged.eval()
    return merged
