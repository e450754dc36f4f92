"""The discovery benchmarks E1-E5, each a task of the experiment runner."""
