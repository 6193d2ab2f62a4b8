"""Fakes of external systems as real HTTP servers, used by tests, development and benchmarks."""
