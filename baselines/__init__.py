"""scidisco baselines package."""
