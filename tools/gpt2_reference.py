"""Plain-PyTorch GPT-2 forward passes used as the reference for the C# engine.

Two independent entry points over raw state dicts:
  gpt2_forward     Hugging Face GPT-2 names, Conv1D weights stored [in, out].
  megatron_forward Megatron-LM / NeMo (legacy) names, torch.nn.Linear weights
                   [out, in], fused QKV in Megatron's per-head interleaved layout.
Both return fp32 logits [T, vocab] for a 1-D tensor of token ids. Nothing here
is shared with the C# code paths, so agreement is evidence of correctness.
"""
import math

import torch


def gelu_new(x):
    """tanh approximation, HF GPT-2's activation."""
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))


def gelu_exact(x):
    """erf form, Megatron's activation."""
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


ACTIVATIONS = {"gelu_new": gelu_new, "gelu": gelu_exact}


def layer_norm(x, weight, bias, eps):
    mean = x.mean(-1, keepdim=True)
    var = (x - mean).pow(2).mean(-1, keepdim=True)  # biased, as torch.nn.LayerNorm
    return (x - mean) / torch.sqrt(var + eps) * weight + bias


def causal_attention(q, k, v):
    """q, k, v: [heads, T, head_dim] -> [T, heads * head_dim]."""
    heads, t, head_dim = q.shape
    scores = q @ k.transpose(-1, -2) / math.sqrt(head_dim)
    future = torch.ones(t, t, dtype=torch.bool).triu(1)
    scores = scores.masked_fill(future, torch.finfo(scores.dtype).min)
    probs = torch.softmax(scores, dim=-1)
    return (probs @ v).transpose(0, 1).reshape(t, heads * head_dim)


def gpt2_forward(sd, ids, n_head, eps=1e-5, activation="gelu_new"):
    """HF GPT2LMHeadModel.forward (eval mode) on a state dict without the `transformer.` prefix."""
    act = ACTIVATIONS[activation]
    x = sd["wte.weight"][ids] + sd["wpe.weight"][: len(ids)]
    n_layer = len({k.split(".")[1] for k in sd if k.startswith("h.")})
    for i in range(n_layer):
        p = lambda name: sd[f"h.{i}.{name}"]
        h = layer_norm(x, p("ln_1.weight"), p("ln_1.bias"), eps)
        qkv = h @ p("attn.c_attn.weight") + p("attn.c_attn.bias")
        # HF layout: [q(all heads) | k(all heads) | v(all heads)] along the output dim.
        q, k, v = (t.reshape(len(ids), n_head, -1).transpose(0, 1) for t in qkv.chunk(3, dim=-1))
        x = x + causal_attention(q, k, v) @ p("attn.c_proj.weight") + p("attn.c_proj.bias")
        h = layer_norm(x, p("ln_2.weight"), p("ln_2.bias"), eps)
        h = act(h @ p("mlp.c_fc.weight") + p("mlp.c_fc.bias"))
        x = x + h @ p("mlp.c_proj.weight") + p("mlp.c_proj.bias")
    x = layer_norm(x, sd["ln_f.weight"], sd["ln_f.bias"], eps)
    return x @ sd["wte.weight"].T


MEGATRON_LM = "model.language_model."


def megatron_forward(sd, ids, num_heads, eps=1e-5):
    """Megatron GPTModel forward (pre-LN, learned positions, tied output) over the padded vocab."""
    x = sd[MEGATRON_LM + "embedding.word_embeddings.weight"][ids]
    x = x + sd[MEGATRON_LM + "embedding.position_embeddings.weight"][: len(ids)]
    layers = MEGATRON_LM + "encoder.layers."
    n_layer = len({k[len(layers):].split(".")[0] for k in sd if k.startswith(layers)})
    linear = lambda h, prefix: h @ sd[prefix + ".weight"].T + sd[prefix + ".bias"]
    for i in range(n_layer):
        pre = f"{layers}{i}."
        h = layer_norm(x, sd[pre + "input_layernorm.weight"], sd[pre + "input_layernorm.bias"], eps)
        qkv = linear(h, pre + "self_attention.query_key_value")
        # Megatron layout: per head [q | k | v], i.e. view as [T, heads, 3 * head_dim] then split.
        q, k, v = qkv.view(len(ids), num_heads, -1).transpose(0, 1).chunk(3, dim=-1)
        # apply_query_key_layer_scaling divides by layer_number and multiplies it back
        # inside the fp32 softmax: a no-op for the maths, so plain 1/sqrt(head_dim).
        x = x + linear(causal_attention(q, k, v), pre + "self_attention.dense")
        h = layer_norm(x, sd[pre + "post_attention_layernorm.weight"], sd[pre + "post_attention_layernorm.bias"], eps)
        x = x + linear(gelu_exact(linear(h, pre + "mlp.dense_h_to_4h")), pre + "mlp.dense_4h_to_h")
    x = layer_norm(x, sd[MEGATRON_LM + "encoder.final_layernorm.weight"], sd[MEGATRON_LM + "encoder.final_layernorm.bias"], eps)
    return x @ sd[MEGATRON_LM + "embedding.word_embeddings.weight"].T


def next_token_logprobs(logits, ids):
    """logprobs[i] = log p(ids[i+1] | ids[..i]), softmax over every logit column."""
    logp = torch.log_softmax(logits[:-1].float(), dim=-1)
    return logp.gather(1, torch.as_tensor(ids[1:]).unsqueeze(1)).squeeze(1)


def greedy(forward, ids, steps, vocab_size, eos_id):
    """Argmax decoding restricted to the first vocab_size logits, recomputing the full prefix each step.

    Returns (new ids, stopped_at_eos, smallest top-1/top-2 logit gap seen).
    """
    ids = list(ids)
    new, min_gap = [], float("inf")
    for _ in range(steps):
        last = forward(torch.tensor(ids))[-1, :vocab_size]
        top2 = last.topk(2).values
        min_gap = min(min_gap, (top2[0] - top2[1]).item())
        token = int(last.argmax())
        new.append(token)
        if token == eos_id:
            return new, True, min_gap
        ids.append(token)
    return new, False, min_gap
