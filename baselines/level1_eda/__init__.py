"""Level 1: load a CSV, explore, clean, encode, fit and measure (penguins, then any table)."""

from baselines.level1_eda.task import run

__all__ = ["run"]
