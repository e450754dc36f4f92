"""Benchmark of the review app: data loading, load generation, schema fuzzing."""
