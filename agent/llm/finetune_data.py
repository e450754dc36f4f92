"""Training examples for `agent.finetune`: relation statements after their abstracts."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch

from agent.llm.prompting import relation_phrase, truncate_tokens
from agent.relations import map_relation
from agent.types import EntityType
from retrieval.datadir import resolve
from retrieval.pubtator import Document, read_pubtator

if TYPE_CHECKING:
    from agent.finetune import FinetuneConfig

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Example:
    """Token ids of a context and of the statement that follows it (the part with loss)."""

    pmid: str
    context: list[int]
    target: list[int]


def statements(doc: Document) -> list[str]:
    """The document's relations as sentences, named by their first surface in the text."""
    surface: dict[str, str] = {}
    kind: dict[str, EntityType] = {}
    for mention in doc.mentions:
        for entity_id in mention.ids:
            surface.setdefault(entity_id, mention.text)
            kind.setdefault(entity_id, mention.entity_type)
    sentences = []
    for rel in doc.relations:
        if rel.id1 not in surface or rel.id2 not in surface:
            continue  # a relation whose entity is never mentioned by that id: no name to use
        relation, label = map_relation(rel.type, kind[rel.id1], kind[rel.id2])
        if label:
            sentences.append(
                f"{surface[rel.id1]} {relation_phrase(relation.value)} {surface[rel.id2]}."
            )
    return sentences


def build_examples(config: FinetuneConfig, tokenizer: Any) -> tuple[list[Example], list[Example]]:
    """Tokenized (train, eval) examples; eval holds out whole documents after a seeded shuffle.

    Raises:
        ValueError: the data yield too few documents with relations to split.
    """
    docs = [d for path in config.data for d in read_pubtator(resolve(path, config.data_dir))]
    docs = docs[: config.max_documents] if config.max_documents else docs
    docs = [d for d in docs if statements(d)]
    if len(docs) <= config.eval_documents:
        raise ValueError(
            f"only {len(docs)} documents with relations in {config.data} (max_documents="
            f"{config.max_documents}); need more than eval_documents={config.eval_documents}"
        )
    random.Random(config.seed).shuffle(docs)
    held_out, train = docs[: config.eval_documents], docs[config.eval_documents :]
    return _encode(train, config, tokenizer), _encode(held_out, config, tokenizer)


def _encode(docs: list[Document], config: FinetuneConfig, tokenizer: Any) -> list[Example]:
    examples = []
    for doc in docs:
        abstract = truncate_tokens(doc.text, config.context_tokens, tokenizer)
        # The layout `agent.plausibility` scores, so training moves those scores.
        prefix = f"Abstracts:\n[PMID {doc.pmid}] {abstract}\n\nIn summary,"
        context = tokenizer(prefix, add_special_tokens=False)["input_ids"]
        for sentence in statements(doc):
            target = tokenizer(f" {sentence}", add_special_tokens=False)["input_ids"]
            examples.append(Example(doc.pmid, list(context), list(target)))
    return examples


class StatementCollator:
    """Pads a batch to its own longest example; loss only on statement tokens."""

    def __init__(self, pad_token_id: int) -> None:
        self.pad_token_id = pad_token_id

    def __call__(self, examples: list[Example]) -> dict[str, torch.Tensor]:
        width = max(len(e.context) + len(e.target) for e in examples)
        ids = torch.full((len(examples), width), self.pad_token_id, dtype=torch.long)
        labels = torch.full((len(examples), width), -100, dtype=torch.long)
        mask = torch.zeros((len(examples), width), dtype=torch.long)
        for row, e in enumerate(examples):
            n, m = len(e.context), len(e.target)
            ids[row, : n + m] = torch.tensor(e.context + e.target)
            labels[row, n : n + m] = torch.tensor(e.target)
            mask[row, : n + m] = 1
        return {"input_ids": ids, "attention_mask": mask, "labels": labels}
