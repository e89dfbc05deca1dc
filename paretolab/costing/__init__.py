"""The cost model: pure arithmetic on a model's shape, a hardware catalog, no torch.

- ``shapes``: the numbers a cost is computed from (model and batch shapes): GPT-style
  blocks, gated feed-forwards, grouped-query attention, mixtures of experts;
- ``hf_config``: a shape from a Hugging Face ``config.json`` (llama, mistral, qwen2, gemma,
  mixtral, gpt2, bert, t5);
- ``presets`` (+ ``presets.yaml``): published models by name, every figure with its source;
- ``params``: parameter counts per family, by block (total and active);
- ``flops``: training FLOPs (6·N·D and an exact per-layer count), inference FLOPs per token;
- ``memory``: training and serving memory;
- ``catalog`` (+ ``hardware.yaml``): devices, peak FLOP/s, power, dated prices;
- ``peaks``: the peak a device is measured against (a CPU's is measured);
- ``pricing``: device-hours, dollars, kWh, CO₂e and projections;
- ``energy_methods``: how each energy figure was obtained (NVML counter or power, RAPL, the
  TDP estimate): metric keys, codes and labels;
- ``shape_sources``: a shape from bare numbers or a run config (a pretrained model's folder);
- ``budget``: the tokens a run config trains on (its steps, or its dataset × epochs);
- ``finetune``: fine-tuning FLOPs (full, frozen layers, LoRA) and LoRA adapter counts;
- ``estimate``: one training budget costed end to end (``paretolab cost estimate``);
- ``estimate_result``: what ``estimate`` returns (frozen dataclasses, ``to_dict()`` for JSON);
- ``frontier``: the cost-vs-quality Pareto frontier and its marginal costs;
- ``scaling``: power-law fits of loss against compute, Chinchilla context (numpy, scipy).
"""
