"""A second, differently built Llama-family forward pass, used by tools/make_llama_fixtures.py to check
tools/llama_reference.py: float64, one token at a time with a growing key/value cache, per-head
loops, RoPE as complex multiplication of the pairs (x[i], x[i + d/2]), the llama3 rule evaluated per
frequency in plain Python floats, the sliding window as an explicit list of visible keys.
Shares no code with llama_reference.py. Covers the features the fixtures use (no qwen sliding window).

  loop_logits(sd, config, ids) -> float64 logits [T, vocab]
"""
import math

import torch


def frequencies(config, head_dim):
    params = config.get("rope_parameters")
    if params:
        theta = params["rope_theta"]
    else:
        params = config.get("rope_scaling") or {}
        theta = config.get("rope_theta", 10000.0)
    kind = params.get("rope_type") or params.get("type") or "default"
    out = []
    for i in range(head_dim // 2):
        f = theta ** (-(2 * i) / head_dim)
        if kind == "linear":
            f /= params["factor"]
        elif kind == "llama3":
            wavelength = 2 * math.pi / f
            old = params["original_max_position_embeddings"]
            if wavelength > old / params["low_freq_factor"]:
                f /= params["factor"]
            elif wavelength >= old / params["high_freq_factor"]:
                s = (old / wavelength - params["low_freq_factor"]) / (params["high_freq_factor"] - params["low_freq_factor"])
                f = (1 - s) * f / params["factor"] + s * f
        else:
            assert kind == "default", kind
        out.append(f)
    return torch.tensor(out, dtype=torch.float64)


def loop_logits(sd, config, ids):
    w = {k: v.to(torch.float64) for k, v in sd.items()}
    kind = config["model_type"]
    heads = config["num_attention_heads"]
    kv_heads = config.get("num_key_value_heads") or heads
    d = config.get("head_dim") or config["hidden_size"] // heads
    eps = config["rms_norm_eps"]
    freqs = frequencies(config, d)
    window = config.get("sliding_window") if kind == "mistral" else None
    if kind in ("qwen2", "qwen3"):
        assert not config.get("use_sliding_window")
    biased = config.get("attention_bias", False)
    qkv_bias = {"llama": biased, "mistral": False, "qwen2": True, "qwen3": biased}[kind]
    o_bias = {"llama": biased, "mistral": False, "qwen2": False, "qwen3": biased}[kind]
    layers = config["num_hidden_layers"]
    head = w["model.embed_tokens.weight"] if config.get("tie_word_embeddings") else w["lm_head.weight"]

    def norm(x, weight):
        return weight * x / torch.sqrt((x * x).mean() + eps)

    def rotate(x, pos):
        z = torch.complex(x[: d // 2], x[d // 2:]) * torch.exp(1j * pos * freqs)
        return torch.cat([z.real, z.imag])

    keys = [[] for _ in range(layers)]    # keys[layer][position][kv head]
    values = [[] for _ in range(layers)]
    logits = []
    for pos, token in enumerate(ids):
        x = w["model.embed_tokens.weight"][token].clone()
        for n in range(layers):
            p = f"model.layers.{n}."

            def proj(name, v, bias):
                y = w[f"{p}{name}.weight"] @ v
                return y + w[f"{p}{name}.bias"] if bias else y

            h = norm(x, w[p + "input_layernorm.weight"])
            q, k, v = (proj(f"self_attn.{c}_proj", h, qkv_bias) for c in "qkv")
            query = []
            for hd in range(heads):
                qh = q[hd * d:(hd + 1) * d]
                if kind == "qwen3":
                    qh = norm(qh, w[p + "self_attn.q_norm.weight"])
                query.append(rotate(qh, pos))
            step_keys, step_values = [], []
            for g in range(kv_heads):
                kh = k[g * d:(g + 1) * d]
                if kind == "qwen3":
                    kh = norm(kh, w[p + "self_attn.k_norm.weight"])
                step_keys.append(rotate(kh, pos))
                step_values.append(v[g * d:(g + 1) * d])
            keys[n].append(step_keys)
            values[n].append(step_values)
            visible = [j for j in range(pos + 1) if window is None or pos - j < window]
            outputs = []
            for hd in range(heads):
                g = hd // (heads // kv_heads)
                scores = torch.stack([query[hd] @ keys[n][j][g] / math.sqrt(d) for j in visible])
                probs = torch.softmax(scores, 0)
                outputs.append(sum(probs[m] * values[n][j][g] for m, j in enumerate(visible)))
            x = x + proj("self_attn.o_proj", torch.cat(outputs), o_bias)
            h = norm(x, w[p + "post_attention_layernorm.weight"])
            gate, up = w[p + "mlp.gate_proj.weight"] @ h, w[p + "mlp.up_proj.weight"] @ h
            x = x + w[p + "mlp.down_proj.weight"] @ (gate * torch.sigmoid(gate) * up)
        logits.append(head @ norm(x, w["model.norm.weight"]))
    return torch.stack(logits)
