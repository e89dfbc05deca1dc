"""Tiny random Hugging Face models for tests, built from ``transformers``' config classes and
saved with ``save_pretrained`` into a folder: the same loading code as a real checkpoint,
no download. Each comes with a fast tokenizer (byte-level BPE, so no text is unknown) or,
for ViT, an image processor."""

from __future__ import annotations

from pathlib import Path

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

_TEXT = (
    "the quick brown fox jumps over the lazy dog. business markets shares profit bank. "
    "sport football match win team player. tech computer software phone internet users. "
    "politics government election minister party vote. entertainment film music star award. "
    "to be or not to be, that is the question: whether tis nobler in the mind to suffer. "
) * 4
ARCHITECTURES = ("bert", "gpt2", "llama", "t5", "vit")


def _tokenizer(specials: list[str], bert_style: bool) -> Tokenizer:
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator([_TEXT], trainer=trainer)
    if bert_style:
        cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
        tok.post_processor = processors.TemplateProcessing(
            single="[CLS] $A [SEP]", special_tokens=[("[CLS]", cls), ("[SEP]", sep)]
        )
    return tok


def save_tiny_model(kind: str, folder: Path, **overrides: object) -> Path:
    """Save a tiny random ``kind`` model (one of ``ARCHITECTURES``) into ``folder``."""
    import transformers as tf

    folder.mkdir(parents=True, exist_ok=True)
    small = {"hidden_size": 32, "num_attention_heads": 4, "intermediate_size": 64}
    if kind == "vit":
        cfg = tf.ViTConfig(
            **small, num_hidden_layers=2, image_size=16, patch_size=4, num_channels=3
        )
        cfg.update(overrides)
        tf.ViTForImageClassification(cfg).save_pretrained(folder)
        tf.ViTImageProcessor(size={"height": 16, "width": 16}).save_pretrained(folder)
        return folder
    if kind == "bert":
        tok = _tokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"], bert_style=True)
        fast = tf.PreTrainedTokenizerFast(
            tokenizer_object=tok,
            pad_token="[PAD]",
            unk_token="[UNK]",
            cls_token="[CLS]",
            sep_token="[SEP]",
            mask_token="[MASK]",
        )
        cfg = tf.BertConfig(vocab_size=tok.get_vocab_size(), num_hidden_layers=2, **small)
        model_class = tf.BertModel
    elif kind == "gpt2":
        tok = _tokenizer(["<|endoftext|>"], bert_style=False)
        fast = tf.PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|endoftext|>")
        cfg = tf.GPT2Config(
            vocab_size=tok.get_vocab_size(), n_embd=32, n_layer=2, n_head=4, n_positions=128
        )
        model_class = tf.GPT2LMHeadModel
    elif kind == "llama":
        tok = _tokenizer(["<unk>", "<s>", "</s>"], bert_style=False)
        fast = tf.PreTrainedTokenizerFast(
            tokenizer_object=tok, unk_token="<unk>", bos_token="<s>", eos_token="</s>"
        )
        cfg = tf.LlamaConfig(
            vocab_size=tok.get_vocab_size(),
            num_hidden_layers=2,
            num_key_value_heads=2,
            max_position_embeddings=128,
            bos_token_id=1,
            eos_token_id=2,
            **small,
        )
        model_class = tf.LlamaForCausalLM
    elif kind == "t5":
        tok = _tokenizer(["<pad>", "</s>", "<unk>"], bert_style=False)
        fast = tf.PreTrainedTokenizerFast(
            tokenizer_object=tok, pad_token="<pad>", eos_token="</s>", unk_token="<unk>"
        )
        cfg = tf.T5Config(
            vocab_size=tok.get_vocab_size(),
            d_model=32,
            d_kv=8,
            d_ff=64,
            num_layers=2,
            num_heads=4,
            decoder_start_token_id=0,
            pad_token_id=0,
            eos_token_id=1,
        )
        model_class = tf.T5ForConditionalGeneration
    else:
        raise ValueError(f"unknown tiny model {kind!r}; choose one of {ARCHITECTURES}")
    cfg.update(overrides)
    model_class(cfg).save_pretrained(folder)
    fast.save_pretrained(folder)
    return folder
