"""The run page's Cost tab: the run's bill, its energy by meter, the assumptions behind the
figures, and the same run on other hardware at an assumed MFU."""

from __future__ import annotations

import streamlit as st

from dashboard.components.cost_columns import cost_columns, readable_costs
from dashboard.services.business import costs as cost_services


def show_run_cost(run_id: int) -> None:
    """What the run cost, what the figures rest on (energy with its meter, part by part),
    and the same run on other hardware."""
    cost = cost_services.run_cost(run_id)
    figures, assumed = cost["figures"], cost["assumptions"]
    if "flops_estimated" not in figures:
        st.info("No cost figures yet: a run stores them when its training ends.")
        return
    m = st.columns(5)
    m[0].metric("Cost", f"${figures['usd']:.3g}" if figures.get("usd") is not None else "—")
    m[1].metric("Device-hours", f"{figures.get('device_hours', 0):.3g}")
    m[2].metric("Training FLOPs", f"{figures['flops_estimated']:.3g}")
    m[3].metric(
        "Energy (kWh)",
        f"{figures.get('energy_kwh', 0):.3g}",
        figures.get("energy_source"),
        delta_color="off",
        delta_arrow="off",
    )
    m[4].metric("CO₂e (kg)", f"{figures.get('co2_kg', 0):.3g}")
    n = st.columns(5)
    n[0].metric("MFU", f"{figures['mfu']:.1%}" if figures.get("mfu") else "—")
    n[1].metric("Tokens/s", f"{figures.get('tokens_per_sec', 0):,.0f}")
    n[2].metric("Tokens", f"{figures.get('tokens', 0):,.0f}")
    n[3].metric("Parameters", f"{figures.get('params', 0):,.0f}")
    n[4].metric(
        "Measured ÷ estimated FLOPs",
        f"{figures['flops_ratio']:.3f}" if figures.get("flops_ratio") else "—",
    )
    if cost["energy_parts"]:
        st.caption(
            "Energy measured at the device (× PUE above): "
            + " · ".join(
                f"{p['part']} {p['kwh']:.3g} kWh ({p['method']})" for p in cost["energy_parts"]
            )
        )
    batch = assumed.get("batch_measured") or {}
    if batch:
        st.caption(
            f"FlopCounterMode counted {batch['measured']:.4g} FLOPs on the first training batch "
            f"(forward + backward); the per-layer formula gives {batch['estimated']:.4g}."
        )
    spend = assumed.get("spend") or {}
    if not assumed:
        st.caption(
            "This run recorded no cost.json: the assumptions behind its figures are unknown."
        )
    else:
        st.caption(
            f"Hardware: {assumed.get('hardware') or 'not in the catalog'} · precision "
            f"{assumed.get('precision', '?')} · peak {figures.get('peak_flops') or 0:.3g} FLOP/s "
            f"({assumed.get('peak_source', '?')}) · price {spend.get('price_quote', '—')} · "
            f"energy {figures.get('energy_source') or '—'}, PUE {spend.get('pue', '—')}, "
            f"{spend.get('carbon_kg_per_kwh', '—')} kg CO₂e/kWh ({spend.get('grid', '—')})"
        )
    st.markdown("**The same run elsewhere** (its training FLOPs at an assumed MFU)")
    w1, w2 = st.columns(2)
    mfu = w1.slider("MFU", 0.05, 0.8, 0.4, 0.05, key="run_whatif_mfu")
    devices = w2.number_input("Devices", 1, 4096, 1, key="run_whatif_devices")
    st.dataframe(
        readable_costs(cost_services.what_if(run_id, mfu, int(devices))),
        hide_index=True,
        width="stretch",
        column_config=cost_columns(),
    )
