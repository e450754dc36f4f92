"""scidisco experiments package."""
