"""A run's life in its training process: the train entry (``python -m
lightning_modules.run.train --run-id ID``), the Trainer, status changes, stop signals,
processes (DDP), k-fold cross-validation and starting from another run's weights."""
