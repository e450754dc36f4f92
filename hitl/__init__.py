"""scidisco hitl package."""
