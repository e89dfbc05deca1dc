"""Look inside a run: every layer's and head's attention for a sample, typed text or an image,
with rollout, saliency, cross-attention alignments and ViT patch maps."""

import streamlit as st

from dashboard.components import attention_panels as panels
from dashboard.components import attention_summaries as summaries
from dashboard.services import attention as attention_services
from dashboard.services import launch as launch_services
from dashboard.services import runs as run_services
from paretolab.errors import RunNotFound, UserError

st.title("Look inside")
choices = attention_services.inspectable_runs()
requested = st.query_params.get("run", "")
if requested.isdigit() and int(requested) not in choices:  # an older run, linked directly
    try:
        label = launch_services.run_label(int(requested))
    except RunNotFound:
        st.warning(f"There is no run {requested}.")
    else:
        if attention_services.checkpoints(int(requested)):
            choices = {int(requested): label, **choices}
        else:
            st.warning(f"Run {requested} has no checkpoint yet: it has not trained far enough.")
if not choices:
    st.info("No run has a checkpoint yet. Train one on the Launch page, then look inside it here.")
    st.stop()
default = int(requested) if requested.isdigit() and int(requested) in choices else None
c1, c2 = st.columns([3, 1])
run_id = c1.selectbox(
    "Run",
    list(choices),
    index=list(choices).index(default) if default is not None else 0,
    format_func=choices.get,
    key="attn_run",
)
st.query_params["run"] = str(run_id)
checkpoint = c2.radio(
    "Checkpoint",
    attention_services.checkpoints(run_id),
    horizontal=True,
    key=f"attn_checkpoint_{run_id}",
)
reads_images = run_services.get_run(run_id).config["task"] == "image_classification"


def pick_maps():
    """The input chosen on the page, run through the model (None until there is one)."""
    typed = "uploaded image" if reads_images else "typed text"
    kind = st.radio("Input", ["dataset sample", typed], horizontal=True, key="attn_input")
    if kind == "dataset sample":
        s1, s2 = st.columns(2)
        split = s1.radio("Split", ["val", "test"], horizontal=True, key="attn_split")
        n = attention_services.sample_count(run_id, checkpoint, split)
        index = s2.number_input(
            f"Sample (0–{n - 1})", 0, n - 1, 0, key=f"attn_sample_{run_id}_{split}"
        )
        return attention_services.sample_maps(run_id, checkpoint, split, int(index))
    if kind == "typed text":
        text = st.text_area("Text", key="attn_text", placeholder="Type what the model should read")
        return attention_services.text_maps(run_id, checkpoint, text) if text.strip() else None
    upload = st.file_uploader(
        "Image (PNG, JPEG…)", type=["png", "jpg", "jpeg", "bmp", "gif"], key="attn_image"
    )
    invert = st.checkbox(
        "Invert dark and light (the digit sets are light strokes on black)", key="attn_invert"
    )
    return (
        attention_services.image_maps(run_id, checkpoint, upload.getvalue(), invert)
        if upload
        else None
    )


try:
    maps = pick_maps()
except UserError as exc:
    st.error(str(exc))
    st.stop()
if maps is None:
    st.info("Give the model something to read.")
    st.stop()

answer = f"prediction: **{maps.prediction}**"
if maps.reference:
    answer += f" · reference: **{maps.reference}**"
st.markdown(f"{maps.source} · {answer}")
for note in maps.notes:
    st.caption(f"Note: {note}.")
eager = " (transformers' eager attention)" if maps.family == "pretrained" else ""
st.info(
    f"These weights come from the explicit softmax path{eager} — softmax(QKᵀ/√d) "
    f"materialised — run on this run's trained weights ({maps.run}). On this input it "
    "reproduces the outputs of the fast path that training uses to within "
    f"{maps.fast_path_max_diff:.1e}. Attention "
    "shows where each position drew information from, not why the model decided: attention "
    "is not an explanation (Jain & Wallace 2019; Wiegreffe & Pinter 2019). Padding is never "
    "shown.",
    icon=":material/info:",
)
with st.expander(f"Tokens ({len(maps.tokens)}), as the run's tokenizer splits them"):
    st.markdown(" ".join(f"`{panels.display(t)}`" for t in maps.tokens))
    if maps.output_tokens is not None:
        st.markdown("Generated: " + " ".join(f"`{panels.display(t)}`" for t in maps.output_tokens))
st.download_button(
    "Download the arrays (.npz)",
    lambda: attention_services.npz_file(maps),  # built only when clicked
    file_name=f"run{run_id}-{checkpoint}-attention.npz",
    mime="application/octet-stream",
    key="attn_download",
    on_click="ignore",
)
show_special = st.toggle("Show special tokens ([CLS], [SEP])", value=True, key="attn_special")

views = panels.stacks(maps, show_special)
names = list(views)
if len(names) > 1:
    label = "Attention in the heat map, model and head views"
    stack = views[st.radio(label, names, horizontal=True, key="attn_stack")]
else:
    stack = views[names[0]]

tabs = ["Heat map", "Model view", "Head view", "Rollout"]
if maps.saliency is not None:
    tabs[-1] = "Rollout & saliency"
if maps.cross_attention is not None:
    tabs.insert(0, "Alignment")
if maps.image is not None:
    tabs.insert(0, "Image")
for name, tab in zip(tabs, st.tabs(tabs), strict=True):
    with tab:
        if name == "Image":
            summaries.render_image(maps, "attn_image_view")
        elif name == "Alignment":
            summaries.render_alignment(views["cross-attention"], "attn_alignment")
        elif name == "Heat map":
            panels.render_heatmap(stack, "attn_heatmap")
        elif name == "Model view":
            panels.render_model_view(stack, "attn_model")
        elif name == "Head view":
            panels.render_head_view(stack, "attn_head")
        else:
            summaries.render_rollout(maps, show_special, "attn_rollout")
