import math

import pytest
import sqlalchemy as sa

from paretolab.errors import RunNotFound, SchemaVersionError, UserError
from paretolab.store import RunStore, database
from paretolab.store.metric_blocks import stored_points


@pytest.fixture
def store(any_store: RunStore) -> RunStore:
    """Every test here runs on SQLite and on a real PostgreSQL server."""
    return any_store


@pytest.fixture
def run_id(store: RunStore) -> int:
    return store.create_run({"model": {"d_model": 8}}, "r", "classification", tags=["a"]).id


def test_create_and_read_back_a_run(store: RunStore, run_id: int) -> None:
    run = store.get_run(run_id)
    assert (run.name, run.status, run.task, run.tags) == ("r", "queued", "classification", ("a",))
    assert run.config == {"model": {"d_model": 8}}
    assert run.started_at is None and not run.is_terminal


def test_missing_run_is_a_clear_error(store: RunStore) -> None:
    with pytest.raises(RunNotFound, match="no run with id 999"):
        store.get_run(999)


def test_lifecycle_transitions_are_conditional(store: RunStore, run_id: int) -> None:
    assert store.mark_running(run_id, pid=1234, host="h")
    run = store.get_run(run_id)
    assert (run.status, run.pid, run.host) == ("running", 1234, "h")
    assert run.started_at is not None and run.heartbeat_at is not None
    assert store.mark_finished(run_id)
    # A finished run never moves again.
    assert not store.mark_failed(run_id, "late")
    assert not store.mark_cancelled(run_id)
    assert not store.mark_running(run_id, pid=1)
    run = store.get_run(run_id)
    assert run.status == "finished" and run.error is None and run.ended_at >= run.started_at


def test_failed_run_keeps_its_error(store: RunStore, run_id: int) -> None:
    store.mark_running(run_id, pid=1)
    assert store.mark_failed(run_id, "Traceback ...\nValueError: boom")
    assert store.get_run(run_id).error.endswith("ValueError: boom")


def test_queued_run_can_be_cancelled(store: RunStore, run_id: int) -> None:
    assert store.mark_cancelled(run_id)
    assert store.get_run(run_id).status == "cancelled"


def test_list_runs_newest_first_and_by_status(store: RunStore) -> None:
    ids = [store.create_run({}, f"r{i}", "classification").id for i in range(3)]
    store.mark_running(ids[1], pid=1)
    assert [r.id for r in store.list_runs()] == ids[::-1]
    assert [r.id for r in store.list_runs(["running"])] == [ids[1]]
    assert [r.id for r in store.list_runs(limit=2)] == ids[:0:-1]
    with pytest.raises(UserError, match="unknown status"):
        store.list_runs(["runnin"])


def test_metrics_round_trip_with_nan_and_inf(store: RunStore, run_id: int) -> None:
    points = [
        ("loss", 0, 2.5, 10.0),
        ("loss", 1, math.nan, 11.0),
        ("loss", 2, math.inf, 12.0),
        ("loss", 3, -math.inf, 13.0),
        ("acc", 1, 0.5, 11.0),
    ]
    assert store.log_metrics(run_id, points) == 5
    history = store.metric_history(run_id, "loss")
    assert history.steps == [0, 1, 2, 3]
    assert history.values[0] == 2.5 and math.isnan(history.values[1])
    assert history.values[2:] == [math.inf, -math.inf]
    assert history.wall_times == [10.0, 11.0, 12.0, 13.0]
    assert store.metric_keys(run_id) == ["acc", "loss"]


def test_rewriting_a_point_never_duplicates_it(store: RunStore, run_id: int) -> None:
    store.log_metrics(run_id, [("loss", 5, 1.0, 1.0)])
    store.log_metrics(run_id, [("loss", 5, 0.5, 2.0)])  # a retried flush
    assert store.metric_history(run_id, "loss").values == [0.5]
    with store.engine.connect() as conn:
        assert stored_points(conn, run_id) == [("loss", 5, 0.5)]


def test_large_batches_are_split_and_all_kept(store: RunStore, run_id: int) -> None:
    store.log_metrics(run_id, [("x", i, float(i), 0.0) for i in range(2_345)])
    history = store.metric_history(run_id, "x")
    assert len(history) == 2_345 and history.values[-1] == 2_344.0


def test_latest_metric_is_the_highest_step(store: RunStore, run_id: int) -> None:
    store.log_metrics(run_id, [("loss", 10, 1.0, 1.0), ("loss", 20, 0.5, 2.0)])
    store.log_metrics(run_id, [("loss", 15, 9.0, 3.0)])  # late, older step: not the latest
    latest = store.latest_metrics(run_id)["loss"]
    assert (latest.step, latest.value) == (20, 0.5)
    other = store.create_run({}, "b", "classification").id
    store.log_metrics(other, [("loss", 1, 3.0, 1.0)])
    both = store.latest_metrics_of([run_id, other])
    assert both[run_id]["loss"].value == 0.5 and both[other]["loss"].value == 3.0


def test_artifacts_are_upserted_by_path(store: RunStore, run_id: int) -> None:
    store.add_artifact(run_id, "checkpoints/last.ckpt", "checkpoint", 10)
    store.add_artifact(run_id, "checkpoints/last.ckpt", "checkpoint", 20)
    store.add_artifact(run_id, "tokenizer.json", "tokenizer", 5)
    arts = store.list_artifacts(run_id)
    assert [(a.path, a.size_bytes) for a in arts] == [
        ("checkpoints/last.ckpt", 20),
        ("tokenizer.json", 5),
    ]


def test_tags_notes_and_delete(store: RunStore, run_id: int) -> None:
    store.set_tags(run_id, ["b", " a ", "b", ""])
    store.set_notes(run_id, "# best so far")
    run = store.get_run(run_id)
    assert run.tags == ("a", "b") and run.notes == "# best so far"
    store.log_metrics(run_id, [("loss", 1, 1.0, 1.0)])
    store.add_artifact(run_id, "a.txt", "log", 1)
    store.delete_run(run_id)
    with pytest.raises(RunNotFound):
        store.get_run(run_id)
    assert store.metric_history(run_id, "loss").steps == [] and store.list_artifacts(run_id) == []


def test_migrations_without_a_head_are_a_clear_error_even_under_python_o(monkeypatch) -> None:
    class NoScripts:
        def get_current_head(self) -> None:
            return None

    monkeypatch.setattr(database, "_scripts", NoScripts)
    with pytest.raises(UserError, match="no schema migrations found .*reinstall paretolab"):
        database.head_revision()


def test_a_new_database_is_created_at_the_newest_schema(store: RunStore) -> None:
    assert database.current_revision(store.engine) == database.head_revision()
    if store.engine.dialect.name == "sqlite":
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_a_database_from_a_newer_paretolab_is_refused(store: RunStore) -> None:
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'ffff'")
    with pytest.raises(SchemaVersionError, match="newer paretolab: upgrade paretolab"):
        RunStore(store.url)


def test_an_older_schema_is_refused_then_upgraded_keeping_data(
    store: RunStore, run_id: int
) -> None:
    store.log_metrics(run_id, [("loss", 1, 0.5, 1.0)])
    database.downgrade(store.engine, "0001")
    with pytest.raises(SchemaVersionError, match="run `paretolab db upgrade`") as info:
        RunStore(store.url)
    assert "at schema revision 0001" in str(info.value)
    database.upgrade(store.engine)
    again = RunStore(store.url)
    assert again.get_run(run_id).name == "r" and again.latest_metrics(run_id)["loss"].value == 0.5


def test_foreign_tables_without_a_version_are_refused(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'other.db'}"
    with sa.create_engine(url).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE runs (id INTEGER)")
    with pytest.raises(SchemaVersionError, match="no paretolab schema version"):
        RunStore(url)


def test_downgrade_then_upgrade_round_trips(store: RunStore) -> None:
    database.downgrade(store.engine, "base")
    assert "runs" not in sa.inspect(store.engine).get_table_names()
    database.upgrade(store.engine)
    assert store.create_run({}, "again", "classification").id >= 1


def test_a_launch_key_makes_one_run(store: RunStore) -> None:
    first = store.create_run({}, "a", "classification", launch_key="form-1")
    again = store.create_run({}, "a", "classification", launch_key="form-1")
    other = store.create_run({}, "b", "classification", launch_key="form-2")
    assert first.id == again.id != other.id
    assert len(store.list_runs()) == 2


def test_cancel_requests_and_archive(store: RunStore, run_id: int) -> None:
    assert store.request_cancel(run_id)  # queued: cancelled at once
    assert store.get_run(run_id).status == "cancelled"
    running = store.create_run({}, "r2", "classification").id
    store.mark_running(running, pid=1)
    assert store.request_cancel(running)
    first_request = store.get_run(running).cancel_requested_at
    assert first_request is not None and store.get_run(running).status == "running"
    assert (
        store.request_cancel(running)
        and store.get_run(running).cancel_requested_at == first_request
    )
    store.set_archived(run_id, True)
    assert [r.id for r in store.list_runs(archived=False)] == [running]
    assert [r.id for r in store.list_runs(archived=True)] == [run_id]


def test_chart_previews_follow_every_write_and_keep_extremes(store: RunStore, run_id: int) -> None:
    store.log_metrics(run_id, [("loss", s, 1.0 / (s + 1), float(s)) for s in range(3000)])
    store.log_metrics(run_id, [("loss", s, 1.0 / (s + 1), float(s)) for s in range(3000, 6000)])
    store.log_metrics(run_id, [("loss", 6000, 99.0, 6000.0), ("loss", 6001, math.nan, 6001.0)])
    preview = store.metric_preview(run_id, "loss")
    assert 100 < len(preview) <= 2000
    assert preview.steps == sorted(preview.steps) and preview.steps[0] == 0
    assert 99.0 in preview.values and 1.0 in preview.values  # the spike and the start survive
    assert all(math.isfinite(v) for v in preview.values)
    # Rewriting an old step rebuilds the preview from the full history.
    store.log_metrics(run_id, [("loss", 10, -5.0, 10.0)])
    assert -5.0 in store.metric_preview(run_id, "loss").values


def test_short_series_previews_are_the_series(store: RunStore, run_id: int) -> None:
    store.log_metrics(run_id, [("acc", s, s / 10, float(s)) for s in range(10)])
    assert store.metric_preview(run_id, "acc").values == [s / 10 for s in range(10)]
    assert len(store.metric_preview(run_id, "missing")) == 0


def test_run_filters_search_name_config_tags_and_metrics(store: RunStore) -> None:
    from paretolab.store import RunFilter

    a = store.create_run(
        {"optim": {"optimizer": "adamw"}}, "bbc-small", "classification", tags=["x"]
    ).id
    b = store.create_run(
        {"optim": {"optimizer": "sgd"}}, "bbc-large", "classification", tags=["y"]
    ).id
    store.log_metrics(a, [("val_acc", 1, 0.9, 1.0)])
    store.log_metrics(b, [("val_acc", 1, 0.6, 1.0)])

    def ids(search: RunFilter) -> list[int]:
        assert store.count_runs(search=search) == len(store.list_runs(search=search))
        return [r.id for r in store.list_runs(search=search)]

    assert ids(RunFilter(text="BBC")) == [b, a]
    assert ids(RunFilter(text="sgd")) == [b]
    assert ids(RunFilter(tag="x")) == [a]
    assert ids(RunFilter(metric_min={"val_acc": 0.8})) == [a]
    assert ids(RunFilter(metric_max={"val_acc": 0.8})) == [b]
    assert store.all_tags() == ["x", "y"]


def test_migrations_build_exactly_the_tables_the_code_declares(store: RunStore) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from paretolab.store.schema import metadata

    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_only_one_launcher_claims_a_run(store: RunStore, run_id: int) -> None:
    assert store.claim(run_id, host="h1")
    assert not store.claim(run_id, host="h2")
    assert not store.mark_running(run_id, pid=7, host="h2")  # another host's process: refused
    assert store.mark_running(run_id, pid=7, host="h1")  # the claimed run's own process
    assert store.get_run(run_id).pid == 7


def test_a_batch_may_repeat_a_point(store: RunStore, run_id: int) -> None:
    store.log_metrics(run_id, [("epoch", 5, 0.0, 1.0), ("epoch", 5, 1.0, 2.0)])
    assert store.metric_history(run_id, "epoch").values == [1.0]


def test_search_text_and_tags_are_literal(store: RunStore) -> None:
    from paretolab.store import RunFilter

    a = store.create_run({}, "100%_done", "classification", tags=["modèle_ä"]).id
    store.create_run({}, "100x-done", "classification", tags=["modelXa"])
    assert [r.id for r in store.list_runs(search=RunFilter(text="100%_"))] == [a]
    assert [r.id for r in store.list_runs(search=RunFilter(tag="modèle_ä"))] == [a]


def test_a_sweep_trial_is_linked_to_its_study_and_can_end_pruned(store: RunStore) -> None:
    from paretolab.store import RunFilter

    plain = store.create_run({}, "plain", "classification").id
    trial = store.create_run({}, "s#3", "classification", study="s", trial_number=3).id
    assert (store.get_run(plain).study, store.get_run(plain).trial_number) == (None, None)
    assert (store.get_run(trial).study, store.get_run(trial).trial_number) == ("s", 3)
    assert [r.id for r in store.list_runs(search=RunFilter(study="s"))] == [trial]
    assert not store.mark_pruned(trial)  # only a running trial can be pruned
    store.mark_running(trial, pid=1)
    store.log_metrics(trial, [("val_acc", 1, 0.5, 1.0)])
    assert store.mark_pruned(trial)
    run = store.get_run(trial)
    assert run.status == "pruned" and run.is_terminal and run.ended_at is not None
    assert not store.mark_failed(trial, "late")  # pruned is terminal
    assert store.latest_metrics(trial)["val_acc"].value == 0.5  # its partial curve stays
    assert [r.id for r in store.list_runs(["pruned"])] == [trial]


def test_downgrading_below_sweeps_turns_pruned_runs_into_failed_ones(store: RunStore) -> None:
    trial = store.create_run({}, "s#0", "classification", study="s", trial_number=0).id
    store.mark_running(trial, pid=1)
    store.mark_pruned(trial)
    database.downgrade(store.engine, "0003")
    with store.engine.connect() as conn:
        row = conn.execute(sa.text("SELECT status, error FROM runs")).one()
    assert tuple(row) == ("failed", "pruned by its sweep")
    database.upgrade(store.engine)
    assert store.get_run(trial).study is None


def test_a_run_records_its_owner_and_older_runs_have_none(store: RunStore) -> None:
    from paretolab.store import RunFilter

    mine = store.create_run({}, "mine", "classification", owner="alice").id
    database.downgrade(store.engine, "0004")  # before owners: the column goes, runs stay
    database.upgrade(store.engine)
    assert store.get_run(mine).owner is None
    bob = store.create_run({}, "again", "classification", owner="bob").id
    assert store.get_run(bob).owner == "bob"
    assert [r.id for r in store.list_runs(search=RunFilter(text="BOB"))] == [bob]


def test_points_are_packed_into_blocks_and_small_flushes_fill_the_tail(
    store: RunStore, run_id: int
) -> None:
    from paretolab.store.metric_blocks import BLOCK_POINTS
    from paretolab.store.schema import metric_blocks

    for start in range(0, 3000, 10):  # a logger flushing 10 points at a time
        store.log_metrics(run_id, [("loss", s, s / 2, float(s)) for s in range(start, start + 10)])
    store.log_metrics(run_id, [("acc", s, 1.0, 0.0) for s in range(2 * BLOCK_POINTS + 5)])
    with store.engine.connect() as conn:
        sizes = dict(
            conn.execute(
                sa.select(metric_blocks.c.key, sa.func.count()).group_by(metric_blocks.c.key)
            ).all()
        )
        assert len(stored_points(conn, run_id)) == 3000 + 2 * BLOCK_POINTS + 5
    assert sizes == {"loss": 3, "acc": 3}  # not 300 rows for 300 flushes
    history = store.metric_history(run_id, "loss")
    assert history.steps == list(range(3000)) and history.values[-1] == 2999 / 2


def test_rewritten_steps_leave_the_older_blocks(store: RunStore, run_id: int) -> None:
    # A run resumed from its step-1,500 checkpoint logs steps 1,500… again, with new values.
    store.log_metrics(run_id, [("loss", s, 1.0, 0.0) for s in range(2000)])
    store.log_metrics(run_id, [("loss", s, 2.0, 1.0) for s in range(1500, 2500)])
    store.log_metrics(run_id, [("loss", s, 3.0, 2.0) for s in (7, 1499, 2499)])  # scattered
    history = store.metric_history(run_id, "loss")
    assert history.steps == list(range(2500))
    expected = [3.0 if s in (7, 1499, 2499) else 2.0 if s >= 1500 else 1.0 for s in range(2500)]
    assert history.values == expected
    with store.engine.connect() as conn:
        points = stored_points(conn, run_id)
    assert len(points) == len({(k, s) for k, s, _ in points}) == 2500


def test_upgrading_packs_a_row_per_point_into_blocks_and_back(store: RunStore, run_id: int) -> None:
    points = [("loss", s, 1.0 / (s + 1), float(s)) for s in range(1500)]
    store.log_metrics(run_id, points + [("acc", 3, math.nan, 3.0)])
    database.downgrade(store.engine, "0005")  # back to a row per point
    with store.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT key, step, value FROM metrics")).all()
    assert len(rows) == 1501 and ("acc", 3, None) in rows
    database.upgrade(store.engine)
    history = store.metric_history(run_id, "loss")
    assert history.steps == list(range(1500)) and history.values[9] == 0.1
    assert math.isnan(store.metric_history(run_id, "acc").values[0])


def test_previews_of_long_series_come_from_block_summaries_and_keep_spikes(
    store: RunStore, run_id: int
) -> None:
    points = [("loss", s, 1.0 / (s + 1), float(s)) for s in range(40_000)]
    points[31_337] = ("loss", 31_337, 99.0, 31_337.0)
    points[20_000] = ("loss", 20_000, math.nan, 20_000.0)
    for i in range(0, 40_000, 1000):
        store.log_metrics(run_id, points[i : i + 1000])
    preview = store.metric_preview(run_id, "loss")
    assert 1000 < len(preview) <= 2000 and preview.steps == sorted(preview.steps)
    assert preview.steps[0] == 0 and preview.steps[-1] == 39_999
    assert 99.0 in preview.values and all(math.isfinite(v) for v in preview.values)
    store.log_metrics(run_id, [("loss", 10, -5.0, 10.0)])  # a rewritten old step shows
    assert -5.0 in store.metric_preview(run_id, "loss").values


def test_the_run_table_pivots_config_fields_and_metric_figures(store: RunStore) -> None:
    from paretolab.store import MetricColumn, RunFilter

    config = {"model": {"n_layers": 4}, "optim": {"lr": 0.003}, "data": {"dataset": "bbc"}}
    a = store.create_run(config, "a", "classification", tags=["x", "y"]).id
    b = store.create_run({}, "b", "classification").id
    c = store.create_run({}, "c", "regression").id
    store.log_metrics(
        a,
        [
            ("val_acc", 3, 0.8, 1.0),
            ("val_loss", 3, math.nan, 1.0),
            ("trainer/total_steps", 0, 100.0, 1.0),
            ("train_loss", 40, 0.1, 1.0),
            ("fold0/system/mean_gpu_util", 1, 30.0, 1.0),
            ("fold1/system/mean_gpu_util", 1, 50.0, 1.0),
            ("system/gpu0/mean_gpu_util", 1, 99.0, 1.0),  # one GPU's, not the run's figure
        ],
    )
    store.log_metrics(b, [("val_acc", 1, 0.6, 1.0)])
    params = {"layers": ("model.n_layers", int), "lr": ("optim.lr", float)}
    params["dataset"] = ("data.dataset", str)
    metrics = [
        MetricColumn("val_acc", "val_acc"),
        MetricColumn("val_loss", "val_loss"),
        MetricColumn("last_step", "*", of="step", skip_prefix="trainer/"),
        MetricColumn("gpu", "system/mean_gpu_util", how="avg", folds=True),
    ]
    table = store.run_table(params, metrics)
    assert table["id"] == [c, b, a]
    assert table["layers"] == [None, None, 4] and table["lr"][2] == 0.003
    assert table["dataset"][2] == "bbc" and table["tags"] == [(), (), ("x", "y")]
    assert table["val_acc"] == [None, 0.6, 0.8]
    assert table["val_loss"] == [None, None, None]  # NaN shows as no value
    assert table["last_step"] == [None, 1, 40]  # trainer/total_steps's step 0 aside
    assert table["gpu"][2] == 40.0  # the folds' mean; the per-GPU key is not read
    page = store.run_table(params, metrics, limit=1, offset=1)
    assert page["id"] == [b] and page["val_acc"] == [0.6]
    found = store.run_table(params, metrics, search=RunFilter(metric_min={"val_acc": 0.7}))
    assert found["id"] == [a]
    assert store.run_table(params, metrics, statuses=["running"])["id"] == []


def test_metric_columns_read_keys_exactly_and_sum_or_average_them(store: RunStore) -> None:
    from paretolab.errors import UserError
    from paretolab.store import MetricColumn

    runs = [store.create_run({}, f"r{i}", "classification").id for i in range(3)]
    store.log_metrics(
        runs[0],
        [
            ("fold0/cost/usd", 1, 1.5, 1.0),
            ("fold1/cost/usd", 1, 2.5, 1.0),
            ("Fold2/cost/usd", 1, 100.0, 1.0),  # not a fold: keys are read case-sensitively
            ("fold3/Cost/usd", 1, 100.0, 1.0),
            ("foldcost/usd", 1, 100.0, 1.0),  # no fold number and slash
            ("Trainer/x", 7, 1.0, 1.0),  # not under trainer/
            ("trainer/total_steps", 99, 1.0, 1.0),
        ],
    )
    store.log_metrics(runs[1], [("cost/usd", 4, 3.0, 1.0)])
    metrics = [
        MetricColumn("cost", "cost/usd", how="sum", folds=True),
        MetricColumn("mean_cost", "cost/usd", how="avg", folds=True),
        MetricColumn("last_step", "*", of="step", skip_prefix="trainer/"),
    ]
    table = store.run_table({}, metrics)
    assert table["id"] == runs[::-1]
    assert table["cost"] == [None, 3.0, 4.0] and table["mean_cost"] == [None, 3.0, 2.0]
    assert table["last_step"] == [None, 4, 7]
    page = store.run_table({}, metrics, limit=1, offset=1)  # only the page's runs are read
    assert page == {**page, "id": [runs[1]], "cost": [3.0], "last_step": [4]}
    with pytest.raises(UserError, match="how='median'"):
        MetricColumn("x", "x", how="median")


def test_a_page_reads_the_metrics_of_the_runs_it_listed(store: RunStore) -> None:
    """A run created between the table's two queries must not push a listed run's metrics
    off the page (the metrics query is bounded by the listed ids, not by the page again)."""
    from paretolab.store.run_table import RunTableQueries

    runs = [store.create_run({}, f"r{i}", "classification").id for i in range(3)]
    for run_id in runs:
        store.log_metrics(run_id, [("val_acc", 1, 0.5, 1.0)])
    queries = RunTableQueries.of(store.engine.dialect.name, {}, limit=2)
    with store.engine.connect() as conn:
        listed = [row[0] for row in conn.execute(queries.runs).all()]
    newcomer = store.create_run({}, "new", "classification").id
    store.log_metrics(newcomer, [("val_acc", 1, 0.9, 1.0)])
    with store.engine.connect() as conn:
        read = {row[0] for row in conn.execute(queries.metrics(listed)).all()}
    assert listed == runs[:0:-1] and read == set(listed)
