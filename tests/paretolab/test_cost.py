import pytest

from paretolab.config import ModelConfig
from paretolab.cost import model_params


@pytest.mark.parametrize(
    "model",
    [
        ModelConfig(),
        ModelConfig(d_model=96, n_heads=3, n_layers=3, d_ff=200, positional="sinusoidal"),
        ModelConfig(family="decoder_lm", d_model=64, n_layers=2),
        ModelConfig(family="decoder_lm", d_model=48, n_heads=3, tie_weights=False),
    ],
    ids=["encoder", "encoder-sinusoidal", "decoder-tied", "decoder-untied"],
)
def test_param_counts_match_torch(model: ModelConfig) -> None:
    from lightning_modules.models import DecoderLM, EncoderClassifier

    shape = dict(
        d_model=model.d_model,
        n_layers=model.n_layers,
        n_heads=model.n_heads,
        d_ff=model.ff_dim(),
        positional=model.positional,
    )
    if model.family == "decoder_lm":
        net = DecoderLM(vocab_size=700, max_len=64, tie_weights=model.tie_weights, **shape)
    else:
        net = EncoderClassifier(vocab_size=700, num_classes=5, max_len=64, **shape)
    counted = model_params(model, vocab_size=700, max_len=64, num_classes=5)
    assert sum(counted.values()) == sum(p.numel() for p in net.parameters())
    assert counted["token embedding"] == 700 * model.d_model


def test_vit_param_count_matches_torch() -> None:
    from lightning_modules.models import VisionTransformer

    model = ModelConfig(family="vit", patch_size=2, d_model=32, n_layers=2, n_heads=4)
    net = VisionTransformer(
        (1, 8, 8), 2, 10, d_model=32, n_layers=2, n_heads=4, d_ff=model.ff_dim()
    )
    counted = model_params(model, vocab_size=0, max_len=0, num_classes=10, image_shape=(1, 8, 8))
    assert sum(counted.values()) == sum(p.numel() for p in net.parameters())


@pytest.mark.parametrize("tie", [True, False])
def test_encoder_decoder_param_count_matches_torch(tie: bool) -> None:
    from lightning_modules.models.seq2seq import EncoderDecoder

    model = ModelConfig(
        family="encoder_decoder", d_model=32, n_layers=2, n_decoder_layers=3, tie_weights=tie
    )
    net = EncoderDecoder(300, 300, 40, 40, 32, 2, 3, model.n_heads, model.ff_dim(), tie_weights=tie)
    counted = model_params(model, vocab_size=300, max_len=40)
    assert sum(counted.values()) == sum(p.numel() for p in net.parameters())
