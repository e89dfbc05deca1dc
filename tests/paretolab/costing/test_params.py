"""Parameter counts per family equal the torch modules' counts."""

import pytest

from paretolab.config import ModelConfig
from paretolab.costing.params import model_params, non_embedding_params, total_params
from paretolab.costing.shapes import ModelShape


def shape_of(model: ModelConfig, head: str, vocab: int = 700, max_len: int = 64, **extra):
    return ModelShape(
        family=model.family,
        n_layers=model.n_layers,
        d_model=model.d_model,
        n_heads=model.n_heads,
        d_ff=model.ff_dim(),
        vocab_size=vocab,
        max_len=max_len,
        head=head,
        tie_weights=model.tie_weights,
        positional=model.positional,
        **extra,
    )


def torch_count(net) -> int:
    return sum(p.numel() for p in net.parameters())


def built(shape: ModelShape, pooling: str = "mean"):
    """The model config of ``shape``, for the torch models (imported late: this is the core)."""
    from lightning_modules.models import TransformerConfig

    return TransformerConfig.from_shape(shape, pooling=pooling)


@pytest.mark.parametrize(
    "model",
    [
        ModelConfig(),
        ModelConfig(d_model=96, n_heads=3, n_layers=3, d_ff=200, positional="sinusoidal"),
    ],
    ids=["encoder", "encoder-sinusoidal"],
)
@pytest.mark.parametrize("classes", [5, 1], ids=["classifier", "regression"])
def test_encoder_classifier_counts_match_torch(model: ModelConfig, classes: int) -> None:
    from lightning_modules.models import EncoderClassifier

    shape = shape_of(model, "classes", num_classes=classes)
    net = EncoderClassifier(built(shape))
    counted = model_params(shape)
    assert sum(counted.values()) == torch_count(net)
    assert counted["token embedding"] == 700 * model.d_model


@pytest.mark.parametrize("tie", [True, False])
def test_decoder_counts_match_torch(tie: bool) -> None:
    from lightning_modules.models import DecoderLM

    model = ModelConfig(family="decoder_lm", d_model=48, n_heads=3, tie_weights=tie)
    shape = shape_of(model, "lm")
    net = DecoderLM(built(shape))
    assert total_params(shape) == torch_count(net)
    # Kaplan's N: everything but the token and position tables.
    assert non_embedding_params(shape) == total_params(shape) - 700 * 48 - 64 * 48


@pytest.mark.parametrize("tie", [True, False])
def test_masked_lm_counts_match_torch(tie: bool) -> None:
    from lightning_modules.models.masked_lm import MaskedLM

    model = ModelConfig(d_model=32, n_layers=2, tie_weights=tie)
    shape = shape_of(model, "mlm", vocab=300, max_len=40)
    assert total_params(shape) == torch_count(MaskedLM(built(shape)))


@pytest.mark.parametrize("positional", ["learned", "sinusoidal"])
def test_vit_counts_match_torch(positional: str) -> None:
    from lightning_modules.models import VisionTransformer

    model = ModelConfig(
        family="vit", patch_size=2, d_model=32, n_layers=2, n_heads=4, positional=positional
    )
    shape = shape_of(model, "classes", num_classes=10, image_shape=(1, 8, 8), patch_size=2)
    net = VisionTransformer(built(shape, pooling="cls"))
    assert total_params(shape) == torch_count(net)


@pytest.mark.parametrize("tie", [True, False])
def test_encoder_decoder_counts_match_torch_with_two_vocabularies(tie: bool) -> None:
    from lightning_modules.models.seq2seq import EncoderDecoder

    model = ModelConfig(
        family="encoder_decoder", d_model=32, n_layers=2, n_decoder_layers=3, tie_weights=tie
    )
    shape = shape_of(model, "lm", vocab=300, max_len=40, n_decoder_layers=3, target_vocab=120)
    net = EncoderDecoder(built(shape))
    assert total_params(shape) == torch_count(net)


def test_shape_from_a_config_takes_the_task_head() -> None:
    from tests.conftest import tiny_config

    config = tiny_config("task=masked_lm", "trainer.monitor=val_loss")
    shape = ModelShape.from_config(config)
    assert shape.head == "mlm" and shape.vocab_size == config.tokenizer.vocab_size
    regression = tiny_config(
        "task=regression", "trainer.monitor=val_loss", "data.dataset=file", "data.path=x.csv"
    )
    assert ModelShape.from_config(regression).num_classes == 1
