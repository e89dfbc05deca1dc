"""Optuna sweeps of run configs: every trial is an ordinary run.

- ``spec``: the sweep spec (YAML → pydantic): base config, search space, objectives,
  sampler, pruner, budget, heartbeat;
- ``space``: sample a trial's values, turn them into a ``RunConfig``, and back;
- ``samplers``: Optuna samplers and pruners from a spec;
- ``storage``: the Optuna storage (journal file, or PostgreSQL beside the run store);
- ``study``: create, load, stop, resume, enqueue; progress against the budget;
- ``objective``, ``callbacks``, ``measures``: one trial trained as a run;
- ``worker``: the worker loop and processes; ``analysis``: tables and Optuna's figures;
- ``cli``: ``paretolab sweep …``.
"""
