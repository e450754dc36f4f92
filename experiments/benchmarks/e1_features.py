"""E1 candidates and features: every never-co-mentioned chemical-disease pair, as matrices.

Shapes: ``C`` chemicals by ``D`` diseases for every pairwise feature; candidates are the
cells whose pair never shares a training abstract, flattened in row-major order.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression

from agent.types import EntityType
from retrieval.cooccurrence import CooccurrenceGraph
from retrieval.embeddings import load_embedder
from retrieval.mesh import MeshVocabulary
from retrieval.pubtator import Document

logger = logging.getLogger(__name__)

RANKER_FEATURES = (
    "log_common_neighbors",
    "jaccard",
    "log_adamic_adar",
    "embedding_cosine",
    "chem_known_inductions",
    "disease_known_inducers",
    "hierarchy_support",
    "chem_docs",
    "disease_docs",
)
NEGATIVES_FOR_FIT = 60_000


@dataclass
class CandidateSet:
    """The candidate pairs of one corpus, with labels from held-out facts."""

    chemicals: list[str]
    diseases: list[str]
    chem_index: np.ndarray  # (n,) row of each candidate in `chemicals`
    disease_index: np.ndarray  # (n,)
    labels: np.ndarray  # (n,) 1 for a held-out true pair
    _rows: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    @property
    def size(self) -> int:
        return int(self.labels.size)

    def rows_of(self, target: str) -> np.ndarray:
        if not self._rows:
            order = np.argsort(self.disease_index, kind="stable")
            bounds = np.searchsorted(self.disease_index[order], np.arange(len(self.diseases) + 1))
            self._rows = {d: order[bounds[i] : bounds[i + 1]] for i, d in enumerate(self.diseases)}
        return self._rows[target]

    def evaluated_targets(self) -> list[str]:
        """Diseases with at least one true candidate, sorted by id."""
        hits = np.unique(self.disease_index[self.labels == 1])
        return [self.diseases[i] for i in hits]

    def pair(self, row: int) -> tuple[str, str]:
        return self.chemicals[self.chem_index[row]], self.diseases[self.disease_index[row]]

    def subset(self, keep: np.ndarray) -> CandidateSet:
        """The candidates where the boolean mask ``keep`` is True, in the same order."""
        return CandidateSet(
            self.chemicals,
            self.diseases,
            self.chem_index[keep],
            self.disease_index[keep],
            self.labels[keep],
        )


def cid_pairs(docs: Sequence[Document]) -> set[tuple[str, str]]:
    return {(r.id1, r.id2) for d in docs for r in d.relations if r.type == "CID"}


class _Corpus:
    """Incidence and co-occurrence matrices of one corpus (MeSH entities only)."""

    def __init__(self, docs: Sequence[Document]) -> None:
        self.graph = CooccurrenceGraph.from_documents(docs)
        self.entities = self.graph.entities()
        self.col = {e: i for i, e in enumerate(self.entities)}
        rows, cols = [], []
        for r, doc in enumerate(docs):
            ids = {e for m in doc.mentions for e in m.ids if e in self.col}
            rows += [r] * len(ids)
            cols += [self.col[e] for e in sorted(ids)]
        x = sparse.csr_matrix(
            (np.ones(len(rows)), (rows, cols)), shape=(len(docs), len(self.entities))
        )
        self.incidence = x
        self.docfreq = np.asarray(x.sum(axis=0)).ravel()
        co = (x.T @ x).tocsr()
        co.setdiag(0)
        co.eliminate_zeros()
        self.cooc = co
        self.neighbors = (co > 0).astype(np.float64).tocsr()

    def typed(self, entity_type: EntityType) -> list[str]:
        return self.graph.entities(entity_type)


def build_candidates(train: Sequence[Document], held_out: Sequence[Document]) -> CandidateSet:
    """All never-co-mentioned chemical-disease pairs of ``train``, labelled by held-out CIDs."""
    corpus = _Corpus(train)
    chems, dis = corpus.typed(EntityType.CHEMICAL), corpus.typed(EntityType.DISEASE)
    ci, di = [corpus.col[c] for c in chems], [corpus.col[d] for d in dis]
    comention = corpus.cooc[ci][:, di].toarray() > 0
    c_idx, d_idx = np.nonzero(~comention)
    truth = cid_pairs(held_out)
    labels = np.array(
        [(chems[c], dis[d]) in truth for c, d in zip(c_idx, d_idx, strict=True)], dtype=np.int8
    )
    return CandidateSet(chems, dis, c_idx, d_idx, labels)


@dataclass
class FeatureTable:
    """Named feature columns aligned with a `CandidateSet`'s rows."""

    columns: dict[str, np.ndarray]

    def column(self, name: str) -> np.ndarray:
        return self.columns[name]

    def matrix(self) -> np.ndarray:
        """The ranker's features, each standardised within this candidate set."""
        x = np.column_stack([self.columns[n] for n in RANKER_FEATURES])
        std = x.std(axis=0)
        return (x - x.mean(axis=0)) / np.where(std > 0, std, 1.0)

    def ranker_score(self, model: LogisticRegression) -> np.ndarray:
        return model.decision_function(self.matrix())


class FeatureBuilder:
    """Computes every E1 feature for a candidate set drawn from ``docs``."""

    def __init__(
        self, docs: Sequence[Document], doc_vectors: dict[str, np.ndarray] | None = None
    ) -> None:
        self.docs = list(docs)
        self.corpus = _Corpus(self.docs)
        self.doc_vectors = doc_vectors if doc_vectors is not None else embed_documents(self.docs)
        self.mesh = MeshVocabulary.load()

    def features(self, cands: CandidateSet) -> FeatureTable:
        corpus = self.corpus
        ci = np.array([corpus.col[c] for c in cands.chemicals])
        di = np.array([corpus.col[d] for d in cands.diseases])
        n = corpus.neighbors
        weights = sparse.diags(1.0 / np.log1p(np.maximum(corpus.docfreq, 1)))
        common = (n[ci] @ n[:, di]).toarray()
        adamic = (n[ci] @ weights @ n[:, di]).toarray()
        degree = np.asarray(n.sum(axis=1)).ravel()
        union = degree[ci][:, None] + degree[di][None, :] - common
        jaccard = np.divide(common, union, out=np.zeros_like(common), where=union > 0)
        cosine = self._profiles(cands.chemicals) @ self._profiles(cands.diseases).T
        known = self._known(cands)
        hierarchy = known @ self._related(cands.diseases)

        r, c = cands.chem_index, cands.disease_index
        columns = {
            "common_neighbors": common[r, c],
            "jaccard": jaccard[r, c],
            "adamic_adar": adamic[r, c],
            "embedding_cosine": cosine[r, c],
            "log_common_neighbors": np.log1p(common[r, c]),
            "log_adamic_adar": np.log1p(adamic[r, c]),
            "chem_known_inductions": np.log1p(known.sum(axis=1))[r],
            "disease_known_inducers": np.log1p(known.sum(axis=0))[c],
            "hierarchy_support": np.log1p(hierarchy[r, c]),
            "chem_docs": np.log1p(corpus.docfreq[ci])[r],
            "disease_docs": np.log1p(corpus.docfreq[di])[c],
        }
        return FeatureTable(columns)

    def _profiles(self, ids: list[str]) -> np.ndarray:
        """Mean normalised embedding of the abstracts mentioning each entity, normalised."""
        x = self.corpus.incidence[:, [self.corpus.col[e] for e in ids]].T  # (entities, docs)
        vectors = np.stack([self.doc_vectors[d.pmid] for d in self.docs])
        profile = np.asarray(x @ vectors)
        norms = np.linalg.norm(profile, axis=1, keepdims=True)
        return profile / np.where(norms > 0, norms, 1.0)

    def _known(self, cands: CandidateSet) -> np.ndarray:
        """(C, D) 0/1 matrix of the corpus's own CID facts."""
        row = {c: i for i, c in enumerate(cands.chemicals)}
        col = {d: i for i, d in enumerate(cands.diseases)}
        known = np.zeros((len(row), len(col)))
        for chem, dis in cid_pairs(self.docs):
            if chem in row and dis in col:
                known[row[chem], col[dis]] = 1.0
        return known

    def _related(self, diseases: list[str]) -> np.ndarray:
        """(D, D) 0/1: column d marks d's MeSH parents, children and siblings."""
        index = {d: i for i, d in enumerate(diseases)}
        parents = {d: self.mesh.parents(d) for d in diseases}
        children: dict[str, set[str]] = {}
        for d, ps in parents.items():
            for p in ps:
                children.setdefault(p, set()).add(d)
        related = np.zeros((len(diseases), len(diseases)))
        for d, ps in parents.items():
            near = set(ps) | children.get(d, set())
            for p in ps:
                near |= children.get(p, set())
            for other in near - {d}:
                if other in index:
                    related[index[other], index[d]] = 1.0
        return related


def embed_documents(docs: Sequence[Document]) -> dict[str, np.ndarray]:
    """MiniLM embedding (normalised) of each abstract's title and text."""
    model = load_embedder()
    texts = [d.text for d in docs]
    vectors = model.encode(
        texts,
        batch_size=32,
        normalize_embeddings=True,
        show_progress_bar=len(texts) > 200,
        convert_to_numpy=True,
    )
    return {d.pmid: v for d, v in zip(docs, vectors, strict=True)}


def fit_ranker(
    train: Sequence[Document], seed: int, doc_vectors: dict[str, np.ndarray]
) -> LogisticRegression:
    """Fit the ranker's weights inside the training split only.

    Half of the training abstracts (a seeded split) play the corpus; the CID pairs of the
    other half that the first never co-mentions are the positives. Negatives are subsampled
    to `NEGATIVES_FOR_FIT`; classes are balanced by weight.
    """
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(train))
    half = len(train) // 2
    known_half = [train[i] for i in sorted(order[:half])]
    label_half = [train[i] for i in sorted(order[half:])]
    cands = build_candidates(known_half, label_half)
    x = FeatureBuilder(known_half, doc_vectors).features(cands).matrix()
    y = cands.labels
    negatives = np.flatnonzero(y == 0)
    if negatives.size > NEGATIVES_FOR_FIT:
        negatives = rng.choice(negatives, NEGATIVES_FOR_FIT, replace=False)
    rows = np.sort(np.concatenate([np.flatnonzero(y == 1), negatives]))
    model = LogisticRegression(class_weight="balanced", max_iter=1000, C=1.0)
    model.fit(x[rows], y[rows])
    logger.info(
        "E1 ranker weights: %s", dict(zip(RANKER_FEATURES, model.coef_[0].round(3), strict=True))
    )
    return model
