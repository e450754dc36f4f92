"""Labs on real curated facts: BC5CDR dev CID pairs, PharmacotherapyDB, DisGeNET, TSV input."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.types import Entity, EntityType, Hypothesis, Relation
from rl.facts import LabDataError
from rl.labs import HumanLab, Lab, SimulatedLab
from tests.rl.rl_helpers import hypothesis


def test_known_dev_pair_is_confirmed(dev_lab: SimulatedLab, dev_cid: list) -> None:
    _, chemical, disease = dev_cid[0]  # 6794356: lithium carbonate induces cyanosis
    outcome = dev_lab.test(hypothesis(chemical, disease))
    assert outcome.confirmed is True
    assert outcome.lab == "pubtator:CDR_DevelopmentSet.PubTator.txt"
    assert "curated fact" in outcome.detail


def test_unrelated_dev_pair_is_refuted(dev_lab: SimulatedLab, dev_cid: list) -> None:
    positives = {(c, d) for _, c, d in dev_cid}
    chemical, disease = dev_cid[0][1], dev_cid[-1][2]
    assert (chemical, disease) not in positives  # checked against the file itself
    outcome = dev_lab.test(hypothesis(chemical, disease))
    assert outcome.confirmed is False
    assert "closed world" in outcome.detail


def test_fact_count_matches_the_file(dev_lab: SimulatedLab, dev_cid: list) -> None:
    # 992 CID lines (README), some pairs repeat across abstracts.
    assert len(dev_cid) == 992
    assert len(dev_lab) == len({(c, d) for _, c, d in dev_cid})


def test_reversed_and_other_relations(dev_lab: SimulatedLab, dev_cid: list) -> None:
    _, chemical, disease = dev_cid[0]
    # induces is directed: the reversed claim has no fact and the closed world refutes it.
    assert dev_lab.lookup(disease, Relation.INDUCES, chemical) is False
    # a CID corpus says nothing about treats: undecided rather than refuted.
    treats = dev_lab.test(hypothesis(chemical, disease).model_copy(update={"relation": "treats"}))
    assert treats.confirmed is None


def test_open_world_leaves_unknown_pairs_undecided(bc5cdr_dev: Path, dev_cid: list) -> None:
    lab = SimulatedLab.from_pubtator(bc5cdr_dev, closed_world=False)
    assert lab.test(hypothesis(dev_cid[0][1], dev_cid[-1][2])).confirmed is None
    assert lab.test(hypothesis(dev_cid[0][1], dev_cid[0][2])).confirmed is True


def test_noise_one_flips_every_answer(bc5cdr_dev: Path, dev_cid: list, negative_pairs) -> None:
    lab = SimulatedLab.from_pubtator(bc5cdr_dev, noise=1.0, seed=0)
    positives = [hypothesis(c, d) for _, c, d in dev_cid[:20]]
    negatives = [hypothesis(c, d) for c, d in negative_pairs[:20]]
    assert all(lab.test(h).confirmed is False for h in positives)
    assert all(lab.test(h).confirmed is True for h in negatives)
    assert "flipped" in lab.test(positives[0]).detail


def test_noise_is_seeded(bc5cdr_dev: Path, dev_cid: list) -> None:
    hyps = [hypothesis(c, d) for _, c, d in dev_cid[:200]]
    runs = []
    for _ in range(2):
        lab = SimulatedLab.from_pubtator(bc5cdr_dev, noise=0.3, seed=7)
        runs.append([lab.test(h).confirmed for h in hyps])
    assert runs[0] == runs[1]
    flipped = runs[0].count(False)
    assert 30 < flipped < 90  # 200 draws at p=0.3: mean 60, sd 6.5


def test_bad_noise_is_rejected(dev_lab: SimulatedLab) -> None:
    with pytest.raises(ValueError, match="`noise` must be a probability"):
        SimulatedLab(dev_lab.facts, noise=1.5)


def test_labs_share_the_protocol(dev_lab: SimulatedLab) -> None:
    assert isinstance(dev_lab, Lab)
    assert isinstance(HumanLab(lambda _id: None), Lab)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "facts.tsv"
    path.write_text(text, encoding="utf-8")
    return path


def test_tsv_lab_reads_facts(tmp_path: Path, dev_cid: list) -> None:
    _, chemical, disease = dev_cid[0]
    path = _write(
        tmp_path,
        "subject\trelation\tobject\tlabel\n"
        f"{chemical}\tinduces\t{disease}\ttrue\n"
        f"{chemical}\ttreats\t{disease}\t0\n",
    )
    lab = SimulatedLab.from_tsv(path)
    assert lab.test(hypothesis(chemical, disease)).confirmed is True
    assert lab.lookup(chemical, Relation.TREATS, disease) is False
    assert lab.name == "tsv:facts.tsv"


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        ("D008094\tinduces\tMESH:D003490\ttrue", "subject", "not a namespaced id"),
        ("MESH:D008094\tcauses\tMESH:D003490\ttrue", "relation", "unknown relation 'causes'"),
        ("MESH:D008094\tinduces\tMESH:D003490\tmaybe", "label", "is not true/false"),
    ],
)
def test_tsv_errors_name_file_line_and_column(
    tmp_path: Path, row: str, column: str, message: str
) -> None:
    good = "MESH:D016651\tinduces\tMESH:D001145\ttrue"
    path = _write(tmp_path, f"subject\trelation\tobject\tlabel\n{good}\n{row}\n")
    with pytest.raises(LabDataError, match=message) as info:
        SimulatedLab.from_tsv(path)
    assert (info.value.line, info.value.column) == (3, column)
    assert f"{path}, line 3, column `{column}`" in str(info.value)


def test_tsv_header_and_conflicts(tmp_path: Path) -> None:
    path = _write(tmp_path, "subject\tobject\tlabel\n")
    with pytest.raises(LabDataError, match="header lacks column\\(s\\) relation"):
        SimulatedLab.from_tsv(path)
    row = "MESH:D016651\tinduces\tMESH:D001145"
    path = _write(tmp_path, f"subject\trelation\tobject\tlabel\n{row}\ttrue\n{row}\tfalse\n")
    with pytest.raises(LabDataError, match=r"line 3.*labelled False here but True on line 2"):
        SimulatedLab.from_tsv(path)


def test_pharmacotherapydb_mapping_counts(data_dir: Path) -> None:
    lab = SimulatedLab.from_pharmacotherapydb(data_dir)
    stats = lab.stats
    assert stats is not None
    # README: 97 diseases in the catalog, 4 only in the holdout -> 93 here; xrefs map 96 of 97,
    # and the unmapped one is among these 93.
    assert (stats.objects_total, stats.objects_mapped) == (93, 92)
    # README: 601 drugs, 75 only in the holdout -> 526 here; 356 of 601 names match MeSH, so
    # between 356 - 75 and 356 match here (measured: 318).
    assert stats.subjects_total == 526
    assert stats.subjects_mapped == 318
    assert stats.rows_total == 1110  # README: the shared 80 %


def test_pharmacotherapydb_labels(data_dir: Path) -> None:
    lab = SimulatedLab.from_pharmacotherapydb(data_dir)
    # Rows of indications.shared.tsv: Haloperidol SYM Alzheimer's disease (DOID:10652 -> D000544).
    assert lab.lookup("MESH:D006220", Relation.PALLIATES, "MESH:D000544") is True
    assert lab.lookup("MESH:D006220", Relation.TREATS, "MESH:D000544") is None  # open world
    labels = set(lab.facts.values())
    assert labels == {True, False}  # NOT rows give curated negatives


def test_disgenet_gene_disease_facts(data_dir: Path) -> None:
    lab = SimulatedLab.from_disgenet(data_dir)
    stats = lab.stats
    assert stats is not None and stats.rows_total == 21_219  # README
    assert stats.objects_mapped < stats.objects_total  # README: most CUIs have no DOID xref
    gene = Entity(id="NCBIGene:4160", name="MC4R", type=EntityType.GENE)  # MC4R - Obesity
    obesity = Entity(id="MESH:D009765", name="Obesity", type=EntityType.DISEASE)
    claim = Hypothesis(subject=gene, relation=Relation.ASSOCIATED_WITH, object=obesity)
    assert lab.test(claim).confirmed is True
    # associated_with is symmetric: the reversed claim matches the same fact.
    reverse = Hypothesis(subject=obesity, relation=Relation.ASSOCIATED_WITH, object=gene)
    assert lab.test(reverse).confirmed is True


def test_biored_pairs_are_stored_disease_last(data_dir: Path) -> None:
    # Find a Positive_Correlation listed disease-first in BioRED dev, straight from the file.
    path = data_dir / "bio" / "biored" / "Dev.PubTator"
    types: dict[str, str] = {}
    found = None
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split("\t")
        if len(fields) == 6:
            for local in fields[5].split(","):
                types[local] = fields[4]
        elif len(fields) == 5 and fields[1] == "Positive_Correlation":
            kinds = (types.get(fields[2]), types.get(fields[3]))
            if kinds == ("DiseaseOrPhenotypicFeature", "ChemicalEntity"):
                found = (f"MESH:{fields[3]}", f"MESH:{fields[2]}")
                break
    assert found is not None
    lab = SimulatedLab.from_pubtator(path)
    assert lab.lookup(found[0], Relation.INDUCES, found[1]) is True
