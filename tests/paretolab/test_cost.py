import pytest

from paretolab.config import ModelConfig
from paretolab.cost import encoder_classifier_params


@pytest.mark.parametrize(
    "model",
    [
        ModelConfig(),
        ModelConfig(d_model=96, n_heads=3, n_layers=3, d_ff=200, positional="sinusoidal"),
    ],
)
def test_encoder_classifier_params_match_torch(model: ModelConfig) -> None:
    from lightning_modules.models import EncoderClassifier

    net = EncoderClassifier(
        vocab_size=700,
        num_classes=5,
        max_len=64,
        d_model=model.d_model,
        n_layers=model.n_layers,
        n_heads=model.n_heads,
        d_ff=model.ff_dim(),
        positional=model.positional,
    )
    counted = encoder_classifier_params(model, vocab_size=700, max_len=64, num_classes=5)
    assert sum(counted.values()) == sum(p.numel() for p in net.parameters())
    assert counted["token embedding"] == 700 * model.d_model
