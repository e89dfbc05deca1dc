"""What pages ask for. Pages render; these modules talk to the store, the launcher and the
executor, and shape results into frames for the views. A view imports the module it uses
(``from dashboard.services import compare``); this package re-exports nothing.

- ``common``: the store and the executor of this server (cached per server);
- ``access``: who may change what (the read-only demo, sign-in and roles), signing in;
- ``launch``: presets, validation, launch, model summary, LR / batch-size finders;
- ``data_check``: the user's own data file, checked before a launch;
- ``runs``: the runs table and what changes runs (tags, notes, cancel, archive, delete);
- ``run_detail``: one run's page: metrics and series, artifacts, test outputs, logs;
- ``artifact_files``: a run's recorded files, read only from inside its folder;
- ``compare``: final metrics, config diffs, parameters, groups;
- ``system``: this machine's devices and launch limits, runs' system charts and summaries;
- ``attention``: inspectable runs, loaded checkpoints, attention maps of an input;
- ``sweeps``: Optuna studies: specs, launch, progress, figures;
- ``business``: the "What quality costs" page (frontier, costs, projections, report).
"""
