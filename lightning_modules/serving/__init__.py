"""Registered models out of the studio: export (safetensors, Hugging Face, ONNX), a model
card, predictions on PyTorch or ONNX Runtime, and serving with LitServe."""
