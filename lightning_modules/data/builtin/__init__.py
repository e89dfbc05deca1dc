"""The built-in datasets, one module each, and their registry (``registry.get_dataset``)."""
