#!/usr/bin/python3
"""PyTorch baseline for the C# engine's p-tuning step: a frozen GPT (345M shape by
default) run forward from input embeddings that require grad, full-vocabulary
cross-entropy, and backward to those embeddings only. Prints one JSON line.

  OMP_NUM_THREADS=2 /usr/bin/python3 tools/bench_engine.py [--iterations 10]
"""
import argparse
import json
import math
import resource
import time

import torch
import torch.nn.functional as F


def frozen_gpt(layers, hidden, vocab, positions, gen):
    """Weights as nn.Linear stores them ([out, in]); matrices N(0, 0.02), LayerNorms identity, biases zero."""
    def mat(*shape):
        return torch.randn(shape, generator=gen) * 0.02

    def linear(n_out, n_in):
        return {"weight": mat(n_out, n_in), "bias": torch.zeros(n_out)}

    def norm():
        return {"weight": torch.ones(hidden), "bias": torch.zeros(hidden)}

    return {"wte": mat(vocab, hidden), "wpe": mat(positions, hidden), "ln_f": norm(), "blocks": [
        {"ln_1": norm(), "qkv": linear(3 * hidden, hidden), "proj": linear(hidden, hidden),
         "ln_2": norm(), "fc": linear(4 * hidden, hidden), "fc_proj": linear(hidden, 4 * hidden)}
        for _ in range(layers)]}


def in_precision(model, precision):
    """The frozen weights held in bf16 for --precision bf16 as FedPrompt holds them: embeddings and
    linear layers in bf16, LayerNorms in fp32."""
    if precision == "fp32":
        return model
    if isinstance(model, torch.Tensor):
        return model.to(torch.bfloat16)
    if isinstance(model, dict):
        return {k: v if k.startswith("ln") else in_precision(v, precision) for k, v in model.items()}
    return [in_precision(v, precision) for v in model]


def autocast(precision):
    """bf16 autocast, the way a PyTorch user runs a bf16 model on a CPU: products in bf16, LayerNorm,
    softmax and the loss in fp32."""
    return torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16")


def parameters(model):
    if isinstance(model, torch.Tensor):
        yield model
    else:
        for value in (model.values() if isinstance(model, dict) else model):
            yield from parameters(value)


def attention_matmul(q, k, v):
    t = q.shape[-2]
    scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
    scores = scores.masked_fill(torch.ones(t, t, dtype=torch.bool).triu(1), float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


def attention_sdpa(q, k, v):
    return F.scaled_dot_product_attention(q, k, v, is_causal=True)


def step(model, ids, targets, heads, attention):
    batch, seq = ids.shape
    x = (model["wte"][ids].float() + model["wpe"][:seq].float()).detach().requires_grad_(True)
    h = x
    for blk in model["blocks"]:
        a = F.layer_norm(h, h.shape[-1:], **blk["ln_1"])
        q, k, v = (t.view(batch, seq, heads, -1).transpose(1, 2) for t in F.linear(a, **blk["qkv"]).chunk(3, dim=-1))
        a = attention(q, k, v).transpose(1, 2).reshape(batch, seq, -1)
        h = h + F.linear(a, **blk["proj"])
        m = F.layer_norm(h, h.shape[-1:], **blk["ln_2"])
        h = h + F.linear(F.gelu(F.linear(m, **blk["fc"]), approximate="tanh"), **blk["fc_proj"])
    h = F.layer_norm(h, h.shape[-1:], **model["ln_f"])
    logits = h @ model["wte"].T
    loss = F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.view(-1))
    loss.backward()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iterations", type=int, default=10)
    parser.add_argument("--layers", type=int, default=24)
    parser.add_argument("--hidden", type=int, default=1024)
    parser.add_argument("--heads", type=int, default=16)
    parser.add_argument("--vocab", type=int, default=50257)
    parser.add_argument("--positions", type=int, default=1024)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--seq", type=int, default=42)
    parser.add_argument("--attention", choices=("matmul", "sdpa"), default="matmul")
    parser.add_argument("--precision", choices=("fp32", "bf16"), default="fp32")
    args = parser.parse_args()
    if args.attention == "sdpa" and not hasattr(F, "scaled_dot_product_attention"):
        parser.error(f"torch {torch.__version__} has no scaled_dot_product_attention")

    torch.set_num_threads(2)
    gen = torch.Generator().manual_seed(0)
    model = in_precision(frozen_gpt(args.layers, args.hidden, args.vocab, args.positions, gen), args.precision)
    weights = list(parameters(model))
    assert not any(w.requires_grad for w in weights)
    ids = torch.randint(args.vocab, (args.batch, args.seq), generator=gen)
    targets = torch.randint(args.vocab, (args.batch, args.seq), generator=gen)
    attention = attention_sdpa if args.attention == "sdpa" else attention_matmul

    for _ in range(2):
        with autocast(args.precision):
            step(model, ids, targets, args.heads, attention)
    start = time.perf_counter()
    for _ in range(args.iterations):
        with autocast(args.precision):
            step(model, ids, targets, args.heads, attention)
    elapsed = time.perf_counter() - start

    print(json.dumps({
        "impl": "pytorch", "torch": torch.__version__, "threads": torch.get_num_threads(),
        "attention": args.attention, "precision": args.precision,
        "shape": {k: getattr(args, k) for k in ("layers", "hidden", "heads", "vocab", "positions", "batch", "seq")},
        "examples_per_s": round(args.batch * args.iterations / elapsed, 3),
        "ms_per_step": round(1000 * elapsed / args.iterations, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),  # Linux: KiB
        "weights_mb": round(sum(w.numel() * w.element_size() for w in weights) / 2**20, 1),
    }))


if __name__ == "__main__":
    main()
