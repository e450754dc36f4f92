"""Helpers shared by the review-app tests."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

from agent.types import (
    Entity,
    EntityType,
    Evidence,
    EvidenceMention,
    Hypothesis,
    Provenance,
    Relation,
    Verdict,
)
from hitl import auth, db
from hitl.models import User
from retrieval.pubtator import Document

PASSWORD = "correct horse battery"
REQUIRE_SERVICES = "SCIDISCO_REQUIRE_SERVICES"


def missing_service(reason: str) -> NoReturn:
    """Skip a test whose service (PostgreSQL, the browser) is absent, or fail it under CI.

    ``make test`` sets ``SCIDISCO_REQUIRE_SERVICES=1``: there a missing service is a broken
    setup, and a skip would let the suite pass without ever running those tests.
    """
    if os.environ.get(REQUIRE_SERVICES) == "1":
        pytest.fail(
            f"{REQUIRE_SERVICES}=1 but {reason} (unset {REQUIRE_SERVICES} to skip instead)",
            pytrace=False,
        )
    pytest.skip(reason)


def mentions_of(doc: Document) -> list[EvidenceMention]:
    """The document's PubTator annotations as evidence mentions (offsets into ``doc.text``)."""
    return [
        EvidenceMention(start=m.start, end=m.end, entity_ids=list(m.ids), type=m.entity_type)
        for m in doc.mentions
    ]


def hypotheses_from(documents: list[Document], run_id: str = "run-1") -> list[Hypothesis]:
    """One ``induces`` hypothesis per BC5CDR CID relation, its abstract (with its real
    annotations) as evidence."""
    out: list[Hypothesis] = []
    for doc in documents:
        names: dict[str, str] = {}
        for m in doc.mentions:
            for eid in m.ids:
                names.setdefault(eid, m.text)
        cids = [r for r in doc.relations if r.type == "CID"]
        for rank, rel in enumerate(cids):
            out.append(
                Hypothesis(
                    subject=Entity(
                        id=rel.id1, name=names.get(rel.id1, rel.id1), type=EntityType.CHEMICAL
                    ),
                    relation=Relation.INDUCES,
                    object=Entity(
                        id=rel.id2, name=names.get(rel.id2, rel.id2), type=EntityType.DISEASE
                    ),
                    rationale=f"Stated as chemical-induced disease in PMID {doc.pmid}.",
                    cited_pmids=[doc.pmid],
                    scores={"final": round(1.0 / (rank + 1), 4)},
                    provenance=Provenance(generator="bc5cdr", run_id=run_id),
                    evidence=[
                        Evidence(pmid=doc.pmid, text=doc.text, score=0.9, mentions=mentions_of(doc))
                    ],
                    verdicts=[
                        Verdict(
                            check="well_typed",
                            passed=True,
                            reason="chemical induces disease",
                            proof=[f"chemical('{rel.id1}')", f"disease('{rel.id2}')"],
                        )
                    ],
                )
            )
    return out


def make_user(url: str, username: str, role: str) -> User:
    with db.database(url).write() as session:
        return auth.create_user(session, username, PASSWORD, role)


def make_token(url: str, username: str) -> str:
    with db.database(url).write() as session:
        return auth.create_token(session, username, "tests")
