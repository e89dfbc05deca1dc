"""A pretrained run's model, checked before the run is stored (see ``check_process``).

``python -m lightning_modules.pretrained.check`` finds the checkpoint (offline first), reads
its config.json, refuses remote code that is not trusted and a model that does not fit the
task, and builds the model's shape with its head and adapters on the meta device.

That child imports torch and transformers: seconds of work, which the dashboard's launch
form would pay on every rerun (each click validates the form, and the launch button checks
the same config again). The verdict depends only on the run's ``task`` and ``model``
sections and on the checkpoint's files, so it is remembered under those, with the files'
names, sizes and modification times, for the life of the process: a changed checkpoint
(or another ``HF_HUB_CACHE``, ``PARETOLAB_HOME``) is checked afresh.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from pathlib import Path

from paretolab import model_sources
from paretolab.check_process import CheckRefusal, run_check
from paretolab.config import RunConfig
from paretolab.errors import UserError

CHECK_MODULE = "lightning_modules.pretrained.check"
_REMEMBERED = 128  # verdicts kept (a few bytes each)
_verdicts: OrderedDict[tuple, tuple[str, str | None]] = OrderedDict()
_lock = threading.Lock()  # the dashboard validates in one thread per browser session


def check_pretrained(config: RunConfig, timeout: float = 300.0) -> str | None:
    """A one-line summary of the config's pretrained model; None when it has none.

    Raises:
        UserError: the model's problem, in one line.
    """
    if not config.model.is_pretrained():
        return None
    key = _verdict_key(config)
    with _lock:
        verdict = _verdicts.get(key) if key else None
    if verdict is None:
        verdict = _run_child(config, timeout)
        if key:
            with _lock:
                _verdicts[key] = verdict
                while len(_verdicts) > _REMEMBERED:
                    _verdicts.popitem(last=False)
    summary, problem = verdict
    if problem is not None:
        raise UserError(problem)
    return summary


def forget_verdicts() -> None:
    """Drop every remembered verdict (the next check of each config runs the child)."""
    with _lock:
        _verdicts.clear()


def _run_child(config: RunConfig, timeout: float) -> tuple[str, str | None]:
    """The child's verdict: (summary, None), or ("", the model's problem)."""
    try:
        return run_check(CHECK_MODULE, config, timeout, *_messages(config)), None
    except CheckRefusal as exc:  # a timeout or a crash is no verdict: not remembered
        return "", str(exc)


def _messages(config: RunConfig) -> tuple[str, str]:
    return f"model.pretrained={config.model.pretrained}", "is its folder on a slow network disk?"


def _verdict_key(config: RunConfig) -> tuple | None:
    """What the verdict depends on; None when it cannot be told (the check always runs)."""
    m = config.model
    try:
        source = model_sources.locate(m.pretrained or "", m.revision)
    except UserError:
        return None  # the child says why, in its own words
    files = _file_stamps(source.folder) if source.folder else ()
    if files is None:
        return None
    sections = json.dumps({"task": config.task, "model": m.model_dump(mode="json")}, sort_keys=True)
    return (sections, source.kind, str(source.folder), source.commit, files)


def _file_stamps(folder: Path) -> tuple | None:
    """(name, size, mtime) of each entry of the checkpoint's folder (links followed)."""
    try:
        stamps = []
        for entry in sorted(folder.iterdir()):
            stat = entry.stat()
            stamps.append((entry.name, stat.st_size, stat.st_mtime_ns))
        return tuple(stamps)
    except OSError:
        return None
