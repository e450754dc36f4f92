"""E1, time-sliced: would the literature before a discovery's year have ranked it?

E1 proper (`experiments.benchmarks.e1_ranking`) holds out BC5CDR literature, which is not
ordered in time. This version uses the dated pairs of ``bio/medline_discoveries`` (see
`experiments.benchmarks.e1_timesliced_data`): for each pair, only abstracts published
strictly before the pair's year are read, and the pair is scored with the classical
literature-based discovery scores over that slice:

- ``cooccurrence``: abstracts mentioning both (zero whenever the pair is still undiscovered);
- ``common_neighbors``, ``jaccard``, ``adamic_adar``: linking terms shared by the two
  concepts, from the project's own ``agent.generate.abc_features`` (``adamic_adar`` is its
  ``abc_score``);
- the project's generator, ``agent.generate.generate_for_target``, where it applies: with
  the pair's second concept as the target and candidates of the first concept's type, does
  it propose the first concept, and at which rank? (It never proposes a pair already
  co-mentioned, nor one without a linking term.)

The only dated literature in the shared data is PubMedQA PQA-L: 942 dated abstracts of
1989-2017, indexed by MeSH headings. ``exact`` uses the headings as given; ``exploded`` also
indexes each abstract under the MeSH ancestors of its headings (PubMed's explode).

Reported: coverage per label (how many pairs have both concepts in the pre-year slice), then
on the covered pairs the AUROC of yes against no (maybe left out) with a stratified
bootstrap 95% CI, and for each known ND discovery its rank among the generator's candidates
for its target, where computable. With a thousand abstracts, coverage is tiny; that is
measured and reported, not hidden: metrics that cannot be computed are left out of
``metrics.json`` and the table says why. The bootstrap is seeded with the run's seed;
nothing else is random.
"""

from __future__ import annotations

import csv
import logging
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from agent.generate import AbcSettings, abc_features, generate_for_target
from experiments.benchmarks.e1_timesliced_data import (
    LABELS,
    DatedLiterature,
    DatedPair,
    read_annotated,
    read_discoveries,
    read_pubmedqa_meshes,
)
from experiments.benchmarks.stats import auroc, bootstrap_aurocs, percentile_ci
from experiments.inputs import mesh_inputs
from experiments.resources import ResourceMeter
from experiments.tasks import TaskOutput
from retrieval.cooccurrence import CooccurrenceGraph
from retrieval.datadir import data_dir, resolve
from retrieval.mesh import MeshVocabulary

logger = logging.getLogger(__name__)

Mode = Literal["exact", "exploded"]
MODES: tuple[Mode, ...] = ("exact", "exploded")
SCORES = ("cooccurrence", "common_neighbors", "jaccard", "adamic_adar")
_ABC_KEYS = {"common_neighbors": "linking_terms", "jaccard": "jaccard", "adamic_adar": "abc_score"}
PREFIX = "e1ts"


class TimeSlicedParams(BaseModel):
    """Parameters of the time-sliced E1; the defaults are the full benchmark."""

    model_config = ConfigDict(extra="forbid")

    pairs: str = Field(
        "bio/medline_discoveries/annotated-relations.shared.tsv",
        description="Annotated dated pairs (yes/no/maybe); relative paths are in the data dir.",
    )
    discoveries: str | None = Field(
        "bio/medline_discoveries/ND-discoveries-year.tsv",
        description="Known discoveries (label `known`) ranked by the generator; None: none.",
    )
    literature: str = Field(
        "bio/pubmedqa_pqal/ori_pqal.json",
        description="Dated literature: PubMedQA-style JSON with YEAR and MESHES per PMID.",
    )
    cutoff: Literal["year", "gold_year"] = Field(
        "year",
        description="Read abstracts older than `year` (the surge year; all pairs have one) or, "
        "where annotated, `gold.year` (yes rows only: it makes their slices older than those "
        "of the no rows, which biases yes-vs-no comparisons).",
    )
    modes: list[Mode] = Field(
        default_factory=lambda: list(MODES),
        description="Headings as given, and/or exploded to their MeSH ancestors.",
    )
    bootstrap: int = Field(1000, ge=0, description="Stratified resamples for the AUROC CIs.")
    data_dir: str | None = Field(None, description="Data directory; default SCIDISCO_DATA.")


@dataclass
class Scored:
    """One pair in one mode: its slice, its scores and what the generator made of it."""

    pair: DatedPair
    mode: Mode
    cutoff: int
    in_mesh: bool
    docs_before: int
    docs_c1: int
    docs_c2: int
    covered_any_year: bool
    scores: dict[str, float] = field(default_factory=dict)
    generator: str = ""  # proposed, co-mentioned, no linking term, or absent
    rank: int | None = None  # generator's position of c1 among the target's candidates
    tie_rank: int | None = None  # rank counting every candidate scored at least as high
    candidates: int | None = None

    @property
    def covered(self) -> bool:
        return self.docs_c1 > 0 and self.docs_c2 > 0


class Slices:
    """The literature before each year: document counts, and co-occurrence graphs on demand.

    A graph is built (once per year) only for a year some covered pair needs; counting an
    id's abstracts before a year is a binary search in its sorted publication years.
    """

    def __init__(self, literature: DatedLiterature, mesh: MeshVocabulary, mode: Mode) -> None:
        self.literature = literature.exploded(mesh) if mode == "exploded" else literature
        self.mesh = mesh
        self._graphs: dict[int, CooccurrenceGraph] = {}
        years: dict[str, list[int]] = {}
        for year, ids in self.literature.docs.values():
            for mesh_id in ids:
                years.setdefault(mesh_id, []).append(year)
        self._years = {mesh_id: sorted(ys) for mesh_id, ys in years.items()}

    def doc_count(self, mesh_id: str, before: int | None = None) -> int:
        """Abstracts indexed under ``mesh_id`` published before ``before`` (None: any year)."""
        years = self._years.get(mesh_id, [])
        return len(years) if before is None else bisect_left(years, before)

    def docs_before(self, year: int) -> int:
        return bisect_left(self.literature.years(), year)

    def graph(self, before: int) -> CooccurrenceGraph:
        if before not in self._graphs:
            self._graphs[before] = self.literature.graph(before, self.mesh)
        return self._graphs[before]


def score_pair(pair: DatedPair, slices: Slices, mode: Mode, rule: str) -> Scored:
    """Scores of ``pair`` over the literature before its cutoff (see the module docstring)."""
    cutoff = pair.cutoff(rule)
    scored = Scored(
        pair,
        mode,
        cutoff,
        in_mesh=pair.c1 in slices.mesh and pair.c2 in slices.mesh,
        docs_before=slices.docs_before(cutoff),
        docs_c1=slices.doc_count(pair.c1, cutoff),
        docs_c2=slices.doc_count(pair.c2, cutoff),
        covered_any_year=bool(slices.doc_count(pair.c1) and slices.doc_count(pair.c2)),
    )
    if not scored.covered:
        scored.generator = "absent"
        return scored
    graph = slices.graph(cutoff)
    features = abc_features(graph, pair.c1, pair.c2)
    scored.scores = {"cooccurrence": float(graph.count(pair.c1, pair.c2))}
    scored.scores |= {name: features[key] for name, key in _ABC_KEYS.items()}
    _generator_rank(scored, graph)
    return scored


def _generator_rank(scored: Scored, graph: CooccurrenceGraph) -> None:
    pair = scored.pair
    if graph.count(pair.c1, pair.c2):
        scored.generator = "co-mentioned"
        return
    settings = AbcSettings(
        subject_type=graph.entity(pair.c1).type, max_candidates=len(graph.entities())
    )
    candidates = generate_for_target(graph, pair.c2, settings)
    ids = [h.subject.id for h in candidates]
    scored.candidates = len(ids)
    if pair.c1 not in ids:
        scored.generator = "no linking term"
        return
    scored.generator = "proposed"
    scored.rank = ids.index(pair.c1) + 1
    own = candidates[scored.rank - 1].scores["abc_score"]
    scored.tie_rank = sum(h.scores["abc_score"] >= own for h in candidates)


def run(params: dict[str, Any], seed: int, run_dir: Path) -> TaskOutput:
    """Score every dated pair, write ``table.md`` and ``pairs.tsv``; see the module doc."""
    cfg = TimeSlicedParams.model_validate(params)
    meter = ResourceMeter()
    inputs = _inputs(cfg)
    mesh = MeshVocabulary.load(data_dir(cfg.data_dir))
    literature = read_pubmedqa_meshes(inputs["literature"], mesh)
    pairs = read_annotated(inputs["pairs"])
    if "discoveries" in inputs:
        pairs += read_discoveries(inputs["discoveries"])

    scored: dict[Mode, list[Scored]] = {}
    for mode in cfg.modes:
        slices = Slices(literature, mesh, mode)
        scored[mode] = [score_pair(p, slices, mode, cfg.cutoff) for p in pairs]
    metrics = literature_metrics(literature, [p.cutoff(cfg.cutoff) for p in pairs])
    for mode, rows in scored.items():
        metrics |= coverage_metrics(rows, mode)
        metrics |= ranking_metrics(rows, mode, cfg.bootstrap, seed)
    _write_pairs(run_dir / "pairs.tsv", [s for rows in scored.values() for s in rows])
    table = render_table(metrics, scored, cfg, meter.usage().note())
    (run_dir / "table.md").write_text(table)
    print(table)
    return TaskOutput(metrics=metrics, inputs=inputs)


def _inputs(cfg: TimeSlicedParams) -> dict[str, Path]:
    files = {"pairs": cfg.pairs, "literature": cfg.literature}
    if cfg.discoveries:
        files["discoveries"] = cfg.discoveries
    inputs = {role: resolve(path, cfg.data_dir) for role, path in files.items()}
    for role, path in inputs.items():
        if not path.is_file():
            raise FileNotFoundError(
                f"`{role}` names {path}, which does not exist; give a path inside the data "
                "directory (e.g. bio/medline_discoveries/annotated-relations.shared.tsv) or an "
                "absolute one"
            )
    return inputs | mesh_inputs(cfg.data_dir)


def literature_metrics(literature: DatedLiterature, cutoffs: Sequence[int]) -> dict[str, float]:
    """Sizes of the literature, and how much of it is older than the pairs' median cutoff."""
    years, median = np.array(literature.years()), float(np.median(cutoffs))
    return {
        f"{PREFIX}/literature/median_year": float(np.median(years)) if years.size else 0.0,
        f"{PREFIX}/pairs/median_cutoff": median,
        f"{PREFIX}/literature/before_median_cutoff": float((years < median).sum()),
        f"{PREFIX}/literature/dated_abstracts": float(len(literature.docs)),
        f"{PREFIX}/literature/undated_abstracts": float(literature.undated),
        f"{PREFIX}/literature/headings": float(literature.headings),
        f"{PREFIX}/literature/unmapped_headings": float(sum(literature.unmapped.values())),
    }


COVERAGE = {
    "pairs": lambda s: True,
    "in_mesh": lambda s: s.in_mesh,
    "c1_before": lambda s: s.docs_c1 > 0,
    "c2_before": lambda s: s.docs_c2 > 0,
    "covered": lambda s: s.covered,
    "covered_any_year": lambda s: s.covered_any_year,
    "comentioned_before": lambda s: s.generator == "co-mentioned",
    "proposed": lambda s: s.generator == "proposed",
}


def coverage_metrics(rows: Sequence[Scored], mode: str) -> dict[str, float]:
    """Counts per label of the `COVERAGE` measures."""
    out = {}
    for label in LABELS:
        mine = [s for s in rows if s.pair.label == label]
        if not mine:
            continue
        for name, test in COVERAGE.items():
            out[f"{PREFIX}/{mode}/coverage/{label}/{name}"] = float(sum(map(test, mine)))
    return out


def ranking_metrics(rows: Sequence[Scored], mode: str, n_boot: int, seed: int) -> dict[str, float]:
    """AUROC of yes against no on covered pairs per score, with CIs; known pairs' ranks."""
    base = f"{PREFIX}/{mode}"
    yes = [s for s in rows if s.covered and s.pair.label == "yes"]
    no = [s for s in rows if s.covered and s.pair.label == "no"]
    out = {f"{base}/auroc_n_yes": float(len(yes)), f"{base}/auroc_n_no": float(len(no))}
    if yes and no:
        sets = {
            name: (np.array([s.scores[name] for s in yes]), np.array([s.scores[name] for s in no]))
            for name in SCORES
        }
        boot = bootstrap_aurocs(sets, n_boot, seed) if n_boot else {}
        for name, (pos, neg) in sets.items():
            out[f"{base}/auroc/{name}"] = auroc(pos, neg)
            if name in boot:
                low, high = percentile_ci(boot[name])
                out[f"{base}/auroc/{name}_ci_low"], out[f"{base}/auroc/{name}_ci_high"] = low, high
    for s in rows:
        if s.pair.label != "known":
            continue
        key = f"{base}/known/{s.pair.key}"
        out[f"{key}/docs_c1"], out[f"{key}/docs_c2"] = float(s.docs_c1), float(s.docs_c2)
        if s.rank is not None and s.candidates is not None and s.tie_rank is not None:
            out[f"{key}/rank"], out[f"{key}/tie_rank"] = float(s.rank), float(s.tie_rank)
            out[f"{key}/candidates"] = float(s.candidates)
    return out


def render_table(
    metrics: dict[str, float],
    scored: dict[Mode, list[Scored]],
    cfg: TimeSlicedParams,
    usage: str,
) -> str:
    """The run folder's ``table.md``: literature, coverage, AUROC, known discoveries, notes."""
    m = metrics
    lit = f"{PREFIX}/literature"
    lines = [
        "E1 time-sliced: dated medline-discoveries pairs, literature before each pair's "
        f"{'gold.year where given, else year' if cfg.cutoff == 'gold_year' else 'year'}",
        "",
        f"Literature: {int(m[f'{lit}/dated_abstracts'])} dated PubMedQA PQA-L abstracts "
        f"({int(m[f'{lit}/undated_abstracts'])} without a year left out); "
        f"{int(m[f'{lit}/unmapped_headings'])} of {int(m[f'{lit}/headings'])} MeSH headings "
        "are no MeSH 2015 preferred name and are dropped.",
    ]
    for mode, rows in scored.items():
        lines += ["", f"## Coverage, {mode} headings", "", *_coverage_rows(m, mode, rows)]
        lines += ["", f"## Yes against no on covered pairs, {mode} headings", ""]
        lines += _auroc_rows(m, mode)
    lines += ["", "## Known discoveries (ND): rank among the generator's candidates", ""]
    lines += _known_rows(scored)
    lines += ["", *_notes(cfg, m), "", usage]
    return "\n".join(lines) + "\n"


_COVERAGE_NAMES = {
    "pairs": "pairs",
    "in_mesh": "both ids in MeSH 2015",
    "c1_before": "c1 in an abstract before the cutoff",
    "c2_before": "c2 in an abstract before the cutoff",
    "covered": "both before the cutoff (covered)",
    "covered_any_year": "both in some dated abstract, any year",
    "comentioned_before": "covered and already co-mentioned",
    "proposed": "proposed by the generator (target c2)",
}


def _coverage_rows(m: dict[str, float], mode: str, rows: Sequence[Scored]) -> list[str]:
    labels = [lab for lab in LABELS if any(s.pair.label == lab for s in rows)]
    lines = ["| | " + " | ".join(labels) + " |", "|---|" + "---|" * len(labels)]
    for name, text in _COVERAGE_NAMES.items():
        cells = [f"{m[f'{PREFIX}/{mode}/coverage/{lab}/{name}']:.0f}" for lab in labels]
        lines.append(f"| {text} | " + " | ".join(cells) + " |")
    return lines


def _auroc_rows(m: dict[str, float], mode: str) -> list[str]:
    base = f"{PREFIX}/{mode}"
    n_yes, n_no = int(m[f"{base}/auroc_n_yes"]), int(m[f"{base}/auroc_n_no"])
    if f"{base}/auroc/adamic_adar" not in m:
        return [
            f"Not computable: {n_yes} covered yes and {n_no} covered no pairs (AUROC needs at "
            "least one of each)."
        ]
    lines = [
        f"{n_yes} yes against {n_no} no pairs.",
        "",
        "| score | AUROC [95% CI] |",
        "|---|---|",
    ]
    for name in SCORES:
        cell = f"{m[f'{base}/auroc/{name}']:.3f}"
        if f"{base}/auroc/{name}_ci_low" in m:
            low, high = m[f"{base}/auroc/{name}_ci_low"], m[f"{base}/auroc/{name}_ci_high"]
            cell += f" [{low:.3f}, {high:.3f}]"
        lines.append(f"| {name} | {cell} |")
    return lines


def _known_rows(scored: dict[Mode, list[Scored]]) -> list[str]:
    modes = list(scored)
    header = "| c1 | c2 (target) | year | " + " | ".join(
        f"{mode}: docs c1/c2 before, generator" for mode in modes
    )
    lines = [header + " |", "|---|---|---|" + "---|" * len(modes)]
    by_mode = [[s for s in scored[mode] if s.pair.label == "known"] for mode in modes]
    for row in zip(*by_mode, strict=True):
        pair = row[0].pair
        cells = [f"{s.docs_c1}/{s.docs_c2}, {_generator_cell(s)}" for s in row]
        lines.append(f"| {pair.term1} | {pair.term2} | {pair.year} | " + " | ".join(cells) + " |")
    return lines if len(lines) > 2 else ["No known discoveries given (`discoveries`)."]


def _generator_cell(s: Scored) -> str:
    if s.generator == "proposed":
        return f"rank {s.rank} of {s.candidates} (ties pessimistic: {s.tie_rank})"
    if s.generator == "no linking term":
        return f"not among the {s.candidates} candidates (no linking term)"
    return s.generator


def _notes(cfg: TimeSlicedParams, m: dict[str, float]) -> list[str]:
    lit, median = f"{PREFIX}/literature", m[f"{PREFIX}/pairs/median_cutoff"]
    return [
        "Notes. Covered: both concepts occur in an abstract published before the cutoff; "
        "scores and ranks exist only for covered pairs. Low coverage is the finding here, not "
        f"a failure: {m[f'{lit}/dated_abstracts']:.0f} dated abstracts (median year "
        f"{m[f'{lit}/median_year']:.0f}) hold few of the medline-discoveries concepts, and "
        f"fewer still before each pair's cutoff (median cutoff {median:.0f}; "
        f"{m[f'{lit}/before_median_cutoff']:.0f} abstracts are older than that). A "
        "benchmark that can tell the scores apart needs a dated MEDLINE-scale corpus (the "
        "authors' yearly co-occurrence data, Zenodo 5888572, is not in the shared data). "
        "The AUROC compares yes with no pairs (maybe "
        "left out); with no covered pair of either kind it is not computed. cooccurrence is "
        "zero for every pair never co-mentioned before its year; common_neighbors, jaccard and "
        "adamic_adar are agent.generate.abc_features over the pre-year co-occurrence graph; the "
        "generator is agent.generate.generate_for_target with c2 as the target and candidates "
        "of c1's MeSH type (disease, chemical, or other), every candidate kept. "
        f"Bootstrap: {cfg.bootstrap} stratified resamples (percentile 95% CI).",
    ]


def _write_pairs(path: Path, rows: Sequence[Scored]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(
            ["mode", "label", "c1", "c2", "term1", "term2", "year", "cutoff", "in_mesh",
             "docs_before", "docs_c1", "docs_c2", *SCORES, "generator", "rank", "tie_rank",
             "candidates"]
        )  # fmt: skip
        for s in rows:
            p = s.pair
            writer.writerow(
                [s.mode, p.label, p.c1, p.c2, p.term1, p.term2, p.year, s.cutoff, s.in_mesh,
                 s.docs_before, s.docs_c1, s.docs_c2,
                 *(f"{s.scores[k]:.6g}" if k in s.scores else "" for k in SCORES),
                 s.generator, s.rank or "", s.tie_rank or "", s.candidates or ""]
            )  # fmt: skip
