"""Transformer models built from one set of blocks."""

from lightning_modules.models.attention import MultiHeadAttention
from lightning_modules.models.config import TransformerConfig
from lightning_modules.models.decoder import DecoderLM
from lightning_modules.models.encoder import EncoderClassifier
from lightning_modules.models.stack import TransformerStack
from lightning_modules.models.vit import VisionTransformer

__all__ = [
    "DecoderLM",
    "EncoderClassifier",
    "MultiHeadAttention",
    "TransformerConfig",
    "TransformerStack",
    "VisionTransformer",
]
