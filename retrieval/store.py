"""A document store in SQL (SQLite by default) through SQLAlchemy 2 Core.

Tables ``documents``, ``mentions`` and ``relations`` live on this module's own
:data:`metadata`, so another package (the review app) can keep its tables in the same
database file. A document is identified by ``(corpus, pmid)``: BioRED and BC5CDR annotate
some of the same abstracts differently, and both versions are kept.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    func,
    select,
)
from sqlalchemy.engine import Connection

from agent.types import EntityType
from retrieval.pubtator import Document, Mention, SourceRelation

logger = logging.getLogger(__name__)

metadata = MetaData()

documents_table = Table(
    "documents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("corpus", String(100), nullable=False),
    Column("pmid", String(40), nullable=False, index=True),
    Column("title", Text, nullable=False),
    Column("abstract", Text, nullable=False),
    Column("source", String(255), nullable=False, default=""),
    UniqueConstraint("corpus", "pmid", name="uq_documents_corpus_pmid"),
)

mentions_table = Table(
    "mentions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "document_id", ForeignKey("documents.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("position", Integer, nullable=False),
    Column("start", Integer, nullable=False),
    Column("end", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("source_type", String(60), nullable=False),
    Column("entity_type", String(20), nullable=False),
    Column("ids", JSON, nullable=False),
    Column("parts", JSON, nullable=False),
)

relations_table = Table(
    "relations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "document_id", ForeignKey("documents.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("position", Integer, nullable=False),
    Column("type", String(60), nullable=False),
    Column("id1", String(200), nullable=False),
    Column("id2", String(200), nullable=False),
    Column("novelty", String(20), nullable=True),
)


class DocumentStore:
    """Annotated documents in a SQL database.

    Args:
        url: a SQLAlchemy URL, e.g. ``sqlite:///runs/docs.sqlite`` or ``sqlite://`` (memory).
    """

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url)
        metadata.create_all(self.engine)

    def add(self, documents: Iterable[Document], corpus: str) -> int:
        """Store documents under a corpus name, skipping PMIDs the corpus already holds.

        Everything is one transaction: if reading the documents or writing fails half-way
        (a malformed file, say), nothing from this call is stored.

        Returns:
            The number of documents newly stored.
        """
        if not corpus:
            raise ValueError("`corpus` must be a non-empty name, e.g. 'bc5cdr_train'")
        added = 0
        with self.engine.begin() as conn:
            known = set(
                conn.scalars(
                    select(documents_table.c.pmid).where(documents_table.c.corpus == corpus)
                )
            )
            for doc in documents:
                if doc.pmid in known:
                    continue
                _insert(conn, doc, corpus)
                known.add(doc.pmid)
                added += 1
        logger.info("stored %d new documents in corpus %r", added, corpus)
        return added

    def count(self, corpus: str | None = None) -> int:
        """Number of stored documents, in one corpus or in all."""
        query = select(func.count()).select_from(documents_table)
        if corpus is not None:
            query = query.where(documents_table.c.corpus == corpus)
        with self.engine.connect() as conn:
            return int(conn.scalar(query) or 0)

    def corpora(self) -> list[str]:
        """Names of the stored corpora, sorted."""
        with self.engine.connect() as conn:
            return sorted(conn.scalars(select(documents_table.c.corpus).distinct()))

    def documents(self, corpus: str | None = None) -> Iterator[Document]:
        """Stored documents in insertion order, with their mentions and relations."""
        query = select(documents_table).order_by(documents_table.c.id)
        if corpus is not None:
            query = query.where(documents_table.c.corpus == corpus)
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
            documents = list(_assemble(conn, rows))
        # Yielded after the connection is closed, so callers may write while iterating.
        yield from documents

    def get(self, pmid: str, corpus: str | None = None) -> Document | None:
        """One document by PMID (the first stored one when several corpora hold it)."""
        query = select(documents_table).where(documents_table.c.pmid == pmid)
        if corpus is not None:
            query = query.where(documents_table.c.corpus == corpus)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(documents_table.c.id).limit(1)).mappings().all()
            return next(_assemble(conn, rows), None)


def _insert(conn: Connection, doc: Document, corpus: str) -> None:
    result = conn.execute(
        documents_table.insert().values(
            corpus=corpus,
            pmid=doc.pmid,
            title=doc.title,
            abstract=doc.abstract,
            source=doc.source,
        )
    )
    assert result.inserted_primary_key is not None  # single-row insert: always set
    doc_id = result.inserted_primary_key[0]
    if doc.mentions:
        conn.execute(
            mentions_table.insert(),
            [
                {
                    "document_id": doc_id,
                    "position": i,
                    "start": m.start,
                    "end": m.end,
                    "text": m.text,
                    "source_type": m.source_type,
                    "entity_type": m.entity_type.value,
                    "ids": list(m.ids),
                    "parts": list(m.parts),
                }
                for i, m in enumerate(doc.mentions)
            ],
        )
    if doc.relations:
        conn.execute(
            relations_table.insert(),
            [
                {
                    "document_id": doc_id,
                    "position": i,
                    "type": r.type,
                    "id1": r.id1,
                    "id2": r.id2,
                    "novelty": r.novelty,
                }
                for i, r in enumerate(doc.relations)
            ],
        )


def _assemble(conn: Connection, rows: Any) -> Iterator[Document]:
    """Documents for ``rows``, loading all their mentions and relations in two queries."""
    ids = [row["id"] for row in rows]
    mentions: dict[int, list[Mention]] = defaultdict(list)
    relations: dict[int, list[SourceRelation]] = defaultdict(list)
    for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
        for m in conn.execute(
            select(mentions_table)
            .where(mentions_table.c.document_id.in_(chunk))
            .order_by(mentions_table.c.document_id, mentions_table.c.position)
        ).mappings():
            mentions[m["document_id"]].append(
                Mention(
                    m["start"],
                    m["end"],
                    m["text"],
                    m["source_type"],
                    EntityType(m["entity_type"]),
                    tuple(m["ids"]),
                    tuple(m["parts"]),
                )
            )
        for r in conn.execute(
            select(relations_table)
            .where(relations_table.c.document_id.in_(chunk))
            .order_by(relations_table.c.document_id, relations_table.c.position)
        ).mappings():
            relations[r["document_id"]].append(
                SourceRelation(r["type"], r["id1"], r["id2"], r["novelty"])
            )
    for row in rows:
        yield Document(
            row["pmid"],
            row["title"],
            row["abstract"],
            tuple(mentions[row["id"]]),
            tuple(relations[row["id"]]),
            row["source"],
        )
