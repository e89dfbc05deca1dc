"""``paretolab serve``: LitServe on loopback answers 200 concurrent requests with no error,
batches them, refuses bad requests, and stops cleanly on SIGTERM; the same API object
serves every model family.

The trained runs' home is shared by the session; each test registers its own model names.
"""

from __future__ import annotations

import base64
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image

from lightning_modules.serving.predict import predict
from lightning_modules.serving.server import PredictAPI
from paretolab import model_registry
from paretolab.store import RunStore
from tests.conftest import REPO, TrainedRuns


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(port: int, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/predict",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def wait_for_health(port: int, server: subprocess.Popen, limit_s: float = 240) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        assert server.poll() is None, server.stderr.read().decode()[-2000:]
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise AssertionError("the server did not answer /health in time")


@pytest.mark.slow
def test_200_concurrent_requests_on_loopback_and_a_clean_stop(trained_home: TrainedRuns) -> None:
    model_registry.register_run(trained_home.ids["encoder_classifier"], "served")
    model_registry.registry().set_alias("served", 1, "production")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "paretolab.cli", "serve", "served@production", "--port", str(port)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: LitServe's workers stop with it
    )
    try:
        wait_for_health(port, server)
        texts = [f"the bank raised rates, story {i}" for i in range(200)]
        with ThreadPoolExecutor(max_workers=200) as pool:
            answers = list(pool.map(lambda t: post(port, {"input": t}), texts))
        assert [status for status, _ in answers] == [200] * 200
        labels = {"business", "entertainment", "politics", "sports", "tech"}
        assert all(body["label"] in labels and len(body["top_k"]) == 3 for _, body in answers)
        status, body = post(port, {"text": "wrong key"})
        assert status == 400 and "input" in body["detail"]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
    time.sleep(1)
    with socket.socket() as s:  # the port is free again: nothing of the server is left
        assert s.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.parametrize("family", ["decoder_lm", "vit", "encoder_decoder"])
def test_the_api_serves_every_family(trained_home: TrainedRuns, family: str) -> None:
    model_registry.register_run(trained_home.ids[family], f"api-{family}")
    api = PredictAPI(f"api-{family}", "pytorch", RunStore().url, max_batch_size=4)
    api.setup("cpu")
    if family == "vit":
        buffer = io.BytesIO()
        Image.fromarray(np.zeros((8, 8), dtype="uint8")).save(buffer, format="PNG")
        value = base64.b64encode(buffer.getvalue()).decode()
    else:
        value = "twenty one" if family == "encoder_decoder" else "to be or"
    inputs = [api.decode_request({"input": value}) for _ in range(2)]
    records = [api.encode_response(r) for r in api.predict(inputs)]
    assert len(records) == 2 and records[0] == records[1]
    assert ("label" in records[0]) == (family == "vit")
    assert ("generated" in records[0]) == (family != "vit")


@pytest.mark.slow
def test_the_api_serves_a_pretrained_lora_run_as_predict_does(
    pretrained_runs: TrainedRuns,
) -> None:
    model_registry.register_run(pretrained_runs.ids["bert_lora"], "api-bert")
    texts = ["the bank raised interest rates", "the team won the match"]
    api = PredictAPI("api-bert", "pytorch", RunStore().url, max_batch_size=4)
    api.setup("cpu")
    served = [
        api.encode_response(r)
        for r in api.predict([api.decode_request({"input": t}) for t in texts])
    ]
    expected = predict("api-bert", runtime="pytorch", progress=False, texts=texts)
    assert [r["label"] for r in served] == [r["label"] for r in expected]
    for ours, theirs in zip(served, expected, strict=True):
        assert abs(ours["score"] - theirs["score"]) < 1e-5
