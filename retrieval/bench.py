"""Benchmark the retrieval stack on the shared corpora and print the numbers.

    python -m retrieval.bench            # BC5CDR train+dev and BioRED train, about 2 min on CPU

It measures: reading speed; embedding throughput; own-title retrieval (recall@1/@5 of the
document's PMID when its title is the query) and per-query time for exact FAISS, HNSW and
BM25, with speed ratios; co-occurrence build and all-neighbour enumeration time; and the
dictionary linker's span+id precision/recall on the held-out BC5CDR development split.
Numbers depend on the machine; only ratios compare across machines.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from retrieval.bm25 import BM25Index
from retrieval.chunking import chunk_documents
from retrieval.cooccurrence import CooccurrenceGraph
from retrieval.datadir import require
from retrieval.embeddings import embed, load_embedder
from retrieval.index import ChunkIndex, RetrievedChunk
from retrieval.lexicon import EntityLexicon
from retrieval.mesh import MeshVocabulary
from retrieval.pubtator import Document, read_pubtator

T = TypeVar("T")
FILES = {
    "bc5cdr_train": "bio/bc5cdr/CDR_TrainingSet.PubTator.txt",
    "bc5cdr_dev": "bio/bc5cdr/CDR_DevelopmentSet.PubTator.txt",
    "biored_train": "bio/biored/Train.PubTator",
}


def _timed(label: str, fn: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    print(f"{label:<48} {seconds:8.3f} s")
    return result, seconds


def _recall(docs: Sequence[Document], hits: Sequence[list[RetrievedChunk]], k: int) -> float:
    found = sum(doc.pmid in {h.pmid for h in row[:k]} for doc, row in zip(docs, hits, strict=True))
    return found / len(docs)


def bench_retrieval(docs: list[Document]) -> None:
    chunks = list(chunk_documents(docs))
    embedder, _ = _timed("load embedder", load_embedder)
    vectors, seconds = _timed(
        f"embed {len(chunks)} chunks", lambda: embed(embedder, [c.text for c in chunks])
    )
    print(f"{'embedding throughput':<48} {len(chunks) / seconds:8.1f} chunks/s")
    flat = ChunkIndex.from_vectors(vectors, chunks, embedder, kind="flat")
    hnsw, _ = _timed(
        "build HNSW (M=32)", lambda: ChunkIndex.from_vectors(vectors, chunks, embedder, kind="hnsw")
    )
    bm25, _ = _timed("build BM25", lambda: BM25Index.build(chunks))

    unique = list({d.pmid: d for d in docs}.values())
    titles = [d.title for d in unique]
    query_vectors = embed(embedder, titles)
    per_query: dict[str, float] = {}
    for name, index in (("flat", flat), ("hnsw", hnsw)):
        start = time.perf_counter()
        index._index.search(query_vectors, 5)  # search only: both share the query embedding
        per_query[name] = (time.perf_counter() - start) / len(titles)
        hits = index.retrieve_many(titles, 5)
        print(
            f"{name:<6} recall@1 {_recall(unique, hits, 1):.3f}  recall@5 "
            f"{_recall(unique, hits, 5):.3f}  search {per_query[name] * 1e6:8.1f} us/query"
        )
    start = time.perf_counter()
    bm25_hits = [bm25.retrieve(t, 5) for t in titles]
    per_query["bm25"] = (time.perf_counter() - start) / len(titles)
    print(
        f"{'bm25':<6} recall@1 {_recall(unique, bm25_hits, 1):.3f}  recall@5 "
        f"{_recall(unique, bm25_hits, 5):.3f}  search {per_query['bm25'] * 1e6:8.1f} us/query"
    )
    print(
        f"ratio flat/hnsw search time: {per_query['flat'] / per_query['hnsw']:.2f}; "
        f"bm25/flat: {per_query['bm25'] / per_query['flat']:.1f}"
    )


def bench_graph(docs: list[Document]) -> None:
    graph, _ = _timed(
        f"co-occurrence graph of {len(docs)} docs", lambda: CooccurrenceGraph.from_documents(docs)
    )
    entities = graph.entities()
    total, _ = _timed(
        f"neighbours of all {len(entities)} entities",
        lambda: sum(len(graph.neighbors(e)) for e in entities),
    )
    paths, _ = _timed(
        "two-hop A-B-C walks (every A, B, C)",
        lambda: sum(len(graph.neighbors(b)) for a in entities for b in graph.neighbors(a)),
    )
    print(f"{'edges / two-hop walks':<48} {total // 2} / {paths}")


def bench_lexicon(train: list[Document], dev: list[Document], mesh: MeshVocabulary) -> None:
    lexicon, _ = _timed(
        "build lexicon (train corpora + MeSH)", lambda: EntityLexicon.build(train, mesh)
    )
    gold = {(d.pmid, m.start, m.end, m.ids[0]) for d in dev for m in d.mentions if len(m.ids) == 1}
    found, _ = _timed(
        f"find_mentions on {len(dev)} dev abstracts",
        lambda: {
            (d.pmid, s, e, ent.id)
            for d in dev
            for s, e, ent in lexicon.find_mentions(d.text)
            if ent.id.startswith("MESH:")
        },
    )
    tp = len(gold & found)
    precision, recall = tp / len(found), tp / len(gold)
    print(
        f"dictionary linker on BC5CDR dev (span + MeSH id): precision {precision:.3f}, "
        f"recall {recall:.3f}, F1 {2 * precision * recall / (precision + recall):.3f}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None, help="data root (holds bio/)")
    parser.add_argument("--skip-embeddings", action="store_true", help="no dense retrieval")
    args = parser.parse_args(argv)
    root = require(FILES.values(), args.data_dir)
    corpora, _ = _timed(
        "read 3 PubTator files",
        lambda: {name: list(read_pubtator(root / rel)) for name, rel in FILES.items()},
    )
    train = corpora["bc5cdr_train"] + corpora["biored_train"]
    mesh = MeshVocabulary.load(args.data_dir)
    bench_graph(corpora["bc5cdr_train"])
    bench_lexicon(train, corpora["bc5cdr_dev"], mesh)
    if not args.skip_embeddings:
        bench_retrieval(corpora["bc5cdr_train"] + corpora["bc5cdr_dev"])


if __name__ == "__main__":
    main()
