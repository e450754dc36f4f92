"""scidisco agent package."""
