#!/usr/bin/python3
"""PyTorch baselines for FedPrompt's p-tuning train step (`fedprompt bench ptuning`): a frozen GPT
(345M shape, random weights), NeMo's mlp prompt encoder (Embedding(10, d) -> Linear(d, 2048) ->
ReLU -> Linear(2048, d)) whose output replaces the word embeddings at the virtual positions,
answer-only cross-entropy, backward into the encoder, gradient clipping and an AdamW step, one
micro-batch of 4 per step, on the examples `fedprompt bench ptuning --dump FILE` wrote, in the order
it trained them (so both time the same micro-batches and the same padding).

  --mode nemo      logits over the whole vocabulary at every position, then masked (NeMo's way)
  --mode gathered  hidden states gathered at the loss positions first
  --mode packed    gathered, and every per-token operation only at the positions the loss depends on
                   (each row up to its last loss position: no padding, no final token; FedPrompt's way)

  OMP_NUM_THREADS=2 /usr/bin/python3 tools/bench_ptuning.py --examples FILE --mode nemo
"""
import argparse
import json
import resource
import time

import torch
import torch.nn.functional as F

from bench_engine import attention_matmul, autocast, frozen_gpt, in_precision, parameters


def encoder(hidden, virtual, width):
    return torch.nn.ModuleDict({
        "embedding": torch.nn.Embedding(virtual, hidden),
        "mlp": torch.nn.Sequential(torch.nn.Linear(hidden, width), torch.nn.ReLU(), torch.nn.Linear(width, hidden)),
    })


def batch(examples, pad):
    """Right-padded ids, virtual-slot indices and the (flat position, target) pairs of the answer loss."""
    length = max(len(e["tokens"]) for e in examples)
    ids, slots, positions, targets = [], [], [], []
    for row, e in enumerate(examples):
        tokens, slot = e["tokens"], 0
        for t in range(length):
            virtual = t < len(tokens) and tokens[t] == -1
            ids.append(pad if t >= len(tokens) else 0 if virtual else tokens[t])
            slots.append(slot if virtual else -1)
            slot += virtual
            if t + 1 < len(tokens) and t + 1 >= e["answer_start"]:
                positions.append(row * length + t)
                targets.append(tokens[t + 1])
    shape = (len(examples), length)
    return (torch.tensor(ids).view(shape), torch.tensor(slots).view(shape),
            torch.tensor(positions), torch.tensor(targets))


def step(model, enc, optimizer, examples, heads, mode, precision):
    with autocast(precision):
        loss = forward(model, enc, examples, heads, mode)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(enc.parameters(), 1.0)
    optimizer.step()
    optimizer.zero_grad()


def forward(model, enc, examples, heads, mode):
    ids, slots, positions, targets = batch(examples, pad=50256)
    b, t = ids.shape
    virtual = enc["mlp"](enc["embedding"].weight)
    words = model["wte"][ids].float()
    x = torch.where((slots >= 0).unsqueeze(-1), virtual[slots.clamp(min=0)].float(), words) + model["wpe"][:t].float()
    # Packed: per-token tensors are [n, d] over the kept positions; attention scatters into [b, t].
    pack = rectangle = lambda z: z
    if mode == "packed":
        reads = [0] * b
        for p in positions.tolist():
            reads[p // t] = max(reads[p // t], p % t + 1)
        keep = torch.cat([row * t + torch.arange(n) for row, n in enumerate(reads)])
        packed_at = torch.full((b * t,), -1, dtype=torch.long)
        packed_at[keep] = torch.arange(len(keep))
        positions = packed_at[positions]
        pack = lambda z: z[keep]
        rectangle = lambda z: z.new_zeros(b * t, z.shape[-1]).index_copy(0, keep, z)
    h = pack(x.reshape(b * t, -1))
    for blk in model["blocks"]:
        a = F.layer_norm(h, h.shape[-1:], **blk["ln_1"])
        q, k, v = (z.view(b, t, heads, -1).transpose(1, 2) for z in rectangle(F.linear(a, **blk["qkv"])).chunk(3, dim=-1))
        h = h + F.linear(pack(attention_matmul(q, k, v).transpose(1, 2).reshape(b * t, -1)), **blk["proj"])
        m = F.layer_norm(h, h.shape[-1:], **blk["ln_2"])
        h = h + F.linear(F.gelu(F.linear(m, **blk["fc"]), approximate="tanh"), **blk["fc_proj"])
    h = F.layer_norm(h, h.shape[-1:], **model["ln_f"])
    if mode == "nemo":
        logits = h @ model["wte"].T
        mask = torch.zeros(b * t)
        mask[positions] = 1
        labels = torch.full((b * t,), 0, dtype=torch.long)
        labels[positions] = targets
        losses = F.cross_entropy(logits.view(b * t, -1), labels, reduction="none")
        loss = (losses * mask).sum() / mask.sum()
    else:
        loss = F.cross_entropy(h[positions] @ model["wte"].T, targets)
    return loss


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", required=True)
    parser.add_argument("--mode", choices=["nemo", "gathered", "packed"], required=True)
    parser.add_argument("--layers", type=int, default=24)
    parser.add_argument("--hidden", type=int, default=1024)
    parser.add_argument("--heads", type=int, default=16)
    parser.add_argument("--precision", choices=("fp32", "bf16"), default="fp32",
                        help="bf16: frozen weights held in bf16 and the step under bf16 autocast; the encoder and AdamW stay fp32")
    args = parser.parse_args()
    torch.set_num_threads(2)
    data = json.load(open(args.examples))
    examples, micro = data["examples"], data["micro_batch"]
    model = in_precision(frozen_gpt(args.layers, args.hidden, 50257, 1024, torch.Generator().manual_seed(0)), args.precision)
    enc = encoder(args.hidden, data["virtual_tokens"], 2048)
    optimizer = torch.optim.AdamW(enc.parameters(), lr=1e-4, betas=(0.9, 0.98), weight_decay=0.01)
    batches = [examples[i:i + micro] for i in range(0, len(examples) - micro + 1, micro)]
    for b in batches[:2]:
        step(model, enc, optimizer, b, args.heads, args.mode, args.precision)
    start = time.perf_counter()
    for b in batches[2:]:
        step(model, enc, optimizer, b, args.heads, args.mode, args.precision)
    seconds = time.perf_counter() - start
    timed = len(batches) - 2
    print(json.dumps({
        "impl": "pytorch", "mode": args.mode, "precision": args.precision, "torch": torch.__version__, "threads": 2,
        "examples_per_s": round(timed * micro / seconds, 3), "ms_per_step": round(seconds * 1000 / timed, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "weights_mb": round(sum(w.numel() * w.element_size() for w in parameters(model)) / 2**20, 1),
    }))


if __name__ == "__main__":
    main()
