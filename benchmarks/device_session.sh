#!/usr/bin/env bash
# The one command of a lent GPU session (issue 24's device check, issue 26's GPU row):
#
#   make device-wheels      # here, first: the wheels the GPU machine lacks, into .whl/
#   run(command="bash benchmarks/device_session.sh", carry=[".whl"], timeout_s=560)
#
# On a fresh, offline GPU machine with only the repo copied: it says what the machine has
# (python, torch, CUDA, nvidia-smi) and stops early if torch cannot see a CUDA device;
# installs .whl/ into /tmp/device-site; makes the `paretolab` sub-commands' entry points
# visible without installing paretolab (benchmarks/device_entry_points.py); then runs, each
# under its own timeout and going on past a failure, about 9 minutes in all:
#   1. python benchmarks/gpu_check.py            (the device check, ≤ 5 min)
#   2. python benchmarks/gpu_train.py --quick    (paretolab train beside the standalone script)
#   3. python benchmarks/overhead.py --rows gpu --reps 3
# Results land in benchmarks/results/ and, with the session's log and the check's step logs,
# are copied to $OUT when it is set (the device tool brings back what is written there).
# Exit: 0 when all passed, 1 when one failed, 3 when the machine cannot run them.
#
# DEVICE_SESSION_REHEARSE=1 rehearses the plumbing on a CPU machine
# (tests/benchmarks/test_device_session.py): no CUDA needed, no wheels installed (the
# environment has them), then the entry points, the imports and every step of
# `gpu_check.py --rehearse` (its sweep is a `paretolab sweep` sub-command: entry points)
# instead of the benchmarks; the tests share that one run (tests/benchmarks/conftest.py).
set -u
cd "$(dirname "$0")/.."
REPO=$PWD
PY=${PYTHON:-python3}
OUT_DIR=${OUT:-}
REHEARSE=${DEVICE_SESSION_REHEARSE:-}
WORK=$(mktemp -d /tmp/device-session-XXXX)
LOG=$WORK/device_session.log
touch "$WORK/started"  # the results files newer than this are this session's
exec > >(tee "$LOG") 2>&1
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 WANDB_SILENT=true
export OMP_WAIT_POLICY=PASSIVE PIP_DISABLE_PIP_VERSION_CHECK=1
# The copied tree has no git history: .whl/COMMIT (written by `make device-wheels`) names it.
if [ -z "${PARETOLAB_BENCH_COMMIT:-}" ] && [ -f .whl/COMMIT ]; then
  export PARETOLAB_BENCH_COMMIT="$(cat .whl/COMMIT)"
fi
START=$(date +%s)

finish() {
  echo "== device session: done in $(($(date +%s) - START)) s, exit $1"
  if [ -n "$OUT_DIR" ]; then
    mkdir -p "$OUT_DIR"
    find "${PARETOLAB_BENCH_RESULTS:-benchmarks/results}" -maxdepth 1 -name '*.md' -newer "$WORK/started" \
      -exec cp {} "$OUT_DIR"/ \;
    [ -f "$WORK/gpu_check-steps.log" ] && cp "$WORK/gpu_check-steps.log" "$OUT_DIR"/
    cp "$LOG" "$OUT_DIR"/
  fi
  exit "$1"
}

echo "== machine: python $($PY -c 'import sys; print(sys.version.split()[0], sys.executable)' 2>&1)"
if command -v nvidia-smi >/dev/null; then nvidia-smi -L; else echo "nvidia-smi: not found"; fi
if [ -z "$REHEARSE" ] && ! $PY -c '
import sys, torch
seen = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
print("torch", torch.__version__, "cuda", torch.version.cuda, "device:", seen)
sys.exit(0 if seen else 1)'; then
  echo "== stopped: $PY has no torch that sees a CUDA device; nothing here can be measured"
  finish 3
fi

SITE=$WORK/site
if [ -z "$REHEARSE" ]; then
  echo "== installing .whl/ into $SITE"
  if ! ls .whl/*.whl >/dev/null 2>&1; then
    echo "== stopped: no .whl/ here: run \`make device-wheels\` first and carry .whl"
    finish 3
  fi
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target "$SITE" .whl/*.whl || { echo "== stopped: the wheels did not install"; finish 3; }
fi
$PY benchmarks/device_entry_points.py "$WORK/ep" \
  || { echo "== stopped: could not declare paretolab's entry points"; finish 3; }
export PYTHONPATH=$SITE:$WORK/ep:$REPO${PYTHONPATH:+:$PYTHONPATH}
$PY -c '
import paretolab.cli, sweeps.cli, lightning_modules.run.train, optuna, sqlalchemy, pydantic
from importlib.metadata import entry_points, version
names = sorted(e.name for e in entry_points(group="paretolab.commands"))
print("imports: ok; paretolab commands:", ", ".join(names))
used = ("torch", "lightning", "transformers", "tokenizers", "peft", "optuna", "sqlalchemy")
print("versions:", ", ".join(f"{name} {version(name)}" for name in used))' \
  || echo "== warning: an import failed (above); the checks below say where"

status=0
step() {  # step SECONDS NAME COMMAND…: run it under a timeout; note a failure and go on
  local limit=$1 name=$2 code
  shift 2
  echo "== $name (at most $limit s)"
  timeout -k 10 "$limit" "$@"
  code=$?
  [ $code -eq 124 ] && echo "== $name: timed out after $limit s"
  [ $code -ne 0 ] && { echo "== $name: exit $code"; status=1; }
  return 0
}

if [ -n "$REHEARSE" ]; then
  step 400 gpu_check "$PY" benchmarks/gpu_check.py --rehearse --logs "$WORK/gpu_check-steps.log"
  finish $status
fi
step 270 gpu_check "$PY" benchmarks/gpu_check.py --budget 240 --step-timeout 100 \
  --logs "$WORK/gpu_check-steps.log"
step 180 gpu_train "$PY" benchmarks/gpu_train.py --quick
# The overhead row's paretolab side logs to W&B offline; the image has no wandb (it is not
# carried: 20+ MB with its dependencies), so there the row runs with W&B off, and says so.
no_wandb=()
if ! $PY -c 'import wandb' 2>/dev/null; then
  echo "== overhead: no wandb here: the paretolab side runs with wandb.mode=disabled"
  no_wandb=(--set wandb.mode=disabled)
fi
step 80 overhead "$PY" benchmarks/overhead.py --rows gpu --reps 3 "${no_wandb[@]}"
finish $status
