"""E1 time-sliced: readers on the real files, scores on a hand-made slice, coverage from data.

Hand-made literature (PubMedQA's format, real MeSH 2015 names; D-ids from mesh/terms.tsv):

    PMID year  headings
    1    1990  Levodopa, Dopamine
    2    1991  Dopamine, Schizophrenia
    3    1992  dopamine, Parkinson Disease, Levodopa, Surveys and Questionnaires (no MeSH name)
    4    1995  Levodopa, Schizophrenia          (after every cutoff below)
    5    -     Levodopa, Schizophrenia          (undated: never used)
    6    1990  Alzheimer Disease

Before 1993 (PMIDs 1, 2, 3, 6): Levodopa's neighbours {Dopamine, Parkinson Disease},
Schizophrenia's {Dopamine}; Dopamine is in 3 abstracts. So levodopa-schizophrenia has
co-occurrence 0, one common neighbour, Jaccard 1/2 and Adamic-Adar 1/ln(1 + 3); the
generator, target Schizophrenia, proposes only Levodopa (Dopamine's other neighbour,
Parkinson Disease, is no chemical). Parkinson Disease-Alzheimer Disease shares nothing.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest

from experiments.benchmarks.e1_timesliced import run
from experiments.benchmarks.e1_timesliced_data import (
    TimeSliceDataError,
    read_annotated,
    read_discoveries,
)

LEVODOPA, DOPAMINE, SCHIZO, PARKINSON, ALZHEIMER = (
    "D007980",
    "D004298",
    "D012559",
    "D010300",
    "D000544",
)
PARKINSONIAN = "D020734"  # Parkinsonian Disorders: a MeSH parent of Parkinson Disease
LITERATURE = {
    "1": ("1990", ["Levodopa", "Dopamine"]),
    "2": ("1991", ["Dopamine", "Schizophrenia"]),
    "3": ("1992", ["dopamine", "Parkinson Disease", "Levodopa", "Surveys and Questionnaires"]),
    "4": ("1995", ["Levodopa", "Schizophrenia"]),
    "5": (None, ["Levodopa", "Schizophrenia"]),
    "6": ("1990", ["Alzheimer Disease"]),
}
ANNOTATED_HEADER = "c1\tc2\tterm.c1\tterm.c2\tgroup.c1\tgroup.c2\tyear\tdiscovery\tgold.year"
ANNOTATED = [
    f"{LEVODOPA}\t{SCHIZO}\tlevodopa\tSchizophrenia\tCHEM\tDISO\t1993\tyes\t1991",
    f"{PARKINSON}\t{ALZHEIMER}\tParkinson Disease\tAlzheimer Disease\tDISO\tDISO\t1993\tno\t",
    f"{DOPAMINE}\t{PARKINSON}\tdopamine\tParkinson Disease\tCHEM\tDISO\t1992\tno\t",
    f"{LEVODOPA}\t{ALZHEIMER}\tlevodopa\tAlzheimer Disease\tCHEM\tDISO\t1991\tmaybe\t",
    "D000073885\tD057180\tC9orf72 Protein\tFTD\tCHEM\tDISO\t2009\tyes\t2009",
]
ND_HEADER = "c1\tc2\tterm.c1\tgroup.c1\tterm.c2\tgroup.c2\tyear\tsource\tnotes"
ND = [f"{LEVODOPA}\t{PARKINSONIAN}\tlevodopa\tCHEM\tParkinsonian Disorders\tDISO\t1993\tx\t"]


def write_time_slice(folder: Path) -> dict[str, object]:
    """Write the hand-made literature and pairs into ``folder``; return E1-time-sliced params."""
    entries = {
        pmid: {"QUESTION": "?", "CONTEXTS": ["."], "MESHES": names}
        | ({"YEAR": year} if year else {})
        for pmid, (year, names) in LITERATURE.items()
    }
    (folder / "pqal.json").write_text(json.dumps(entries))
    (folder / "pairs.tsv").write_text("\n".join([ANNOTATED_HEADER, *ANNOTATED]) + "\n")
    (folder / "nd.tsv").write_text("\n".join([ND_HEADER, *ND]) + "\n")
    return {
        "pairs": str(folder / "pairs.tsv"),
        "discoveries": str(folder / "nd.tsv"),
        "literature": str(folder / "pqal.json"),
        "bootstrap": 50,
    }


@pytest.fixture(scope="module")
def slice_params(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    return write_time_slice(tmp_path_factory.mktemp("e1ts"))


@pytest.fixture(scope="module")
def slice_metrics(
    slice_params: dict[str, object], tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, float], Path]:
    run_dir = tmp_path_factory.mktemp("e1ts-run")
    return run(slice_params, 0, run_dir).metrics, run_dir


def test_readers_on_the_shared_files(data_dir: Path) -> None:
    folder = data_dir / "bio/medline_discoveries"
    pairs = read_annotated(folder / "annotated-relations.shared.tsv")
    # bio/medline_discoveries/README.md: "In this file: no 52, yes 25, maybe 22."
    assert len(pairs) == 99
    assert [sum(p.label == lab for p in pairs) for lab in ("no", "yes", "maybe")] == [52, 25, 22]
    assert all(p.gold_year for p in pairs if p.label == "yes")
    known = read_discoveries(folder / "ND-discoveries-year.tsv")
    assert len(known) == 12 and {p.label for p in known} == {"known"}
    levodopa = next(p for p in known if p.term1 == "levodopa" and p.term2 == "Parkinson Disease")
    assert (levodopa.c1, levodopa.c2, levodopa.year) == ("MESH:D007980", "MESH:D010300", 1961)


def test_bad_rows_are_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_text(ANNOTATED_HEADER + "\n" + ANNOTATED[0].replace("\tyes\t", "\tperhaps\t") + "\n")
    with pytest.raises(TimeSliceDataError, match=r"bad\.tsv, line 2: `discovery` must be yes"):
        read_annotated(bad)
    bad.write_text(ANNOTATED_HEADER + "\n" + ANNOTATED[0].replace("\t1993\t", "\tsoon\t") + "\n")
    with pytest.raises(TimeSliceDataError, match=r"line 2: `year` must be a year.*'soon'"):
        read_annotated(bad)
    bad.write_text("c1\tc2\n")
    with pytest.raises(TimeSliceDataError, match=r"header lacks \['term.c1'"):
        read_annotated(bad)
    with pytest.raises(FileNotFoundError, match="`literature` names"):
        run({"literature": str(tmp_path / "missing.json")}, 0, tmp_path)


def test_literature_counts(slice_metrics: tuple[dict[str, float], Path]) -> None:
    m, _ = slice_metrics
    assert m["e1ts/literature/dated_abstracts"] == 5 and m["e1ts/literature/undated_abstracts"] == 1
    assert m["e1ts/literature/headings"] == 11 and m["e1ts/literature/unmapped_headings"] == 1


def test_coverage_by_hand(slice_metrics: tuple[dict[str, float], Path]) -> None:
    m, _ = slice_metrics
    cov = "e1ts/exact/coverage"
    assert m[f"{cov}/yes/pairs"] == 2 and m[f"{cov}/yes/in_mesh"] == 1  # C9orf72: not in 2015
    assert m[f"{cov}/yes/covered"] == 1 and m[f"{cov}/yes/proposed"] == 1
    # dopamine-Parkinson before 1992: Parkinson Disease first appears in 1992.
    assert m[f"{cov}/no/c1_before"] == 2 and m[f"{cov}/no/c2_before"] == 1
    assert m[f"{cov}/no/covered"] == 1 and m[f"{cov}/no/covered_any_year"] == 2
    assert m[f"{cov}/maybe/covered"] == 1 and m[f"{cov}/maybe/proposed"] == 0


def test_scores_and_generator_rank_by_hand(slice_metrics: tuple[dict[str, float], Path]) -> None:
    m, run_dir = slice_metrics
    with (run_dir / "pairs.tsv").open() as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert len(rows) == 2 * 6  # 5 annotated + 1 known pair, two heading modes
    pair = next(r for r in rows if r["mode"] == "exact" and r["c2"] == f"MESH:{SCHIZO}")
    assert (pair["docs_before"], pair["docs_c1"], pair["docs_c2"]) == ("4", "2", "1")
    assert float(pair["cooccurrence"]) == 0  # PMID 4 is too late, PMID 5 undated
    assert float(pair["common_neighbors"]) == 1 and float(pair["jaccard"]) == 0.5
    assert float(pair["adamic_adar"]) == pytest.approx(1 / math.log(4), rel=1e-5)
    assert (pair["generator"], pair["rank"], pair["candidates"]) == ("proposed", "1", "1")
    other = next(r for r in rows if r["mode"] == "exact" and r["c2"] == f"MESH:{ALZHEIMER}")
    assert float(other["adamic_adar"]) == 0 and other["generator"] == "no linking term"

    # One covered yes (0.72) against one covered no (0): linking-term scores separate them,
    # co-occurrence (0 for both) ties at 0.5.
    assert m["e1ts/exact/auroc_n_yes"] == 1 and m["e1ts/exact/auroc_n_no"] == 1
    for score in ("common_neighbors", "jaccard", "adamic_adar"):
        assert m[f"e1ts/exact/auroc/{score}"] == 1.0
    assert m["e1ts/exact/auroc/cooccurrence"] == 0.5


def test_exploded_headings_cover_a_mesh_parent(
    slice_metrics: tuple[dict[str, float], Path],
) -> None:
    m, run_dir = slice_metrics
    key = f"{LEVODOPA}-{PARKINSONIAN}"
    assert m[f"e1ts/exact/known/{key}/docs_c2"] == 0
    # PMID 3 (Parkinson Disease) is indexed under Parkinsonian Disorders too, with Levodopa.
    assert m[f"e1ts/exploded/known/{key}/docs_c2"] == 1
    assert f"e1ts/exploded/known/{key}/rank" not in m  # co-mentioned: the generator skips it
    table = (run_dir / "table.md").read_text()
    assert "| levodopa | Parkinsonian Disorders | 1993 | 2/0, absent | 2/1, co-mentioned |" in table


def test_gold_year_cutoff_and_uncomputable_auroc(
    slice_params: dict[str, object], tmp_path: Path
) -> None:
    output = run({**slice_params, "cutoff": "gold_year", "modes": ["exact"]}, 0, tmp_path)
    m = output.metrics
    # Before 1991 (the yes pair's gold.year) Schizophrenia is in no abstract.
    assert m["e1ts/exact/coverage/yes/covered"] == 0 and "e1ts/exact/auroc/adamic_adar" not in m
    assert (
        "Not computable: 0 covered yes and 1 covered no pairs"
        in (tmp_path / "table.md").read_text()
    )
    assert set(output.inputs) >= {"pairs", "discoveries", "literature", "mesh_terms"}


def test_shared_data_coverage_matches_a_count_from_the_files(
    data_dir: Path, tmp_path: Path
) -> None:
    """The real benchmark (exact headings), against a count done here from the raw files."""
    output = run({"modes": ["exact"], "bootstrap": 0}, 0, tmp_path)
    m = output.metrics
    with (data_dir / "bio/mesh/terms.tsv").open() as handle:
        ids = {r["mesh_name"].lower(): r["mesh_id"] for r in csv.DictReader(handle, delimiter="\t")}
    entries = json.loads((data_dir / "bio/pubmedqa_pqal/ori_pqal.json").read_text())
    dated = [
        (int(e["YEAR"]), {ids[n.lower()] for n in e["MESHES"] if n.lower() in ids})
        for e in entries.values()
        if e.get("YEAR")
    ]
    path = data_dir / "bio/medline_discoveries/annotated-relations.shared.tsv"
    with path.open() as handle:
        pairs = list(csv.DictReader(handle, delimiter="\t"))
    for label in ("yes", "no", "maybe"):
        covered = sum(
            any(r["c1"] in h for y, h in dated if y < int(r["year"]))
            and any(r["c2"] in h for y, h in dated if y < int(r["year"]))
            for r in pairs
            if r["discovery"] == label
        )
        assert m[f"e1ts/exact/coverage/{label}/covered"] == covered
    before_2019 = [h for y, h in dated if y < 2019]
    key = "e1ts/exact/known/D000544-D001714"  # Alzheimer Disease - Bipolar Disorder, 2019
    assert m[f"{key}/docs_c1"] == sum(ALZHEIMER in h for h in before_2019)
    assert m[f"{key}/docs_c2"] == sum("D001714" in h for h in before_2019)
    assert "Low coverage is the finding here" in (tmp_path / "table.md").read_text()
