"""scidisco reasoning package."""
