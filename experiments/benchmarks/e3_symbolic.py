"""E3: how well the Prolog checker's rejections find PharmacotherapyDB's non-indications.

Every PharmacotherapyDB pair (drug, DOID, category) becomes the hypothesis ``drug treats
disease`` once both ends reach MeSH: the drug by exact case-insensitive name against
``mesh/terms.tsv``, the disease through the Disease Ontology's MSH cross-references (both via
`rl.facts`). The knowledge base is built from MeSH and the corpora's own relations only
(BC5CDR CID, BioRED relations through `agent.relations.map_relation`), never from
PharmacotherapyDB, so its labels are truth and nothing else.

A pair is *rejected* when a blocking check, ``well_typed`` or ``consistent``, is False for
any of its MeSH mappings (a DOID can have several MSH xrefs; ``checker_each_mapping`` scores
each mapping on its own instead). ``novel`` never rejects: a known "treats" fact supports
the claim. Positive class = NOT; the main variant scores NOT against DM, the second NOT
against DM+SYM. Besides the checker itself, each rule is scored
alone (from `KnowledgeBase.contradictions`) and in combinations, so the table shows which
kind of contradicting evidence carries signal. The run has no randomness; ``seed`` is unused.
"""

from __future__ import annotations

import csv
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from scipy.stats import fisher_exact
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support
from tqdm import tqdm

from agent.types import Entity, EntityType, Hypothesis, Relation
from experiments.resources import ResourceMeter
from experiments.tasks import TaskOutput
from reasoning.corpus_facts import corpus_facts
from reasoning.kb import KnowledgeBase
from retrieval.datadir import require, resolve
from retrieval.lexicon import EntityLexicon
from retrieval.mesh import MeshVocabulary
from retrieval.pubtator import Document, read_pubtator
from rl.facts import LabDataError, doid_to_mesh, mesh_names

logger = logging.getLogger(__name__)

CATEGORIES = ("DM", "SYM", "NOT")
# Every rule that can fire on a pair, in the order the checker tries them.
RULES = ("ill_typed", "exact", "narrower", "broader", "sibling", "class")
_CHECKER_RULES = ("ill_typed", "exact", "narrower", "broader")  # what KnowledgeBase.check fails
_STRICT_RULES = {"ill_typed", "exact", "narrower"}  # the checker without `broader`
_MESH_FILES = ["bio/mesh/terms.tsv", "bio/mesh/tree-numbers.tsv", "bio/disease_ontology/xrefs.tsv"]
_COLUMNS = ("doid_id", "disease", "drug", "category")
VARIANTS = {"dm_vs_not": ("DM",), "dmsym_vs_not": ("DM", "SYM")}


class E3Params(BaseModel):
    """Parameters of E3; the defaults are the full benchmark."""

    model_config = ConfigDict(extra="forbid")

    indications: str = Field(
        "bio/pharmacotherapydb/indications.shared.tsv",
        description="PharmacotherapyDB TSV (doid_id, disease, drug, category); relative paths "
        "are inside the data directory.",
    )
    corpora: list[str] = Field(
        default_factory=lambda: [
            "bio/bc5cdr/CDR_TrainingSet.PubTator.txt",
            "bio/bc5cdr/CDR_DevelopmentSet.PubTator.txt",
            "bio/biored/Train.PubTator",
            "bio/biored/Dev.PubTator",
        ],
        description="PubTator corpora whose relations become the KB's facts (may be empty: "
        "then only MeSH typing can reject).",
    )
    drug_lexicon: bool = Field(
        False,
        description="Also map drug names that are no MeSH descriptor name through the corpora's "
        "own annotations (retrieval.lexicon.EntityLexicon, chemicals only).",
    )
    data_dir: str | None = Field(None, description="Data directory; default SCIDISCO_DATA.")


@dataclass(frozen=True)
class Pair:
    """One PharmacotherapyDB row and where its ends landed in MeSH."""

    line: int
    drug: str
    disease: str
    doid: str
    category: str
    drug_id: str | None
    disease_ids: tuple[str, ...]
    drug_source: str = ""  # mesh_name, corpus_lexicon, or empty when unmapped

    @property
    def unmapped(self) -> str | None:
        """Why the pair has no hypothesis: ``drug``, ``disease``, ``both``; None if mapped."""
        missing = [
            end for end, ok in (("drug", self.drug_id), ("disease", self.disease_ids)) if not ok
        ]
        return None if not missing else "both" if len(missing) == 2 else missing[0]


@dataclass(frozen=True)
class Judgement:
    """What the KB said about one mapped pair, over all of its MeSH disease ids."""

    pair: Pair
    rules: frozenset[str]
    checker: str | None  # the rule behind the checker's rejection; None when it accepts
    known_treats: bool
    proof: tuple[str, ...]
    drug_mentioned: bool
    disease_mentioned: bool
    co_mentioned: bool
    rejected_each: tuple[bool, ...] = ()  # the checker's verdict per MeSH disease id


Classifier = Callable[[Judgement], bool]


def _fires(rule: str) -> Classifier:
    return lambda j: rule in j.rules


def _blamed(rule: str) -> Classifier:
    return lambda j: j.checker == rule


CLASSIFIERS: dict[str, Classifier] = {
    "checker": lambda j: j.checker is not None,
    "strict": lambda j: bool(j.rules & _STRICT_RULES),
    "checker_sibling": lambda j: j.checker is not None or "sibling" in j.rules,
    "checker_class": lambda j: j.checker is not None or "class" in j.rules,
    "all_rules": lambda j: bool(j.rules),
}
CLASSIFIERS.update({f"rule_{r}": _fires(r) for r in RULES})


def load_pairs(
    path: Path, root: Path, fallback: Callable[[str], str | None] | None = None
) -> list[Pair]:
    """Read PharmacotherapyDB rows and map them to MeSH with `rl.facts`' tables.

    Drugs match a MeSH descriptor name exactly (case-insensitive); ``fallback`` maps the
    names that do not (see ``E3Params.drug_lexicon``).

    Raises:
        LabDataError: a required column is missing or a category is not DM, SYM or NOT.
    """
    diseases, names = doid_to_mesh(root), mesh_names(root)
    pairs = []
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        missing = [c for c in _COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise LabDataError(path, 1, None, f"header lacks {missing}; got {reader.fieldnames}")
        for row in reader:
            if row["category"] not in CATEGORIES:
                raise LabDataError(
                    path, reader.line_num, "category",
                    f"unknown category {row['category']!r}; expected one of {CATEGORIES}",
                )  # fmt: skip
            drug_id = names.get(row["drug"].lower())
            source = "mesh_name" if drug_id else ""
            if drug_id is None and fallback is not None:
                drug_id = fallback(row["drug"])
                source = "corpus_lexicon" if drug_id else ""
            disease_ids = tuple(diseases.get(row["doid_id"], []))
            line, drug, disease = reader.line_num, row["drug"], row["disease"]
            pairs.append(
                Pair(
                    line,
                    drug,
                    disease,
                    row["doid_id"],
                    row["category"],
                    drug_id,
                    disease_ids,
                    source,
                )
            )
    return pairs


def lexicon_fallback(documents: list[Document]) -> Callable[[str], str | None]:
    """Link a drug name to the chemical id the corpora's annotators most often gave it."""
    lexicon = EntityLexicon.build(documents)

    def link(name: str) -> str | None:
        found = lexicon.link(name, EntityType.CHEMICAL)
        return found.entity.id if found.entity else None

    return link


def judge(kb: KnowledgeBase, pair: Pair, docs: list[set[str]], mentioned: set[str]) -> Judgement:
    """Check every ``drug treats disease`` mapping of ``pair``; any rejection rejects the pair."""
    if pair.drug_id is None:
        raise ValueError(f"pair on line {pair.line} ({pair.drug}) has no MeSH drug id to check")
    drug = Entity(id=pair.drug_id, name=pair.drug, type=EntityType.CHEMICAL)
    rules: set[str] = set()
    checker: str | None = None
    proof: tuple[str, ...] = ()
    known = False
    rejected_each = []
    for disease_id in pair.disease_ids:
        disease = Entity(id=disease_id, name=pair.disease, type=EntityType.DISEASE)
        h = Hypothesis(subject=drug, relation=Relation.TREATS, object=disease)
        typing, novel, consistent = kb.check(h)
        levels = kb.contradictions(h)
        rules |= set(levels) | ({"ill_typed"} if typing.passed is False else set())
        known = known or novel.passed is False
        failed = typing if typing.passed is False else consistent
        rejected_each.append(failed.passed is False)
        if checker is None and failed.passed is False:
            checker = "ill_typed" if failed is typing else next(iter(levels), "")
            if checker not in _CHECKER_RULES:  # check() and contradictions() must agree
                raise RuntimeError(f"consistent failed for {h.key} but the levels are {levels}")
            proof = tuple(failed.proof)
        elif not proof and levels:
            proof = tuple(next(iter(levels.values())))
    ids = set(pair.disease_ids)
    return Judgement(
        pair, frozenset(rules), checker, known, proof,
        drug_mentioned=pair.drug_id in mentioned,
        disease_mentioned=bool(ids & mentioned),
        co_mentioned=any(pair.drug_id in d and ids & d for d in docs),
        rejected_each=tuple(rejected_each),
    )  # fmt: skip


def score(judgements: list[Judgement], negatives: tuple[str, ...]) -> dict[str, dict[str, float]]:
    """TP/FP/FN/TN, precision, recall and F1 of every classifier; positive class = NOT."""
    kept = [j for j in judgements if j.pair.category in ("NOT", *negatives)]
    truth = [j.pair.category == "NOT" for j in kept]
    out = {
        name: _scores(truth, [classify(j) for j in kept]) for name, classify in CLASSIFIERS.items()
    }
    # The same checker with each (drug, MeSH disease) hypothesis counted on its own.
    each = [(j.pair.category == "NOT", r) for j in kept for r in j.rejected_each]
    out["checker_each_mapping"] = _scores([t for t, _ in each], [r for _, r in each])
    out["_base"] = {"n": float(len(kept)), "prevalence": sum(truth) / len(kept) if kept else 0.0}
    return out


def _scores(truth: list[bool], predicted: list[bool]) -> dict[str, float]:
    tn, fp, fn, tp = confusion_matrix(truth, predicted, labels=[False, True]).ravel()
    p, r, f, _ = precision_recall_fscore_support(
        truth, predicted, average="binary", pos_label=True, zero_division=0
    )
    # One-sided Fisher exact test: is NOT over-represented among the rejected pairs?
    p_value = fisher_exact([[tp, fp], [fn, tn]], alternative="greater").pvalue
    stats = {"tp": tp, "fp": fp, "fn": fn, "tn": tn, "precision": p, "recall": r, "f1": f}
    return {k: float(v) for k, v in {**stats, "fisher_p": p_value}.items()}


def run(params: dict[str, Any], seed: int, run_dir: Path) -> TaskOutput:
    """Run E3 and write ``table.md`` and ``pairs.tsv`` (one row per mapped pair) to run_dir."""
    try:
        config = E3Params.model_validate(params)
    except ValidationError as exc:
        raise ValueError(f"invalid e3_symbolic params: {exc}") from exc
    meter = ResourceMeter()
    root = require(_MESH_FILES, config.data_dir)
    inputs = {rel: root / rel for rel in _MESH_FILES}
    inputs["indications"] = _existing(resolve(config.indications, config.data_dir), "indications")
    corpora = [_existing(resolve(c, config.data_dir), "corpora") for c in config.corpora]
    inputs.update({f"corpus:{p.name}": p for p in corpora})
    logger.info("E3 with %s (seed %d unused: the benchmark has no randomness)", config, seed)

    timings: dict[str, float] = {}
    start = time.perf_counter()
    mesh = MeshVocabulary.load(root)
    documents = [doc for path in corpora for doc in read_pubtator(path)]
    fallback = lexicon_fallback(documents) if config.drug_lexicon else None
    pairs = load_pairs(inputs["indications"], root, fallback)
    entities, facts = corpus_facts(documents)
    timings["load_s"] = time.perf_counter() - start

    with KnowledgeBase.build(mesh, entities, facts) as kb:
        timings["build_s"] = kb.stats.seconds
        start = time.perf_counter()
        docs = _document_ids(documents)
        mentioned = set().union(*docs) if docs else set()
        mapped = [p for p in pairs if p.unmapped is None]
        judgements = [
            judge(kb, p, docs, mentioned) for p in tqdm(mapped, desc="E3 checks", disable=None)
        ]
        timings["check_s"] = time.perf_counter() - start
        n_facts = kb.stats.facts

    scores = {v: score(judgements, neg) for v, neg in VARIANTS.items()}
    metrics = _metrics(pairs, judgements, scores, n_facts)
    table = _table(pairs, judgements, scores, n_facts, len(documents))
    steps = ", ".join(f"{k.removesuffix('_s')} {v:.1f} s" for k, v in timings.items())
    table += f"Steps: {steps}. {meter.usage().note()}\n"
    (run_dir / "table.md").write_text(table)
    _write_pairs(run_dir / "pairs.tsv", judgements)
    print(table)
    logger.info("E3 timings (s): %s", {k: round(v, 2) for k, v in timings.items()})
    return TaskOutput(metrics=metrics, inputs=inputs)


def _existing(path: Path, field: str) -> Path:
    if not path.is_file():
        raise FileNotFoundError(
            f"`{field}` names {path}, which does not exist; give a path inside the data "
            "directory (e.g. bio/bc5cdr/CDR_TrainingSet.PubTator.txt) or an absolute one"
        )
    return path


def _document_ids(documents: Iterable[Document]) -> list[set[str]]:
    """The linked entity ids of each abstract (for mention and co-mention coverage)."""
    return [{i for m in doc.mentions for i in m.ids} for doc in documents]


def _by_category(items: Iterable[Pair | Judgement], test: Callable[[Any], bool]) -> list[int]:
    counts = dict.fromkeys(CATEGORIES, 0)
    for item in items:
        pair = item if isinstance(item, Pair) else item.pair
        counts[pair.category] += bool(test(item))
    return [counts[c] for c in CATEGORIES]


def _summaries(pairs: list[Pair], judgements: list[Judgement]) -> dict[str, list[int]]:
    """Per-category counts (DM, SYM, NOT) of every row shown in the mapping, coverage and
    rule tables; keys double as metric names."""
    rows: dict[str, list[int]] = {
        "pairs/total": _by_category(pairs, lambda p: True),
        "pairs/mapped": _by_category(pairs, lambda p: p.unmapped is None),
        "pairs/drug_via_lexicon": _by_category(
            pairs, lambda p: p.unmapped is None and p.drug_source == "corpus_lexicon"
        ),
        "pairs/unmapped_drug": _by_category(pairs, lambda p: p.unmapped == "drug"),
        "pairs/unmapped_disease": _by_category(pairs, lambda p: p.unmapped == "disease"),
        "pairs/unmapped_both": _by_category(pairs, lambda p: p.unmapped == "both"),
        "pairs/multi_mesh": _by_category(judgements, lambda j: len(j.pair.disease_ids) > 1),
        "coverage/drug_mentioned": _by_category(judgements, lambda j: j.drug_mentioned),
        "coverage/disease_mentioned": _by_category(judgements, lambda j: j.disease_mentioned),
        "coverage/both_mentioned": _by_category(
            judgements, lambda j: j.drug_mentioned and j.disease_mentioned
        ),
        "coverage/never_mentioned": _by_category(
            judgements, lambda j: not (j.drug_mentioned and j.disease_mentioned)
        ),
        "coverage/co_mentioned": _by_category(judgements, lambda j: j.co_mentioned),
        "coverage/linked": _by_category(
            judgements, lambda j: j.known_treats or bool(j.rules - {"ill_typed"})
        ),
        "coverage/known_treats": _by_category(judgements, lambda j: j.known_treats),
    }
    for rule in RULES:
        rows[f"rules/{rule}"] = _by_category(judgements, _fires(rule))
        rows[f"checker_reason/{rule}"] = _by_category(judgements, _blamed(rule))
    return rows


def _metrics(
    pairs: list[Pair], judgements: list[Judgement], scores: dict[str, Any], n_facts: int
) -> dict[str, float]:
    metrics = {"e3/kb/facts": float(n_facts)}
    for key, counts in _summaries(pairs, judgements).items():
        for category, count in zip(CATEGORIES, counts, strict=True):
            metrics[f"e3/{key}/{category}"] = float(count)
    for variant, by_classifier in scores.items():
        for classifier, stats in by_classifier.items():
            for stat, value in stats.items():
                metrics[f"e3/{variant}/{classifier.lstrip('_')}/{stat}"] = value
    return metrics


def _md(headers: list[str], rows: list[list[Any]]) -> str:
    def cell(value: Any) -> str:
        return f"{value:.3f}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


_ROW_NAMES = {
    "pairs/total": "pairs", "pairs/mapped": "mapped to MeSH (drug and disease)",
    "pairs/drug_via_lexicon": "mapped, drug only through the corpus lexicon",
    "pairs/unmapped_drug": "unmapped: drug name no MeSH descriptor (nor in the lexicon, if used)",
    "pairs/unmapped_disease": "unmapped: DOID without MSH xref",
    "pairs/unmapped_both": "unmapped: both",
    "pairs/multi_mesh": "mapped, disease with several MeSH ids",
    "coverage/drug_mentioned": "drug mentioned in the corpora",
    "coverage/disease_mentioned": "disease mentioned in the corpora",
    "coverage/both_mentioned": "both mentioned",
    "coverage/never_mentioned": "drug or disease never mentioned",
    "coverage/co_mentioned": "both in one abstract",
    "coverage/linked": "a corpus fact bears on the pair (treats; induces at any level or by class)",
    "coverage/known_treats": "corpus fact: drug treats the disease (not a rejection)",
}  # fmt: skip
_RULE_NAMES = {
    "ill_typed": "ill-typed (MeSH types do not fit treats)",
    "exact": "drug induces the same disease",
    "narrower": "drug induces a narrower disease (descendant)",
    "broader": "drug induces a broader disease (ancestor)",
    "sibling": "drug induces a sibling disease (tension: checker abstains)",
    "class": "a same-class drug induces the same disease (not in checker)",
}


def _table(
    pairs: list[Pair], judgements: list[Judgement], scores: dict[str, Any], n_facts: int,
    n_docs: int,
) -> str:  # fmt: skip
    rows = _summaries(pairs, judgements)
    out = [
        f"# E3: symbolic filter vs PharmacotherapyDB ({n_docs} abstracts, {n_facts} facts)",
        "",
        "Hypothesis per pair: `drug treats disease`. A pair is rejected when `well_typed` or "
        "`consistent` fails for any of its MeSH disease ids; `novel` never rejects.",
        "",
        "## Pairs, mapping and corpus coverage",
        "",
        _md(["", *CATEGORIES], [[_ROW_NAMES[k], *rows[k]] for k in _ROW_NAMES]),
        "",
        "## Rules fired on mapped pairs (a pair can fire several)",
        "",
        _md(
            ["rule", *CATEGORIES, *(f"checker reason {c}" for c in CATEGORIES)],
            [[_RULE_NAMES[r], *rows[f"rules/{r}"], *rows[f"checker_reason/{r}"]] for r in RULES],
        ),
    ]
    for variant, by_classifier in scores.items():
        base = by_classifier["_base"]
        out += [
            "",
            f"## Rejection as a NOT detector: {variant} ({int(base['n'])} pairs, "
            f"NOT share {base['prevalence']:.3f} = precision by chance)",
            "",
            _md(
                ["classifier", "TP", "FP", "FN", "TN", "precision", "recall", "F1", "Fisher p"],
                [
                    [
                        name,
                        *(int(s[k]) for k in ("tp", "fp", "fn", "tn")),
                        s["precision"],
                        s["recall"],
                        s["f1"],
                        s["fisher_p"],
                    ]
                    for name, s in by_classifier.items()
                    if name != "_base"
                ],
            ),
        ]
    out += [
        "",
        "checker = KnowledgeBase.check (ill-typed, or induces the same/narrower/broader "
        "disease); strict = without broader; checker_sibling / checker_class add the sibling "
        "and class rules; all_rules = any rule; rule_X = that rule alone; "
        "checker_each_mapping counts each (drug, MeSH disease) hypothesis instead of each pair. "
        "Fisher p: one-sided exact test that NOT is over-represented among rejected pairs.",
        "",
    ]
    return "\n".join(out)


def _write_pairs(path: Path, judgements: list[Judgement]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(
            ["line", "category", "drug", "drug_id", "drug_source", "disease", "doid", "disease_ids",
             "rules", "checker", "known_treats", "co_mentioned", "proof"]
        )  # fmt: skip
        for j in judgements:
            p = j.pair
            writer.writerow(
                [p.line, p.category, p.drug, p.drug_id, p.drug_source, p.disease, p.doid,
                 ",".join(p.disease_ids), ",".join(r for r in RULES if r in j.rules),
                 j.checker or "", j.known_treats, j.co_mentioned, " | ".join(j.proof)]
            )  # fmt: skip
