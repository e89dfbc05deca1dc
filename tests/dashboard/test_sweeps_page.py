"""The Sweeps page (AppTest): studies, trials linked to runs, figures, stop, enqueue, launch."""

import optuna
import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution
from optuna.trial import TrialState, create_trial

from dashboard.services import sweeps as sweep_services
from paretolab.store import RunStore
from sweeps.analysis import FIGURES
from sweeps.space import trial_config
from sweeps.spec import SweepSpec, load_spec
from sweeps.storage import default_storage_url, open_storage
from sweeps.study import STATE_ATTR, create_sweep
from tests.conftest import queue_run, tiny_config
from tests.dashboard.conftest import open_page
from tests.sweeps.conftest import TINY_SPEC

PAGE = "views/sweeps.py"
SPACE = {
    "optim.lr": FloatDistribution(1e-3, 3e-2, log=True),
    "model.d_model": CategoricalDistribution([16, 32]),
    "optim.optimizer": CategoricalDistribution(["adamw", "sgd"]),
}


def make_sweep(store: RunStore, name: str = "tiny", objectives=None) -> optuna.Study:
    """A sweep with three finished trials (each with its run) and one running, untrained."""
    spec = load_spec(TINY_SPEC, study=name)
    if objectives:
        spec = SweepSpec.model_validate({**spec.model_dump(), "objectives": objectives})
    study = create_sweep(spec, open_storage(default_storage_url()))
    for i, (lr, d, acc) in enumerate([(0.002, 16, 0.5), (0.01, 32, 0.7), (0.02, 16, 0.6)]):
        params = {"optim.lr": lr, "model.d_model": d, "optim.optimizer": "adamw"}
        run_id = store.create_run(
            {"optim": {"lr": lr}}, f"{name}#{i}", "image_classification", study=name, trial_number=i
        ).id
        values = [acc] if not objectives else [acc, 1000.0 * d]
        study.add_trial(
            create_trial(
                params=params,
                distributions=SPACE,
                values=values,
                intermediate_values={0: acc / 2, 1: acc},
                user_attrs={"run_id": run_id, "run_status": "finished"},
            )
        )
    running = store.create_run(
        {}, f"{name}#3", "image_classification", study=name, trial_number=3
    ).id
    store.mark_running(running, pid=1, host="elsewhere")
    trial = study.ask()
    trial.set_user_attr("run_id", running)
    return study


def test_the_page_says_how_to_start_when_there_are_no_sweeps() -> None:
    at = open_page(PAGE)
    assert "No sweeps yet" in at.info[0].value


@pytest.mark.slow
def test_a_study_shows_progress_trials_linked_to_runs_best_trial_and_figures(
    store: RunStore,
) -> None:
    make_sweep(store)
    at = open_page(PAGE)
    sweeps = at.dataframe[0].value
    assert list(sweeps["study"]) == ["tiny"] and sweeps["state"].item() == "running"
    trials = at.dataframe[1].value
    assert list(trials["state"]) == ["complete"] * 3 + ["running"]
    assert list(trials["run_id"])[:3] == [1, 2, 3]
    # A trial opens its run in place (a page link, not a new tab), once its row is picked.
    at.session_state["sweeps_trials"] = {"selection": {"rows": [1], "columns": []}}
    at.run()
    link = at.get("page_link")[0].proto
    assert (link.label, link.page, link.query_string) == ("Open run 2", "run", "run=2")
    assert at.dataframe[2].value["trial"].tolist() == [1]
    assert "optuna-dashboard" in " ".join(c.value for c in at.code)
    assert len(at.get("plotly_chart")) == 1  # the open tab's figure: optimisation history
    for title in FIGURES.values():  # each tab draws its figure, or says why it cannot
        at.session_state["sweeps_figure"] = title
        at.run()
        assert not at.exception, title
        if title == "Pareto front":
            assert "a single-objective study has no Pareto front" in at.info[0].value
        else:
            assert len(at.get("plotly_chart")) == 1, title


def test_a_multi_objective_study_draws_its_pareto_front(store: RunStore) -> None:
    objectives = [
        {"metric": "val_acc", "direction": "maximize"},
        {"metric": "params", "direction": "minimize"},
    ]
    make_sweep(store, "pareto", objectives)
    at = open_page(PAGE, study="pareto")
    assert len(at.dataframe[2].value) == 2  # 0.7 @ 32k and 0.6 @ 16k
    assert not any("Pareto front:" in i.value for i in at.info)
    at.radio(key="sweeps_objective").set_value(1).run()
    assert not at.exception


def test_stop_cancelling_running_trials_then_resume(store: RunStore, monkeypatch) -> None:
    study = make_sweep(store)
    started = []
    monkeypatch.setattr(sweep_services, "spawn_workers", lambda *a: started.append(a))
    at = open_page(PAGE)
    at.radio(key="sweeps_stop_how").set_value("cancel").run()
    at.button(key="sweeps_stop").click().run()
    assert study.user_attrs[STATE_ATTR] == "stopped"
    assert store.get_run(4).cancel_requested_at is not None
    assert store.get_run(1).cancel_requested_at is None  # finished trials are left alone
    at.number_input(key="sweeps_resume_workers").set_value(3).run()
    at.button(key="sweeps_resume").click().run()
    assert study.user_attrs[STATE_ATTR] == "running"
    assert started and started[0][0] == "tiny" and started[0][2] == 3


def test_enqueue_a_trial_from_an_existing_run(store: RunStore) -> None:
    study = make_sweep(store)
    spec = load_spec(TINY_SPEC)
    config = trial_config(
        spec, {"optim.lr": 0.005, "model.d_model": 32, "optim.optimizer": "adamw"}
    )
    run_id = store.create_run(config.model_dump(mode="json"), "by hand", config.task).id
    outside = queue_run(store, tiny_config("model.d_model=64"))  # 64 is not a choice
    at = open_page(PAGE)
    at.selectbox(key="sweeps_enqueue_run").set_value(run_id).run()
    at.button(key="sweeps_enqueue").click().run()
    (waiting,) = study.get_trials(states=(TrialState.WAITING,))
    assert waiting.system_attrs["fixed_params"]["optim.lr"] == 0.005
    at.selectbox(key="sweeps_enqueue_run").set_value(outside).run()
    at.button(key="sweeps_enqueue").click().run()
    assert any("outside the search space" in e.value for e in at.error)


def test_launch_a_shipped_spec_starts_its_workers(store: RunStore, monkeypatch) -> None:
    started = []
    monkeypatch.setattr(sweep_services, "spawn_workers", lambda *a: started.append(a))
    at = open_page(PAGE)
    at.selectbox(key="sweeps_preset").set_value("tiny").run()
    at.number_input(key="sweeps_workers").set_value(2).run()
    at.button(key="sweeps_launch").click().run()
    assert "Sweep tiny started with 2 worker(s)" in at.success[0].value
    assert started[0][0] == "tiny" and started[0][2] == 2
    assert sweep_services.sweep_names() == ["tiny"]
    at.button(key="sweeps_launch").click().run()  # again: the name is taken
    assert any("a sweep named 'tiny' exists" in e.value for e in at.error)


def test_the_form_builds_a_spec_and_shows_its_problems(store: RunStore) -> None:
    at = open_page(PAGE)
    at.radio(key="sweeps_source").set_value("form").run()
    assert not at.error and not at.button(key="sweeps_launch").disabled
    at.selectbox(key="sweeps_form_base").set_value("digits_tiny").run()
    at.selectbox(key="sweeps_form_pruner").set_value("hyperband").run()
    assert not at.error
    at.text_area(key="sweeps_form_fixed").input("trainer.max_epoch: 3").run()
    assert any("fixed.trainer.max_epoch: unknown field" in e.value for e in at.error)
    assert at.button(key="sweeps_launch").disabled


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"field": "optim.lr", "type": "float", "high": 0.1}, "a float needs `low`"),
        (
            {"field": "optim.lr", "type": "float", "low": 0.1, "high": 0.2, "when": "sgd"},
            "FIELD=VALUE",
        ),
    ],
)
def test_search_space_rows_that_lack_what_they_need(row, message) -> None:
    with pytest.raises(sweep_services.UserError, match=message):
        sweep_services.parameters_from_rows([row])


def test_search_space_rows_become_parameters() -> None:
    rows = [
        {"field": "optim.optimizer", "type": "categorical", "choices": "adamw, sgd"},
        {"field": "model.n_layers", "type": "int", "low": 1.0, "high": 3.0, "step": float("nan")},
        {
            "field": "optim.momentum",
            "type": "float",
            "low": 0.5,
            "high": 0.9,
            "when": "optim.optimizer=sgd",
        },
        {"field": "", "type": "float"},
    ]
    assert sweep_services.parameters_from_rows(rows) == {
        "optim.optimizer": {"type": "categorical", "choices": ["adamw", "sgd"]},
        "model.n_layers": {"type": "int", "low": 1.0, "high": 3.0, "log": False},
        "optim.momentum": {
            "type": "float",
            "low": 0.5,
            "high": 0.9,
            "log": False,
            "when": {"optim.optimizer": ["sgd"]},
        },
    }


def test_demo_mode_shows_sweeps_but_refuses_every_change(store: RunStore, monkeypatch) -> None:
    from paretolab import settings

    make_sweep(store)
    monkeypatch.setenv(settings.DEMO_ENV, "1")
    at = open_page(PAGE)
    assert len(at.dataframe) == 3 and len(at.tabs) == 1 + len(FIGURES)  # Studies + figures
    assert not [b for b in at.button if b.key.startswith("sweeps_")]
    for action in (
        lambda: sweep_services.stop("tiny", cancel_running=True),
        lambda: sweep_services.resume("tiny", 1),
        lambda: sweep_services.enqueue("tiny", 1),
        lambda: sweep_services.launch(load_spec(TINY_SPEC, study="other"), 1),
    ):
        with pytest.raises(sweep_services.UserError, match="read-only demo"):
            action()
    assert sweep_services.sweep_names() == ["tiny"]
