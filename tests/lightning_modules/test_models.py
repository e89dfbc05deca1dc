import pytest
import torch

from lightning_modules.models import EncoderClassifier, MultiHeadAttention, TransformerConfig
from lightning_modules.models.attention import sdpa_mask_args
from lightning_modules.models.embeddings import Embeddings, sinusoidal_table
from paretolab.config.io import load_config
from tests.conftest import REPO


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


def padded_batch() -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.randn(3, 7, 32)
    mask = torch.ones(3, 7, dtype=torch.bool)
    mask[1, 5:] = False
    mask[2, 2:] = False
    return x, mask


@pytest.mark.parametrize("causal", [False, True])
def test_explicit_path_matches_fast_path(causal: bool) -> None:
    attn = MultiHeadAttention(32, 4).eval()
    x, mask = padded_batch()
    fast, none = attn(x, key_padding_mask=mask, causal=causal)
    explicit, weights = attn(x, key_padding_mask=mask, causal=causal, return_weights=True)
    assert none is None and weights.shape == (3, 4, 7, 7)
    torch.testing.assert_close(explicit, fast, atol=1e-5, rtol=1e-5)


def test_plain_causal_attention_takes_the_flash_path_and_matches_the_mask() -> None:
    attn = MultiHeadAttention(32, 4).eval()
    x = torch.randn(2, 9, 32)
    # No padding, queries = keys: is_causal and no mask tensor, which flash kernels need.
    assert sdpa_mask_args(None, 9, 9, True, x.device) == {"attn_mask": None, "is_causal": True}
    fast, _ = attn(x, causal=True)
    explicit, _ = attn(x, causal=True, return_weights=True)
    torch.testing.assert_close(explicit, fast, atol=1e-5, rtol=1e-5)
    # Padding, or fewer queries than keys (bottom-right causal), keeps the explicit mask.
    padded = sdpa_mask_args(torch.ones(2, 9, dtype=torch.bool), 9, 9, True, x.device)
    assert padded["attn_mask"].shape == (2, 1, 9, 9) and "is_causal" not in padded
    shifted = sdpa_mask_args(None, 3, 9, True, x.device)["attn_mask"]
    assert shifted.shape == (1, 1, 3, 9) and bool(shifted[0, 0, 0, 6]) and not shifted[0, 0, 0, 7]


def test_cross_attention_shapes_and_match() -> None:
    attn = MultiHeadAttention(32, 4).eval()
    x, context = torch.randn(2, 3, 32), torch.randn(2, 5, 32)
    fast, _ = attn(x, context=context)
    explicit, weights = attn(x, context=context, return_weights=True)
    assert weights.shape == (2, 4, 3, 5)
    torch.testing.assert_close(explicit, fast, atol=1e-5, rtol=1e-5)


def test_probabilities_sum_to_one_and_padding_gets_zero() -> None:
    attn = MultiHeadAttention(32, 4).eval()
    x, mask = padded_batch()
    _, w = attn(x, key_padding_mask=mask, return_weights=True)
    torch.testing.assert_close(w.sum(-1), torch.ones(3, 4, 7))
    assert torch.all(w[1, :, :, 5:] == 0) and torch.all(w[2, :, :, 2:] == 0)


def test_causal_mask_gives_exact_zeros_above_the_diagonal() -> None:
    attn = MultiHeadAttention(32, 4).eval()
    _, w = attn(torch.randn(2, 6, 32), causal=True, return_weights=True)
    upper = torch.triu(torch.ones(6, 6, dtype=torch.bool), diagonal=1)
    assert torch.all(w[..., upper] == 0)


def test_heads_must_divide_width() -> None:
    with pytest.raises(ValueError, match="must divide"):
        MultiHeadAttention(30, 4)


def test_sinusoidal_table_matches_the_formula() -> None:
    table = sinusoidal_table(10, 8)
    assert table.shape == (10, 8)
    assert table[0, 0] == 0 and table[0, 1] == 1
    torch.testing.assert_close(table[3, 2], torch.sin(torch.tensor(3 / 10000 ** (2 / 8))))


def test_embeddings_refuse_sequences_longer_than_max_len() -> None:
    emb = Embeddings(50, 16, max_len=8, positional="learned", dropout=0.0)
    with pytest.raises(ValueError, match="longer than the model's max_len=8"):
        emb(torch.zeros(1, 9, dtype=torch.long))


@pytest.mark.parametrize(("pooling", "positional"), [("mean", "learned"), ("cls", "sinusoidal")])
def test_classifier_logits_ignore_padding(pooling: str, positional: str) -> None:
    shape = TransformerConfig(
        vocab_size=50,
        num_classes=3,
        max_len=16,
        d_model=32,
        n_layers=2,
        n_heads=4,
        d_ff=64,
        positional=positional,
        pooling=pooling,
    )
    model = EncoderClassifier(shape).eval()
    ids = torch.tensor([[2, 7, 8, 9, 0, 0], [2, 5, 6, 7, 8, 9]])
    mask = ids != 0
    logits = model(ids, mask)
    assert logits.shape == (2, 3)
    # What sits in padded positions must not change the prediction.
    noisy = ids.clone()
    noisy[0, 4:] = 11
    torch.testing.assert_close(model(noisy, mask), logits)


def test_classifier_learns_a_separable_toy_problem() -> None:
    shape = TransformerConfig(
        vocab_size=20,
        num_classes=2,
        max_len=8,
        d_model=16,
        n_layers=1,
        n_heads=2,
        d_ff=32,
        dropout=0.0,
    )
    model = EncoderClassifier(shape)
    ids = torch.randint(3, 20, (64, 8))
    labels = (ids == 5).any(dim=1).long()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    for _ in range(150):
        loss = torch.nn.functional.cross_entropy(model(ids), labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert (model(ids).argmax(-1) == labels).float().mean() > 0.95


def tiny_decoder(**kw) -> torch.nn.Module:
    from lightning_modules.models import DecoderLM

    shape = TransformerConfig(
        vocab_size=30, max_len=16, d_model=32, n_layers=2, n_heads=4, d_ff=64, **kw
    )
    return DecoderLM(shape).eval()


def test_decoder_is_causal() -> None:
    model = tiny_decoder()
    ids = torch.randint(0, 30, (2, 10))
    changed = ids.clone()
    changed[:, 6:] = (changed[:, 6:] + 1) % 30
    torch.testing.assert_close(model(changed)[:, :6], model(ids)[:, :6])
    assert not torch.allclose(model(changed)[:, 6:], model(ids)[:, 6:])


def test_decoder_ties_its_head_to_the_embedding() -> None:
    model = tiny_decoder()
    assert model.head.weight is model.stack.embed.token.weight
    assert (
        tiny_decoder(tie_weights=False).head.weight is not tiny_decoder().stack.embed.token.weight
    )


def test_generation_greedy_top_k_and_context_window() -> None:
    model = tiny_decoder()
    prompt = torch.tensor([[1, 2, 3]])
    greedy = model.generate(prompt, 20, temperature=0)
    assert greedy.shape == (1, 23) and torch.equal(greedy[:, :3], prompt)
    assert torch.equal(model.generate(prompt, 20, temperature=0), greedy)  # deterministic
    top1 = model.generate(
        prompt, 20, temperature=1.0, top_k=1, generator=torch.Generator().manual_seed(0)
    )
    assert torch.equal(top1, greedy)  # top-1 sampling is greedy
    sampled = model.generate(
        prompt, 20, temperature=1.5, top_k=5, generator=torch.Generator().manual_seed(0)
    )
    assert sampled.shape == (1, 23) and int(sampled.max()) < 30


def test_vit_shapes_and_attention_over_cls_and_patches() -> None:
    from lightning_modules.models import VisionTransformer

    shape = TransformerConfig(
        vocab_size=0,
        max_len=0,
        image_shape=(1, 8, 8),
        patch_size=2,
        num_classes=10,
        d_model=32,
        n_layers=2,
        n_heads=4,
        d_ff=64,
        pooling="cls",
    )
    vit = VisionTransformer(shape).eval()
    images = torch.rand(3, 1, 8, 8)
    assert vit(images).shape == (3, 10)
    hidden, weights = vit.encode(images, return_weights=True)
    assert hidden.shape == (3, 17, 32) and len(weights) == 2 and weights[0].shape == (3, 4, 17, 17)
    torch.testing.assert_close(vit.head(hidden[:, 0]), vit(images))


@pytest.mark.parametrize("pooling", ["cls", "mean"])
def test_a_vit_from_its_config_takes_sinusoidal_positions_and_its_pooling(pooling: str) -> None:
    # Both settings used to be ignored silently: every ViT had learned positions and [CLS].
    from lightning_modules.tasks.classification import ClassificationTask

    config = load_config(
        REPO / "configs" / "digits_tiny.yaml",
        ["model.positional=sinusoidal", f"model.pooling={pooling}"],
    )
    task = ClassificationTask(config.model_dump(mode="json"), 0, list("0123456789"), [1, 8, 8])
    vit = task.model.eval()
    assert not any("position" in name for name, _ in vit.named_parameters())
    torch.testing.assert_close(vit.position[0], sinusoidal_table(17, 32))  # [CLS] + 16 patches
    images = torch.rand(3, 1, 8, 8)
    hidden, _ = vit.encode(images)
    pooled = hidden[:, 0] if pooling == "cls" else hidden[:, 1:].mean(dim=1)
    torch.testing.assert_close(vit(images), vit.head(pooled))


def test_a_vit_pools_its_cls_token_unless_told_otherwise() -> None:
    vit = load_config(REPO / "configs" / "digits_tiny.yaml").model
    assert (vit.pooling, vit.positional) == ("cls", "learned")  # as every ViT before
    text = load_config(REPO / "configs" / "tiny.yaml").model
    assert text.pooling == "mean"
