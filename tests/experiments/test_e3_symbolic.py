"""E3 on a hand-checked slice: 10 real PharmacotherapyDB rows, 2 real BC5CDR abstracts.

Corpus (CDR_TrainingSet.PubTator.txt): PMID 227508 ``CID D008750 D007022`` (methyldopa
induces hypotension) and PMID 12574103 ``CID D003907 D007674`` and ``CID D003907 D006973``
(dexamethasone induces kidney diseases and hypertension).

Rows of indications.shared.tsv (file line: category drug - disease -> expected rule):

* 531 DM  Methyldopa - hypertension: sibling (Hypotension and Hypertension share C14.907)
* 566 NOT Dexamethasone - hypertension: exact, the checker rejects it
* 558 NOT Betamethasone - hypertension: class (both Pregnadienetriols, D04.808.745.432.769)
* 608 SYM Dexamethasone - kidney cancer: broader (Kidney Diseases is an ancestor of Kidney
  Neoplasms), the checker rejects it
* 173 DM  Dexamethasone - atopic dermatitis, 502 DM Amlodipine - hypertension, 348 NOT
  Dopamine - coronary artery disease (DOID:3393 has 3 MSH xrefs), 933 NOT Captopril -
  rheumatoid arthritis: nothing fires
* 556 NOT Acetylsalicylic acid - hypertension: unmapped, no MeSH descriptor of that name
* 641 DM  Bleomycin - lymphatic system cancer: unmapped, DOID:0060073 has no MSH xref
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from experiments.benchmarks.e3_symbolic import run
from experiments.inputs import record_reads, unlisted
from experiments.tasks import TaskOutput
from rl.facts import LabDataError

ROWS = (531, 566, 558, 608, 173, 502, 348, 933, 556, 641)
PMIDS = ("227508", "12574103")


def pubtator_slice(path: Path, pmids: tuple[str, ...], dest: Path) -> Path:
    blocks = [b for b in path.read_text().split("\n\n") if b.split("|", 1)[0] in pmids]
    assert len(blocks) == len(pmids)
    dest.write_text("\n\n".join(blocks) + "\n\n")
    return dest


def rows_slice(path: Path, lines: tuple[int, ...], dest: Path) -> Path:
    text = path.read_text().splitlines()
    dest.write_text("\n".join([text[0], *(text[n - 1] for n in lines)]) + "\n")
    return dest


@pytest.fixture(scope="module")
def params(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    tmp = tmp_path_factory.mktemp("e3")
    table = data_dir / "bio/pharmacotherapydb/indications.shared.tsv"
    corpus = data_dir / "bio/bc5cdr/CDR_TrainingSet.PubTator.txt"
    return {
        "indications": str(rows_slice(table, ROWS, tmp / "rows.tsv")),
        "corpora": [str(pubtator_slice(corpus, PMIDS, tmp / "cdr.txt"))],
    }


@pytest.fixture(scope="module")
def output(
    params: dict[str, object], tmp_path_factory: pytest.TempPathFactory, data_dir: Path
) -> tuple[TaskOutput, Path, set[str]]:
    run_dir = tmp_path_factory.mktemp("e3_run")
    slices = Path(str(params["indications"])).parent
    with record_reads(data_dir) as shared, record_reads(slices) as sliced:
        out = run(params, 0, run_dir)
    return out, run_dir, shared | sliced


@pytest.fixture(scope="module")
def result(output: tuple[TaskOutput, Path, set[str]]) -> tuple:
    return output[0].metrics, output[1]


def test_every_file_read_is_a_listed_input(output: tuple[TaskOutput, Path, set[str]]) -> None:
    out, run_dir, reads = output
    assert unlisted(reads, out.inputs) == []
    assert {Path(p).name for p in reads} >= {"terms.tsv", "xrefs.tsv", "rows.tsv", "cdr.txt"}
    assert "Wall time" in (run_dir / "table.md").read_text()


def by_category(metrics: dict[str, float], key: str) -> tuple[float, ...]:
    return tuple(metrics[f"e3/{key}/{c}"] for c in ("DM", "SYM", "NOT"))


def test_mapping_counts(result: tuple) -> None:
    metrics, _ = result
    assert by_category(metrics, "pairs/total") == (4, 1, 5)
    assert by_category(metrics, "pairs/mapped") == (3, 1, 4)
    assert by_category(metrics, "pairs/unmapped_drug") == (0, 0, 1)
    assert by_category(metrics, "pairs/unmapped_disease") == (1, 0, 0)
    assert by_category(metrics, "pairs/multi_mesh") == (0, 0, 1)
    assert metrics["e3/kb/facts"] == 3


def test_rules_and_coverage(result: tuple) -> None:
    metrics, run_dir = result
    assert by_category(metrics, "rules/exact") == (0, 0, 1)
    assert by_category(metrics, "rules/broader") == (0, 1, 0)
    assert by_category(metrics, "rules/sibling") == (1, 0, 0)
    assert by_category(metrics, "rules/class") == (0, 0, 1)
    assert by_category(metrics, "rules/narrower") == (0, 0, 0)
    assert by_category(metrics, "rules/ill_typed") == (0, 0, 0)
    assert by_category(metrics, "checker_reason/exact") == (0, 0, 1)
    assert by_category(metrics, "checker_reason/broader") == (0, 1, 0)
    # Methyldopa (531), Dexamethasone (566, 608, 173); Hypertension (531, 566, 558, 502).
    assert by_category(metrics, "coverage/drug_mentioned") == (2, 1, 1)
    assert by_category(metrics, "coverage/disease_mentioned") == (2, 0, 2)
    assert by_category(metrics, "coverage/never_mentioned") == (2, 1, 3)
    assert by_category(metrics, "coverage/co_mentioned") == (1, 0, 1)
    assert by_category(metrics, "coverage/linked") == (1, 1, 2)
    assert by_category(metrics, "coverage/known_treats") == (0, 0, 0)
    rows = (run_dir / "pairs.tsv").read_text().splitlines()
    assert len(rows) == 1 + 8
    dexa = rows[2].split("\t")  # line 3 of the slice: row 566
    assert dexa[1:3] == ["NOT", "Dexamethasone"]
    assert dexa[8:10] == ["exact", "exact"]  # rules, checker
    assert dexa[-1] == (
        "known fact: Dexamethasone (MESH:D003907) induces hypertension (MESH:D006973) | "
        "rule contradicts(treats, induces): induces is known for the same disease"
    )


def test_classifier_counts(result: tuple) -> None:
    metrics, _ = result

    def counts(variant: str, classifier: str) -> tuple[float, ...]:
        return tuple(metrics[f"e3/{variant}/{classifier}/{s}"] for s in ("tp", "fp", "fn", "tn"))

    assert counts("dm_vs_not", "checker") == (1, 0, 3, 3)
    assert metrics["e3/dm_vs_not/checker/precision"] == 1.0
    assert metrics["e3/dm_vs_not/checker/recall"] == 0.25
    assert metrics["e3/dm_vs_not/checker/f1"] == pytest.approx(0.4)
    # One rejected pair out of 7, 4 of them NOT: P(it is a NOT) = 4/7.
    assert metrics["e3/dm_vs_not/checker/fisher_p"] == pytest.approx(4 / 7)
    assert counts("dmsym_vs_not", "checker") == (1, 1, 3, 3)
    assert metrics["e3/dmsym_vs_not/checker/f1"] == pytest.approx(1 / 3)
    assert counts("dm_vs_not", "checker_class") == (2, 0, 2, 3)
    assert counts("dm_vs_not", "checker_sibling") == (1, 1, 3, 2)
    assert counts("dm_vs_not", "all_rules") == (2, 1, 2, 2)
    assert counts("dmsym_vs_not", "rule_broader") == (0, 1, 4, 3)
    # Per mapping: Dopamine - coronary artery disease (348, NOT) is 3 hypotheses, none rejected.
    assert counts("dm_vs_not", "checker_each_mapping") == (1, 0, 5, 3)
    assert metrics["e3/dmsym_vs_not/base/prevalence"] == pytest.approx(4 / 8)


def test_metrics_are_deterministic(
    params: dict[str, object], result: tuple, tmp_path: Path
) -> None:
    again = run(params, 1, tmp_path).metrics
    assert json.dumps(again, sort_keys=True) == json.dumps(result[0], sort_keys=True)
    # The table's results repeat byte for byte; its last line holds this run's timings.
    tables = [(d / "table.md").read_text() for d in (tmp_path, result[1])]
    first, second = (t.rsplit("\nSteps: ", 1) for t in tables)
    assert first[0] == second[0] and len(first) == len(second) == 2


def test_bad_params_and_rows_are_named(params: dict[str, object], tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="corpus"):
        run({**params, "corpus": []}, 0, tmp_path)
    with pytest.raises(FileNotFoundError, match="`corpora`"):
        run({**params, "corpora": [str(tmp_path / "missing.txt")]}, 0, tmp_path)
    bad = tmp_path / "bad.tsv"
    text = Path(str(params["indications"])).read_text().replace("\tNOT\t", "\tNOPE\t", 1)
    bad.write_text(text)
    with pytest.raises(LabDataError, match=r"line 3, column `category`.*'NOPE'"):
        run({**params, "indications": str(bad)}, 0, tmp_path)


@pytest.mark.slow
def test_full_benchmark_pair_counts(tmp_path: Path) -> None:
    """The full run: pair counts from pharmacotherapydb/README.md (DM 755-151, SYM 390-78,
    NOT 243-49); facts come from the corpora only."""
    metrics = run({}, 0, tmp_path).metrics
    assert by_category(metrics, "pairs/total") == (604, 312, 194)
    assert by_category(metrics, "pairs/mapped") == (408, 201, 126)
    assert by_category(metrics, "pairs/unmapped_disease") == (6, 0, 0)  # DOID:0060073 only
    assert metrics["e3/dm_vs_not/base/n"] == 408 + 126
    assert "Rejection as a NOT detector" in (tmp_path / "table.md").read_text()
