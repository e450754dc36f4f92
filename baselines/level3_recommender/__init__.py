"""Level 3 baseline: MovieLens recommendations, evaluated offline, batch-stored, served live."""
