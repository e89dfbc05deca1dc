"""What would make a run's training fit the memory it has: the suggestions a memory
refusal ends with, built from what applies to the run's config (``memory_fit``, and the GPU
queue's refusal of a run larger than any GPU).

Only fixes the config would accept: FSDP for full fine-tunes of pretrained models (the
config refuses it for models of your own, LoRA, compile and Muon), LoRA for pretrained
models, bf16 when the run is not in a 16-bit precision already.
"""

from __future__ import annotations

from paretolab.config import RunConfig


def memory_fixes(config: RunConfig, on_gpu: bool, activations_heavy: bool = False) -> str:
    """One line: the changes that would make ``config``'s training need less memory, the
    most often useful first ("lower data.batch_size, …, or …")."""
    fixes = ["lower data.batch_size" + (" or data.max_length" if activations_heavy else "")]
    if config.trainer.precision == "32":
        fixes.append("train in trainer.precision=bf16-mixed")
    model = config.model
    if not model.is_pretrained():
        fixes.append(
            "make the model smaller (model.d_model, model.n_layers, model.d_ff or "
            "tokenizer.vocab_size)"
        )
        return _listed(fixes)
    if on_gpu and model.finetune == "full":
        fixes.append("fine-tune with LoRA (model.finetune=lora)")
    if on_gpu and _may_shard(config):
        more = "more " if config.hardware.strategy == "fsdp" else "several "
        fixes.append(
            f"shard it over {more}GPUs with FSDP (hardware.strategy=fsdp, hardware.devices)"
        )
    fixes.append("choose a smaller checkpoint (model.pretrained)")
    return _listed(fixes)


def _may_shard(config: RunConfig) -> bool:
    """Whether the config would be accepted with ``hardware.strategy=fsdp`` (see
    ``RunConfig._check_fsdp``)."""
    return (
        config.model.finetune != "lora"
        and not config.trainer.compile
        and config.optim.optimizer != "muon"
    )


def _listed(fixes: list[str]) -> str:
    return fixes[0] if len(fixes) == 1 else ", ".join(fixes[:-1]) + ", or " + fixes[-1]
