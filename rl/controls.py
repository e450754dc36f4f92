"""Controls for selection experiments: labs whose answers carry no usable feedback.

`PermutedLab` answers each hypothesis with the outcome another candidate of the same pool
would get. Over a whole pool the answers are the same multiset as the true lab's (as many
confirmations, in other places), so a policy that reads the outcomes is fed feedback with
the right base rate but no link to the hypotheses it chose. Evaluated against the true
answers, a policy that learns from its experiments must do worse with this lab; one that
ignores the outcomes (greedy, random) does exactly as well.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from agent.types import Hypothesis, Outcome
from rl.labs import Lab


class PermutedLab:
    """Outcomes permuted within each pool (see the module docstring).

    Args:
        lab: the lab whose answers are permuted.
        pools: every pool the lab will be asked about; a hypothesis may be in one pool only.
        seed: seeds the permutation (one fixed permutation per pool).

    Raises:
        ValueError: a hypothesis occurs in more than one pool.
    """

    def __init__(self, lab: Lab, pools: Sequence[Sequence[Hypothesis]], seed: int) -> None:
        self.lab, self.name, self.cost = lab, f"permuted:{lab.name}", lab.cost
        rng = np.random.default_rng(seed)
        self.partner: dict[str, Hypothesis] = {}
        for index, pool in enumerate(pools):
            for h, j in zip(pool, rng.permutation(len(pool)), strict=True):
                if h.id in self.partner:
                    raise ValueError(
                        f"{h.text()} (id {h.id}) occurs in pool {index} and an earlier pool; "
                        "a permuted lab needs every hypothesis in exactly one pool"
                    )
                self.partner[h.id] = pool[j]

    def test(self, hypothesis: Hypothesis) -> Outcome:
        """The true lab's outcome for this hypothesis's partner in its pool.

        Raises:
            KeyError: the hypothesis was in none of the pools given at construction.
        """
        partner = self.partner.get(hypothesis.id)
        if partner is None:
            raise KeyError(
                f"{hypothesis.text()} is in none of the pools this PermutedLab was built for; "
                "pass every evaluation pool to PermutedLab"
            )
        outcome = self.lab.test(partner)
        detail = f"permuted control: the answer for {partner.text()} ({outcome.detail})"
        return outcome.model_copy(update={"detail": detail})
