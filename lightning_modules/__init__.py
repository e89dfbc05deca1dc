"""torch + Lightning: models, data, tasks, callbacks, the train entry point.

Imports no streamlit and no optuna; sweeps hand in a pruning callback when they need one.
"""
