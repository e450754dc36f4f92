"""scidisco rl package."""
