"""Benchmarks (`make bench`): figures written to bench/results.json and bench/results.md."""
