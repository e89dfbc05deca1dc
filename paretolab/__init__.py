"""paretolab core: the config schema, the run store, the launcher and the CLI.

This package imports neither streamlit nor optuna, and no torch at module level,
so the config schema and the store load in milliseconds.
"""

__version__ = "0.1.0"
