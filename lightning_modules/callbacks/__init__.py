"""Lightning callbacks: a run's side effects (metrics to the store, checkpoints, artifacts,
cost, system metrics) and the probes they read (FLOPs, GPUs, database outages)."""
