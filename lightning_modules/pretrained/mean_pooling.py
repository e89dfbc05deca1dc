"""A pretrained encoder with a mean-pooled head (``model.pooling: mean``).

Sentence encoders such as all-MiniLM-L6-v2 were trained to be read as the mean of their
token states, masked by attention; their [CLS] state and BERT's pooler (dense + tanh) were
never trained for it, so ``AutoModelForSequenceClassification``'s head starts far worse on
them. ``MeanPooledClassifier`` is the checkpoint's base model (``AutoModel``), the masked
mean of its last hidden states, dropout and a fresh linear head. It answers like a
``transformers`` model where the studio talks to one (``config``, ``.logits``,
``output_attentions``, ``get_input_embeddings``, ``set_attn_implementation``,
``base_model``), so training, LoRA, attention views, cost and serving use it unchanged.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import torch
from torch import nn

HEAD = "classifier"
"""The head's module name (also what LoRA's ``modules_to_save`` keeps trainable)."""
HEAD_FILE = "mean_pooling_head.safetensors"
LOADER_FILE = "mean_pooling.py"


def masked_mean(hidden: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """``(B, T, d)`` states → ``(B, d)``: the mean over the positions ``mask`` keeps."""
    if mask is None:
        return hidden.mean(dim=1)
    weights = mask.to(hidden.dtype).unsqueeze(-1)
    return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1.0)


class MeanPooledClassifier(nn.Module):
    """``body`` (a ``transformers`` base model) + masked mean + dropout + linear head."""

    def __init__(self, body: nn.Module, num_labels: int):
        super().__init__()
        if getattr(body, "pooler", None) is not None:
            body.pooler = None  # [CLS] + dense + tanh: unused here, so not trained or counted
        # Named as transformers names it (BERT: ``bert``), so the state dict's keys are
        # those of the checkpoint's own classifier: ``bert.encoder…``, ``classifier.weight``.
        self.body_name = getattr(body, "base_model_prefix", "") or "body"
        self.add_module(self.body_name, body)
        hf = body.config
        dropout = getattr(hf, "classifier_dropout", None)
        if dropout is None:
            dropout = getattr(hf, "hidden_dropout_prob", 0.1)
        self.dropout = nn.Dropout(dropout)
        setattr(self, HEAD, nn.Linear(hf.hidden_size, num_labels))

    @property
    def body(self) -> nn.Module:
        """The checkpoint's base model (``AutoModel``)."""
        return getattr(self, self.body_name)

    @property
    def config(self) -> Any:
        """The checkpoint's ``PretrainedConfig`` (with the run's labels)."""
        return self.body.config

    @property
    def base_model(self) -> nn.Module:
        """The pretrained body (where ``block_list`` and the embeddings are found)."""
        return self.body

    def get_input_embeddings(self) -> nn.Module:
        """The body's token embedding table."""
        return self.body.get_input_embeddings()

    def set_attn_implementation(self, name: str) -> None:
        """Switch the body's attention (the attention explorer's eager pass)."""
        self.body.set_attn_implementation(name)

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        **kwargs: Any,
    ) -> Any:
        """Logits ``(B, num_labels)`` as a ``SequenceClassifierOutput`` (with the body's
        attentions when ``output_attentions=True``)."""
        from transformers.modeling_outputs import SequenceClassifierOutput

        out = self.body(input_ids=input_ids, attention_mask=attention_mask, **kwargs)
        pooled = masked_mean(out.last_hidden_state, attention_mask)
        logits = getattr(self, HEAD)(self.dropout(pooled))
        return SequenceClassifierOutput(
            logits=logits, hidden_states=out.hidden_states, attentions=out.attentions
        )


def build_mean_pooled(folder: Any, head: dict[str, Any], trust: bool, weights: bool) -> nn.Module:
    """The checkpoint in ``folder`` as a ``MeanPooledClassifier``; ``head``: the label
    arguments (``num_labels``, ``id2label``…) its config records; ``weights``: False builds
    the architecture only."""
    import transformers

    head = {k: v for k, v in head.items() if k != "ignore_mismatched_sizes"}
    hf_config = transformers.AutoConfig.from_pretrained(folder, trust_remote_code=trust, **head)
    auto = transformers.AutoModel
    if weights:
        body = auto.from_pretrained(folder, config=hf_config, trust_remote_code=trust)
    else:
        body = auto.from_config(hf_config, trust_remote_code=trust)
    return MeanPooledClassifier(body, hf_config.num_labels)


def save_exported(model: MeanPooledClassifier, folder: Path) -> None:
    """Write ``model`` as a folder that needs only torch and transformers: the base model
    (``save_pretrained``: ``AutoModel`` loads it), the head (``HEAD_FILE``) and this file
    (``LOADER_FILE``), whose ``load_exported`` puts them together again."""
    from safetensors.torch import save_file

    model.body.save_pretrained(folder)
    head = {k: v.contiguous() for k, v in getattr(model, HEAD).state_dict().items()}
    save_file(head, str(Path(folder) / HEAD_FILE))
    shutil.copyfile(__file__, Path(folder) / LOADER_FILE)


def load_exported(folder: str | Path, trust_remote_code: bool = False) -> MeanPooledClassifier:
    """A folder ``save_exported`` wrote, as the model (eval mode). Without paretolab::

    import sys; sys.path.insert(0, folder)
    from mean_pooling import load_exported
    logits = load_exported(folder)(**tokenizer(text, return_tensors="pt")).logits

    ``trust_remote_code``: True for a base model whose code ships with it (a run that set
    ``model.trust_remote_code``); off by default, as in ``transformers``.
    """
    from safetensors.torch import load_file
    from transformers import AutoModel

    body = AutoModel.from_pretrained(folder, trust_remote_code=trust_remote_code)
    model = MeanPooledClassifier(body, body.config.num_labels)
    getattr(model, HEAD).load_state_dict(load_file(str(Path(folder) / HEAD_FILE)))
    return model.eval()
