"""A 10,000-hypothesis review queue built from real BC5CDR and BioRED abstracts.

Every chemical-disease and gene-disease pair that co-occurs in an abstract becomes a
hypothesis (pairs the corpus states as CID are ``induces``, others ``associated_with``); its
evidence is up to three real abstracts mentioning both, with their annotated mentions;
scores and verdicts are seeded.
"""

from __future__ import annotations

import random
from collections import defaultdict
from pathlib import Path

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
from retrieval.datadir import data_dir
from retrieval.pubtator import Document, read_pubtator

CORPORA = (
    "bc5cdr/CDR_TrainingSet.PubTator.txt",
    "bc5cdr/CDR_DevelopmentSet.PubTator.txt",
    "biored/Train.PubTator",
    "biored/Dev.PubTator",
)
SUBJECT_TYPES = {EntityType.CHEMICAL, EntityType.GENE}


def _documents(root: Path) -> list[Document]:
    return [doc for name in CORPORA for doc in read_pubtator(root / "bio" / name)]


def bench_hypotheses(n: int = 10_000, seed: int = 0, root: Path | None = None) -> list[Hypothesis]:
    """``n`` distinct chemical-disease hypotheses with real passages as evidence.

    Raises:
        ValueError: the corpus yields fewer than ``n`` co-occurring pairs.
    """
    docs = _documents(root or data_dir())
    names: dict[str, str] = {}
    types: dict[str, EntityType] = {}
    pair_docs: dict[tuple[str, str], list[Document]] = defaultdict(list)
    cid: set[tuple[str, str]] = set()
    for doc in docs:
        chems, dis = set(), set()
        for m in doc.mentions:
            for eid in m.ids:
                names.setdefault(eid, m.text)
                types.setdefault(eid, m.entity_type)
                if m.entity_type in SUBJECT_TYPES:
                    chems.add(eid)
                elif m.entity_type == EntityType.DISEASE:
                    dis.add(eid)
        for pair in ((c, d) for c in chems for d in dis):
            pair_docs[pair].append(doc)
        cid.update((r.id1, r.id2) for r in doc.relations if r.type == "CID")
    pairs = sorted(pair_docs)
    if len(pairs) < n:
        raise ValueError(f"the corpora yield {len(pairs)} co-occurring pairs; asked for {n}")
    rng = random.Random(seed)
    rng.shuffle(pairs)
    return [
        _hypothesis(pair, pair_docs[pair], names, types[pair[0]], pair in cid, rng)
        for pair in pairs[:n]
    ]


def _hypothesis(
    pair: tuple[str, str],
    docs: list[Document],
    names: dict[str, str],
    kind: EntityType,
    known: bool,
    rng: random.Random,
) -> Hypothesis:
    chem, dis = pair
    consistent = rng.choice([True, True, False, None])
    return Hypothesis(
        subject=Entity(id=chem, name=names[chem], type=kind),
        relation=Relation.INDUCES if known else Relation.ASSOCIATED_WITH,
        object=Entity(id=dis, name=names[dis], type=EntityType.DISEASE),
        rationale=f"{names[chem]} and {names[dis]} co-occur in {len(docs)} abstract(s).",
        cited_pmids=[d.pmid for d in docs[:3]],
        scores={"final": round(rng.random(), 4), "cooccurrence": float(len(docs))},
        provenance=Provenance(generator="bench", run_id="bench"),
        evidence=[
            Evidence(pmid=d.pmid, text=d.text, score=round(rng.random(), 3), mentions=_mentions(d))
            for d in docs[:3]
        ],
        verdicts=[
            Verdict(
                check="well_typed",
                passed=True,
                reason=f"{kind.value} and disease",
                proof=[f"{kind.value}('{chem}')", f"disease('{dis}')"],
            ),
            Verdict(
                check="novel",
                passed=not known,
                reason="not a curated CID pair" if not known else "already a curated CID relation",
            ),
            Verdict(check="consistent", passed=consistent, reason="seeded for the benchmark"),
        ],
    )


def _mentions(doc: Document) -> list[EvidenceMention]:
    return [
        EvidenceMention(start=m.start, end=m.end, entity_ids=list(m.ids), type=m.entity_type)
        for m in doc.mentions
    ]
