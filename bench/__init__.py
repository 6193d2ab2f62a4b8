"""Benchmarks: ``python -m bench.gateway`` (``make bench``); results in ``bench/RESULTS.md``."""
