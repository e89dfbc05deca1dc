"""``paretolab serve``: a registered version behind LitServe (Lightning's serving library).

``POST /predict`` with ``{"input": "a text"}`` (image models: ``{"input": "<base64 PNG or
JPEG>"}``) answers one prediction record (``predictor.Predictor``); requests that arrive
together are run as one batch (LitServe's dynamic batching: up to ``max_batch_size``,
waiting at most ``batch_timeout`` seconds to fill it). ``GET /health`` answers ``ok`` once
the model is loaded. The server listens on 127.0.0.1 unless told otherwise, and stops
cleanly on Ctrl+C or SIGTERM.
"""

# No `from __future__ import annotations`: LitServe builds the /predict endpoint from
# decode_request's annotation, which must be a real type (a string would make it a query).
import base64
import binascii
from typing import Any

import litserve as ls
from fastapi import HTTPException

from lightning_modules.serving.export import load_version
from lightning_modules.serving.predictor import Predictor
from lightning_modules.serving.runtime import open_runtime
from paretolab import model_registry
from paretolab.store import RunStore


class PredictAPI(ls.LitAPI):
    """LitServe's API for one registered version on one runtime."""

    def __init__(
        self,
        ref: str,
        runtime: str,
        store_url: str,
        max_batch_size: int = 16,
        batch_timeout: float = 0.01,
    ):
        super().__init__(max_batch_size=max_batch_size, batch_timeout=batch_timeout)
        self.ref, self.runtime_name, self.store_url = ref, runtime, store_url
        self.predictor: Predictor | None = None

    def setup(self, device: str) -> None:
        """Load the version in the inference worker (LitServe calls this once per worker)."""
        store = RunStore(self.store_url)
        version = model_registry.resolve(self.ref, store)
        run = load_version(version, store)
        self.predictor = Predictor(run, open_runtime(self.runtime_name, run, version, store))

    def decode_request(self, request: dict) -> str | bytes:
        """The request's ``input``: a non-empty text, or base64 image bytes."""
        value = request.get("input") if isinstance(request, dict) else None
        if not isinstance(value, str) or not value.strip():
            raise HTTPException(400, 'send JSON {"input": "a non-empty text"}')
        if self.predictor is not None and self.predictor.run.reads_images:
            try:
                return base64.b64decode(value, validate=True)
            except binascii.Error:
                raise HTTPException(400, "input must be a base64-encoded image") from None
        return value

    def predict(self, inputs: list[str | bytes]) -> list[dict[str, Any]]:
        """One record per input of the batch."""
        return self.predictor.predict(list(inputs))

    def encode_response(self, output: dict[str, Any]) -> dict[str, Any]:
        """The record as it is (JSON)."""
        return output


def serve(
    ref: str,
    host: str = "127.0.0.1",
    port: int = 8000,
    runtime: str = "pytorch",
    max_batch_size: int = 16,
    batch_timeout: float = 0.01,
) -> None:
    """Serve the version ``ref`` names until stopped.

    The version, its checkpoint and (for ONNX Runtime) its export are checked here first,
    so a bad reference fails in one line before any server starts.

    Raises:
        UserError: an unknown model, version or alias, or missing checkpoint files.
    """
    store = RunStore()
    version = model_registry.resolve(ref, store)
    open_runtime(runtime, load_version(version, store), version, store)
    api = PredictAPI(version.ref, runtime, store.url, max_batch_size, batch_timeout)
    server = ls.LitServer(api, accelerator="cpu", workers_per_device=1, timeout=60)
    server.run(host=host, port=port, log_level="warning", generate_client_file=False)
