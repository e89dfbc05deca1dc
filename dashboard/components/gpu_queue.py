"""The GPU queue on this server, drawn (the Launch page): each GPU's memory, utilisation and
holder, and a link to each run that trains on one (a sweep worker's: the trial it trains now)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from paretolab.gpu_status import GpuStatus, memory_text, utilization_text


def show_gpu_queue(gpus: Sequence[GpuStatus]) -> None:
    """A table of the GPUs (``paretolab devices``'s GPU queue), then links to their runs."""
    if not gpus:
        st.caption(
            "No NVIDIA GPU found (NVML): runs are queued without GPU assignment, "
            "one at a time unless PARETOLAB_MAX_CONCURRENT says more."
        )
        return
    free = sum(g.holder is None for g in gpus)
    st.caption(
        f"{free} of {len(gpus)} GPU(s) free. A GPU run starts when the GPUs it asks for "
        "(hardware.devices) are free and sees only those; until then it waits in the queue "
        "with the reason on its page."
    )
    frame = pd.DataFrame(
        [
            {
                "GPU": g.index,
                "name": g.name,
                "memory used": memory_text(g),
                "utilisation": utilization_text(g),
                "held by": g.holder or "free",
            }
            for g in gpus
        ]
    )
    st.dataframe(frame, hide_index=True, width="stretch", key="launch_gpu_queue")
    for run_id in dict.fromkeys(g.run_id for g in gpus if g.run_id is not None):
        on = [g for g in gpus if g.run_id == run_id]
        held = ", ".join(str(g.index) for g in on)
        trial = f", a trial of sweep {on[0].sweep}" if on[0].sweep else ""
        st.page_link(
            "views/run.py",
            label=f"Open run {run_id}{trial} (GPU {held})",
            icon=":material/open_in_new:",
            query_params={"run": str(run_id)},
        )
