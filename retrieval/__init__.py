"""scidisco retrieval package."""
