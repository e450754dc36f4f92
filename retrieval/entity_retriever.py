"""Entity-aware document retrieval: rank abstracts by the linked entities they mention.

A query's entities are found with the project's own linker
(`retrieval.lexicon.EntityLexicon.find_mentions`, which also resolves abbreviations the query
defines). Documents are represented by the entity ids of their mentions: the annotated
mentions when a document has them (PubTator annotates all of PubMed), else the linker's
mentions of its text. Scoring is Okapi BM25 over entity ids instead of words: an entity
mentioned often in a short list of entities weighs more, a rare entity more than a common one.
With a ``fallback`` retriever (dense, typically) the entity ranking is fused with the fallback's
by reciprocal rank (`retrieval.hybrid`), which also orders documents that share no entity with
the query.

Only ``pmid``, ``text`` and ``mentions`` of a document are read, never its ``relations``: those
are the labels of relation benchmarks.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Iterable

from tqdm import tqdm

from retrieval.hybrid import RRF_K, Retriever, best_per_document, fuse_results
from retrieval.ids import has_known_prefix
from retrieval.index import RetrievedChunk
from retrieval.lexicon import EntityLexicon
from retrieval.pubtator import Document
from retrieval.surfaces import named_ids

logger = logging.getLogger(__name__)


class EntityRetriever:
    """BM25 over entity ids, optionally fused with a fallback retriever.

    Build with :meth:`build`; query with :meth:`retrieve`.

    Args:
        doc_entities: per PMID, how many mentions each entity id has.
        texts: per PMID, the document text returned with results.
        lexicon: links the query's entity names.
        fallback: fused with the entity ranking by RRF; None ranks by entities only (documents
            without a query entity are then not returned).
        fallback_depth: results asked of the fallback (passages for a passage retriever);
            None asks for as many as there are documents.
        k1: BM25 term-frequency saturation.
        b: BM25 length normalisation (length = the document's number of entity mentions).
    """

    def __init__(
        self,
        doc_entities: dict[str, Counter[str]],
        texts: dict[str, str],
        lexicon: EntityLexicon,
        fallback: Retriever | None = None,
        fallback_depth: int | None = None,
        k1: float = 1.2,
        b: float = 0.75,
    ) -> None:
        self.doc_entities = doc_entities
        self.texts = texts
        self.lexicon = lexicon
        self.fallback = fallback
        self.fallback_depth = fallback_depth
        self.k1, self.b = k1, b
        self._lengths = {p: sum(c.values()) for p, c in doc_entities.items()}
        self._avg_length = sum(self._lengths.values()) / max(len(doc_entities), 1) or 1.0
        doc_freq: Counter[str] = Counter()
        for counts in doc_entities.values():
            doc_freq.update(counts.keys())
        n = len(doc_entities)
        # Lucene's BM25 idf, always positive: an entity in most documents still counts a little.
        self._idf = {e: math.log(1 + (n - df + 0.5) / (df + 0.5)) for e, df in doc_freq.items()}
        self._postings: dict[str, list[str]] = {}
        for pmid in sorted(doc_entities):
            for entity_id in doc_entities[pmid]:
                self._postings.setdefault(entity_id, []).append(pmid)

    @classmethod
    def build(
        cls,
        documents: Iterable[Document],
        lexicon: EntityLexicon,
        fallback: Retriever | None = None,
        use_annotations: bool = True,
        progress: bool = False,
        fallback_depth: int | None = None,
    ) -> EntityRetriever:
        """Index the entities of each document (first occurrence of a PMID wins).

        Args:
            documents: abstracts; their ``relations`` are ignored.
            lexicon: links entity names in queries, and in documents without annotations.
            fallback: see the class docstring.
            use_annotations: take annotated mentions where a document has any; False links
                every document's text with the lexicon instead (no annotation needed).
            progress: show a tqdm bar.
            fallback_depth: see the class docstring.
        """
        doc_entities: dict[str, Counter[str]] = {}
        texts: dict[str, str] = {}
        linked = 0
        for doc in tqdm(documents, desc="entity index", disable=not progress):
            if doc.pmid in texts:
                continue
            texts[doc.pmid] = doc.text
            if use_annotations and doc.mentions:
                doc_entities[doc.pmid] = annotated_entities(doc)
            else:
                doc_entities[doc.pmid] = linked_entities(doc.text, lexicon)
                linked += 1
        logger.info("entity index: %d documents, %d linked by the lexicon", len(texts), linked)
        return cls(doc_entities, texts, lexicon, fallback, fallback_depth)

    def __len__(self) -> int:
        return len(self.texts)

    def with_fallback(
        self, fallback: Retriever | None, fallback_depth: int | None = None
    ) -> EntityRetriever:
        """The same entity index fused with ``fallback`` (None: entity ranking only)."""
        return EntityRetriever(
            self.doc_entities,
            self.texts,
            self.lexicon,
            fallback,
            fallback_depth,
            self.k1,
            self.b,
        )

    def query_entities(self, query: str) -> list[str]:
        """The ids of the entities the lexicon finds in ``query``, sorted, without repeats."""
        return sorted({entity.id for _, _, entity in self.lexicon.find_mentions(query)})

    def entity_scores(self, entity_ids: Iterable[str]) -> dict[str, float]:
        """BM25 score of every document mentioning at least one of ``entity_ids``."""
        scores: dict[str, float] = {}
        for entity_id in sorted(set(entity_ids)):
            idf = self._idf.get(entity_id, 0.0)
            for pmid in self._postings.get(entity_id, []):
                tf = self.doc_entities[pmid][entity_id]
                norm = self.k1 * (1 - self.b + self.b * self._lengths[pmid] / self._avg_length)
                scores[pmid] = scores.get(pmid, 0.0) + idf * tf * (self.k1 + 1) / (tf + norm)
        return scores

    def retrieve(self, query: str, k: int = 5) -> list[RetrievedChunk]:
        """The ``k`` best documents for ``query``; ``score`` is BM25 (or RRF with a fallback).

        Equal entity scores are ordered by PMID.
        """
        if k < 1:
            raise ValueError(f"`k` must be at least 1, got {k}")
        scores = self.entity_scores(self.query_entities(query))
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        hits = [RetrievedChunk(p, self.texts[p], s, p) for p, s in ranked]
        if self.fallback is None:
            return hits[:k]
        # By default the fallback ranks the whole corpus, so every document gets a fused rank.
        depth = self.fallback_depth or max(len(self), 1)
        other = best_per_document(self.fallback.retrieve(query, depth))
        return fuse_results([hits, other], RRF_K)[:k]


def annotated_entities(doc: Document) -> Counter[str]:
    """Mention counts per entity id from a document's own annotations (linked ids only)."""
    counts: Counter[str] = Counter()
    for mention in doc.mentions:
        for entity_id, _ in named_ids(mention):
            if has_known_prefix(entity_id):
                counts[entity_id] += 1
    return counts


def linked_entities(text: str, lexicon: EntityLexicon) -> Counter[str]:
    """Mention counts per entity id found in ``text`` by the lexicon."""
    return Counter(entity.id for _, _, entity in lexicon.find_mentions(text))
