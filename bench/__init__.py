"""Benchmarks: each `bench/bench_*.py` module has `run() -> str` returning its printed report."""
