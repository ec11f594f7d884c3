"""Benchmarks: ``python -m bench`` measures the product's speed and cost ratios in one run (see bench/__main__.py)."""
