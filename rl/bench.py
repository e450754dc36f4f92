"""Benchmark the selection policies on real BC5CDR pools and print the metrics.

Usage::

    python -m rl.bench --timesteps 20000 --budget 3 --out runs/rl_bench.json

Pools: `rl.pools.cid_pools` on the development split (truth) with scores counted from the
training split; the lab answers from the development CID facts (closed world). Two thirds of
the pools train PPO, the rest evaluate every policy. ``--oracle`` adds a perfectly
informative ``truth`` score, a sanity check that PPO can reach the greedy bound.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from agent.types import Hypothesis
from retrieval.datadir import data_dir
from rl.env import EnvConfig
from rl.labs import SimulatedLab
from rl.pools import SCORE_KEYS, cid_pools
from rl.train import train_and_compare


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m rl.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--timesteps", type=int, default=20_000, help="PPO training steps")
    parser.add_argument("--budget", type=int, default=3, help="tests per episode")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--greedy-key", default="known_pair", help="score for greedy/bandits")
    parser.add_argument("--oracle", action="store_true", help="add a perfectly informative score")
    parser.add_argument("--data-dir", default=None, help="shared data folder (else SCIDISCO_DATA)")
    parser.add_argument("--out", type=Path, default=None, help="write the metrics JSON here")
    return parser


def _add_truth(pool: list[Hypothesis], lab: SimulatedLab) -> list[Hypothesis]:
    return [
        h.model_copy(
            update={
                "scores": h.scores
                | {"truth": float(bool(lab.lookup(h.subject.id, h.relation, h.object.id)))}
            }
        )
        for h in pool
    ]


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Run the benchmark; return (and print) the metrics."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    bc5cdr = data_dir(args.data_dir) / "bio" / "bc5cdr"
    dev, train = bc5cdr / "CDR_DevelopmentSet.PubTator.txt", bc5cdr / "CDR_TrainingSet.PubTator.txt"
    lab = SimulatedLab.from_pubtator(dev)
    pools = cid_pools(dev, train, seed=args.seed)
    keys: tuple[str, ...] = SCORE_KEYS
    if args.oracle:
        pools, keys = [_add_truth(p, lab) for p in pools], ("truth", *SCORE_KEYS)
    cut = len(pools) * 2 // 3
    config = EnvConfig(max_candidates=max(len(p) for p in pools), score_keys=keys)
    metrics = train_and_compare(
        pools[:cut],
        pools[cut:],
        lab,
        args.budget,
        args.greedy_key,
        args.timesteps,
        seed=args.seed,
        config=config,
        progress=True,
    )
    metrics |= {"data/train_pools": float(cut), "data/eval_pools": float(len(pools) - cut)}
    print(json.dumps(metrics, indent=2, sort_keys=True))
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    return metrics


if __name__ == "__main__":
    main()
