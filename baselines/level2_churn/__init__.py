"""Level 2: churn prediction from several joined tables, leakage-guarded and config-driven."""

from baselines.level2_churn.task import run

__all__ = ["run"]
