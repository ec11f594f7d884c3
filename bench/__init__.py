"""Benchmarks: ``python -m bench`` measures the ratios of issue 13 in one run (see bench/__main__.py)."""
