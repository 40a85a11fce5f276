"""Plain-PyTorch forward pass of Llama-family decoders, the reference for the C# engine.

Written from the published Hugging Face transformers semantics of LlamaForCausalLM,
MistralForCausalLM, Qwen2ForCausalLM and Qwen3ForCausalLM (eval mode, no cache, one sequence),
not from this repository's C# code. Everything is fp32, no autocast.

  llama_forward(sd, config, ids) -> logits [T, vocab]

sd: a raw state dict with HF names (model.embed_tokens.weight, model.layers.N.self_attn.q_proj.weight,
..., model.norm.weight, lm_head.weight unless tie_word_embeddings); config: the parsed config.json.
The set of tensor names must be exactly what the architecture expects (strict).

What each model_type means here:
  llama    q/k/v/o bias iff attention_bias; gate/up/down bias iff mlp_bias; explicit head_dim allowed
  mistral  no biases; sliding_window (when not null) on every layer
  qwen2    q/k/v bias always, o no bias (attention_bias is not read); sliding window only when
           use_sliding_window and only on layers >= max_window_layers
  qwen3    q/k/v/o bias iff attention_bias; per-head RMSNorm q_norm/k_norm (weight [head_dim]) after
           the head split and before RoPE; sliding window as qwen2
layer_types, when present in the config, overrides the per-layer sliding/full choice.

RoPE: rotate-half (NeoX) convention, q*cos + rotate_half(q)*sin, inv_freq = 1/theta^(arange(0,d,2)/d),
frequencies duplicated over both halves. Config forms read: top-level rope_theta + rope_scaling
{"rope_type": ...} or the older {"type": ...}; or transformers 5's rope_parameters
{"rope_type", "rope_theta", ...} (which wins when present). Types: default, linear, llama3.

Attention mask: key j is visible to query i iff j <= i and, in a sliding layer, i - j < sliding_window
(transformers' masking_utils: kv_idx <= q_idx and kv_idx > q_idx - sliding_window).

The keyword `mutation` exists only for tools/make_llama_fixtures.py's checks that the fixtures
discriminate: it swaps one piece of the semantics for a plausible wrong one.
"""
import math

import torch

MUTATIONS = {
    None,
    "rope_interleaved",     # GPT-J pairing (x[2i], x[2i+1]) instead of rotate-half
    "kv_modulo",            # query head h reads kv head h % kv_heads instead of h // group
    "no_rope_scaling",      # rope_scaling / rope_parameters type ignored (plain inv_freq)
    "linear_for_llama3",    # llama3 scaling replaced by inv_freq / factor everywhere
    "default_rope_theta",   # rope_theta ignored, 10000
    "no_qk_norm",           # qwen3 q_norm/k_norm skipped
    "qk_norm_after_rope",   # qwen3 q_norm/k_norm applied after RoPE
    "no_sliding_window",    # full causal attention on every layer
    "window_plus_one",      # i - j <= sliding_window (W + 1 keys, as some transformers 4.x versions)
    "no_qkv_bias",          # q/k/v biases dropped
    "no_o_bias",            # o_proj bias dropped
    "tied_head",            # logits from embed_tokens even though lm_head.weight exists
    "rms_eps_1e-5",         # rms_norm_eps replaced by 1e-5
}


def rms_norm(x, weight, eps):
    """HF LlamaRMSNorm: in fp32, x * rsqrt(mean(x^2) + eps), back to the input dtype, times weight."""
    dtype = x.dtype
    h = x.to(torch.float32)
    h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + eps)
    return weight * h.to(dtype)


def rope_parameters(config):
    """(rope_type, theta, params dict) from any of the three config forms."""
    if config.get("rope_parameters") is not None:
        params = dict(config["rope_parameters"])
        theta = params.get("rope_theta", config.get("rope_theta", 10000.0))
    else:
        params = dict(config.get("rope_scaling") or {})
        theta = config.get("rope_theta", 10000.0)
    rope_type = params.get("rope_type", params.get("type", "default"))
    return rope_type, float(theta), params


def head_dim_of(config):
    return config.get("head_dim") or config["hidden_size"] // config["num_attention_heads"]


def llama3_branches(config):
    """Per frequency: 'high' (wavelength < original/high_freq_factor, unchanged), 'low' (wavelength >
    original/low_freq_factor, divided by factor) or 'medium' (smoothly interpolated)."""
    _, theta, p = rope_parameters(config)
    d = head_dim_of(config)
    inv_freq = 1.0 / (theta ** (torch.arange(0, d, 2, dtype=torch.int64).float() / d))
    wavelen = 2 * math.pi / inv_freq
    old = p["original_max_position_embeddings"]
    low_wavelen, high_wavelen = old / p["low_freq_factor"], old / p["high_freq_factor"]
    return ["high" if w < high_wavelen else "low" if w > low_wavelen else "medium" for w in wavelen.tolist()]


def rope_inv_freq(config, mutation=None):
    rope_type, theta, p = rope_parameters(config)
    if mutation == "default_rope_theta":
        theta = 10000.0
    d = head_dim_of(config)
    # As transformers: int64 arange cast to fp32, python-float base raised to an fp32 tensor.
    inv_freq = 1.0 / (theta ** (torch.arange(0, d, 2, dtype=torch.int64).float() / d))
    if mutation == "no_rope_scaling" or rope_type == "default":
        return inv_freq
    if rope_type == "linear" or mutation == "linear_for_llama3":
        return inv_freq / p["factor"]
    if rope_type == "llama3":
        factor, low, high = p["factor"], p["low_freq_factor"], p["high_freq_factor"]
        old = p["original_max_position_embeddings"]
        low_wavelen, high_wavelen = old / low, old / high
        wavelen = 2 * math.pi / inv_freq
        scaled = torch.where(wavelen > low_wavelen, inv_freq / factor, inv_freq)
        smooth = (old / wavelen - low) / (high - low)
        smoothed = (1 - smooth) * scaled / factor + smooth * scaled
        medium = ~(wavelen < high_wavelen) & ~(wavelen > low_wavelen)
        return torch.where(medium, smoothed, scaled)
    raise NotImplementedError(f"rope type {rope_type}")


def rope_cos_sin(inv_freq, length):
    """cos, sin [T, head_dim]: angles position * inv_freq in fp32, duplicated over both halves.
    (default, linear and llama3 all have attention_scaling 1.)"""
    positions = torch.arange(length, dtype=torch.int64).float()
    freqs = positions[:, None] * inv_freq[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def apply_rope(x, cos, sin, mutation=None):
    """x [heads, T, head_dim]."""
    if mutation == "rope_interleaved":
        half = x.shape[-1] // 2
        c, s = cos[:, :half], sin[:, :half]
        even, odd = x[..., 0::2], x[..., 1::2]
        return torch.stack((even * c - odd * s, odd * c + even * s), dim=-1).flatten(-2)
    return x * cos + rotate_half(x) * sin


def layout(config):
    """Which optional tensors the architecture has, and the per-layer sliding windows."""
    mt = config["model_type"]
    layers = config["num_hidden_layers"]
    if mt == "llama":
        bias = bool(config.get("attention_bias", False))
        qkv_bias, o_bias, qk_norm, mlp_bias = bias, bias, False, bool(config.get("mlp_bias", False))
        windows = [None] * layers
    elif mt == "mistral":
        qkv_bias = o_bias = qk_norm = mlp_bias = False
        windows = [config.get("sliding_window")] * layers
    elif mt in ("qwen2", "qwen3"):
        if mt == "qwen2":
            qkv_bias, o_bias, qk_norm = True, False, False
        else:
            bias = bool(config.get("attention_bias", False))
            qkv_bias, o_bias, qk_norm = bias, bias, True
        mlp_bias = False
        window = config.get("sliding_window") if config.get("use_sliding_window", False) else None
        first_sliding = config.get("max_window_layers", layers)
        windows = [window if window is not None and i >= first_sliding else None for i in range(layers)]
    else:
        raise NotImplementedError(mt)
    if config.get("layer_types") is not None:
        windows = [config.get("sliding_window") if t == "sliding_attention" else None for t in config["layer_types"]]
    return {"qkv_bias": qkv_bias, "o_bias": o_bias, "qk_norm": qk_norm, "mlp_bias": mlp_bias, "windows": windows}


def expected_names(config):
    lay = layout(config)
    names = {"model.embed_tokens.weight", "model.norm.weight"}
    if not config.get("tie_word_embeddings", False):
        names.add("lm_head.weight")
    for i in range(config["num_hidden_layers"]):
        p = f"model.layers.{i}."
        names |= {p + "input_layernorm.weight", p + "post_attention_layernorm.weight"}
        for proj in "qkvo":
            names.add(f"{p}self_attn.{proj}_proj.weight")
            if (lay["qkv_bias"] and proj != "o") or (lay["o_bias"] and proj == "o"):
                names.add(f"{p}self_attn.{proj}_proj.bias")
        if lay["qk_norm"]:
            names |= {p + "self_attn.q_norm.weight", p + "self_attn.k_norm.weight"}
        for proj in ("gate", "up", "down"):
            names.add(f"{p}mlp.{proj}_proj.weight")
            if lay["mlp_bias"]:
                names.add(f"{p}mlp.{proj}_proj.bias")
    return names


def attention_mask(length, window, mutation=None):
    """[T, T] bool, True where query i may attend key j."""
    i = torch.arange(length)[:, None]
    j = torch.arange(length)[None, :]
    allowed = j <= i
    if window is not None and mutation != "no_sliding_window":
        allowed &= (i - j <= window) if mutation == "window_plus_one" else (i - j < window)
    return allowed


def llama_forward(sd, config, ids, mutation=None):
    assert mutation in MUTATIONS, mutation
    assert config.get("hidden_act", "silu") == "silu", config.get("hidden_act")
    names = expected_names(config)
    assert set(sd) == names, (sorted(set(sd) - names), sorted(names - set(sd)))
    assert all(t.dtype == torch.float32 for t in sd.values())
    ids = torch.as_tensor(ids)
    t = len(ids)
    lay = layout(config)
    heads, kv_heads, d = config["num_attention_heads"], config.get("num_key_value_heads") or config["num_attention_heads"], head_dim_of(config)
    assert heads % kv_heads == 0
    group = heads // kv_heads
    kv_index = [h % kv_heads if mutation == "kv_modulo" else h // group for h in range(heads)]
    eps = 1e-5 if mutation == "rms_eps_1e-5" else config["rms_norm_eps"]
    cos, sin = rope_cos_sin(rope_inv_freq(config, mutation), t)

    def linear(x, prefix, bias=True):
        y = x @ sd[prefix + ".weight"].T
        return y + sd[prefix + ".bias"] if bias and prefix + ".bias" in sd else y

    x = sd["model.embed_tokens.weight"][ids]
    for n in range(config["num_hidden_layers"]):
        p = f"model.layers.{n}."
        h = rms_norm(x, sd[p + "input_layernorm.weight"], eps)
        qkv_bias = mutation != "no_qkv_bias"
        q = linear(h, p + "self_attn.q_proj", qkv_bias).view(t, heads, d).transpose(0, 1)
        k = linear(h, p + "self_attn.k_proj", qkv_bias).view(t, kv_heads, d).transpose(0, 1)
        v = linear(h, p + "self_attn.v_proj", qkv_bias).view(t, kv_heads, d).transpose(0, 1)
        norm_qk = lay["qk_norm"] and mutation != "no_qk_norm"
        if norm_qk and mutation != "qk_norm_after_rope":
            q = rms_norm(q, sd[p + "self_attn.q_norm.weight"], eps)
            k = rms_norm(k, sd[p + "self_attn.k_norm.weight"], eps)
        q, k = apply_rope(q, cos, sin, mutation), apply_rope(k, cos, sin, mutation)
        if norm_qk and mutation == "qk_norm_after_rope":
            q = rms_norm(q, sd[p + "self_attn.q_norm.weight"], eps)
            k = rms_norm(k, sd[p + "self_attn.k_norm.weight"], eps)
        k, v = k[kv_index], v[kv_index]
        scores = (q @ k.transpose(-1, -2)) * d ** -0.5
        mask = attention_mask(t, lay["windows"][n], mutation)
        scores = scores.masked_fill(~mask, torch.finfo(torch.float32).min)
        probs = torch.softmax(scores, dim=-1, dtype=torch.float32)
        attn = (probs @ v).transpose(0, 1).reshape(t, heads * d)
        x = x + linear(attn, p + "self_attn.o_proj", mutation != "no_o_bias")
        h = rms_norm(x, sd[p + "post_attention_layernorm.weight"], eps)
        gate = linear(h, p + "mlp.gate_proj")
        x = x + linear(torch.nn.functional.silu(gate) * linear(h, p + "mlp.up_proj"), p + "mlp.down_proj")
    x = rms_norm(x, sd["model.norm.weight"], eps)
    tied = config.get("tie_word_embeddings", False) or mutation == "tied_head"
    return x @ (sd["model.embed_tokens.weight"] if tied else sd["lm_head.weight"]).T


def next_token_logprobs(logits, ids):
    """logprobs[i] = log p(ids[i+1] | ids[..i])."""
    logp = torch.log_softmax(logits[:-1].float(), dim=-1)
    return logp.gather(1, torch.as_tensor(ids[1:]).unsqueeze(1)).squeeze(1)


def greedy(forward, ids, steps, eos_ids):
    """Argmax over all logits, recomputing the full prefix each step; stops after emitting an eos id.
    Returns (new ids, stopped_at_eos, smallest top-1/top-2 logit gap seen)."""
    ids = list(ids)
    new, min_gap = [], float("inf")
    for _ in range(steps):
        last = forward(torch.tensor(ids))[-1]
        top2 = last.topk(2).values
        min_gap = min(min_gap, (top2[0] - top2[1]).item())
        token = int(last.argmax())
        new.append(token)
        if token in eos_ids:
            return new, True, min_gap
        ids.append(token)
    return new, False, min_gap
