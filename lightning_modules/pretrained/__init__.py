"""Pretrained Hugging Face models (family ``pretrained``): find, check, load, fine-tune.

``kinds`` says which ``transformers`` Auto class serves each task and whether a checkpoint
fits it; ``finetune`` freezes layers or adds LoRA adapters; ``loading`` builds the model and
the tokenizer from the checkpoint's folder and records where they came from; ``check`` runs
every check before a run is stored (``python -m lightning_modules.pretrained.check``).
"""
