"""Datasets: the built-in registry, splits, tokenizers and data modules."""
