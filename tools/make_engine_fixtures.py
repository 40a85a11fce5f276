#!/usr/bin/python3
"""Writes tests/fixtures/engine/: tiny GPT-2 checkpoints in every format the C#
engine loads, and expected.json with reference token ids, log-probs and greedy
continuations.

Expected values are computed from the files as read back from disk by the
loaders below, so a writer bug shows up here rather than in the C# tests.

  OMP_NUM_THREADS=2 /usr/bin/python3 tools/make_engine_fixtures.py
"""
import collections
import hashlib
import io
import json
import os
import shutil
import sys
import tarfile
import tempfile

import numpy as np
import torch
import yaml

import bpe_reference
import gpt2_reference

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "tests", "fixtures", "engine")

VOCAB, POSITIONS, EMBD, LAYERS, HEADS, EPS = 1000, 64, 32, 2, 4, 1e-5
EOS = 999
PADDED_VOCAB = 1024  # Megatron pads 1000 up to a multiple of make_vocab_size_divisible_by=128
HF_SEED, MEGATRON_SEED = 20240601, 20240602
GREEDY_STEPS = 8

# Corpus line (0-based) scored per fixture, and the greedy prompt; chosen for 20-40 tokens and variety.
CASES = {
    "tiny-gpt2": (3, "Operating profit rose to"),
    "tiny-gpt2-fp16": (24, "Net sales decreased by"),
    "tiny-gpt2-bf16": (41, "Kemira's sales"),
    "tiny-gpt2-bin": (57, "In Finland, the group"),
    "tiny-gpt2-sharded": (59, "Finnish Aktia Group"),
    "tiny-megatron.nemo": (53, "The agreement strengthens"),
}

TOKENIZER_CASES = [
    "",
    "   leading spaces",
    "trailing spaces   ",
    "multiple    spaces  between",
    "Net sales were 2,264 units",
    "the company's CEO and DON'T",
    "EUR 1.5 mn",
    "line one\nline two\n\nend",
    " \t \n ",
    "price €5 in Kärkkäinen's shop",
    "profit 📈 up",
]

SAFETENSORS_DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16"}
SAME_SIZE_INT = {4: torch.int32, 2: torch.int16}


def normal(gen, shape, std, mean=0.0):
    return torch.randn(shape, generator=gen) * std + mean


def add_modules(sd, g, prefix, modules, out_axis):
    """modules: (name, weight shape) in state-dict order; shape None is a LayerNorm."""
    for name, shape in modules:
        if shape is None:
            sd[f"{prefix}{name}.weight"] = normal(g, (EMBD,), 0.1, mean=1.0)
            sd[f"{prefix}{name}.bias"] = normal(g, (EMBD,), 0.1)
        else:
            sd[f"{prefix}{name}.weight"] = normal(g, shape, 0.2)
            sd[f"{prefix}{name}.bias"] = normal(g, (shape[out_axis],), 0.1)


def random_gpt2():
    """HF names without the `transformer.` prefix, Conv1D weights [in, out]."""
    g = torch.Generator().manual_seed(HF_SEED)
    sd = collections.OrderedDict()
    sd["wte.weight"] = normal(g, (VOCAB, EMBD), 0.2)
    sd["wpe.weight"] = normal(g, (POSITIONS, EMBD), 0.2)
    block = [("ln_1", None), ("attn.c_attn", (EMBD, 3 * EMBD)), ("attn.c_proj", (EMBD, EMBD)),
             ("ln_2", None), ("mlp.c_fc", (EMBD, 4 * EMBD)), ("mlp.c_proj", (4 * EMBD, EMBD))]
    for i in range(LAYERS):
        add_modules(sd, g, f"h.{i}.", block, out_axis=1)
    add_modules(sd, g, "", [("ln_f", None)], out_axis=1)
    return sd


def random_megatron():
    """Legacy Megatron/NeMo names, Linear weights [out, in]; QKV rows are per head [q, k, v]."""
    g = torch.Generator().manual_seed(MEGATRON_SEED)
    lm = gpt2_reference.MEGATRON_LM
    sd = collections.OrderedDict()
    sd[lm + "embedding.word_embeddings.weight"] = normal(g, (PADDED_VOCAB, EMBD), 0.2)
    sd[lm + "embedding.position_embeddings.weight"] = normal(g, (POSITIONS, EMBD), 0.2)
    block = [("input_layernorm", None), ("self_attention.query_key_value", (3 * EMBD, EMBD)),
             ("self_attention.dense", (EMBD, EMBD)), ("post_attention_layernorm", None),
             ("mlp.dense_h_to_4h", (4 * EMBD, EMBD)), ("mlp.dense_4h_to_h", (EMBD, 4 * EMBD))]
    for i in range(LAYERS):
        add_modules(sd, g, f"{lm}encoder.layers.{i}.", block, out_axis=0)
    add_modules(sd, g, lm + "encoder.", [("final_layernorm", None)], out_axis=0)
    return sd


def with_module_metadata(sd):
    """Attach the `_metadata` attribute nn.Module.state_dict() leaves on its OrderedDict,
    so the pickles carry the same BUILD opcode real checkpoints do."""
    prefixes = {""} | {".".join(k.split(".")[:n]) for k in sd for n in range(1, k.count(".") + 1)}
    sd._metadata = collections.OrderedDict((p, {"version": 1}) for p in sorted(prefixes))
    return sd


# ---- writers -------------------------------------------------------------------------------

def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        size = t.element_size()
        blob = t.contiguous().view(SAME_SIZE_INT[size]).numpy().astype(f"<i{size}").tobytes()
        header[name] = {"dtype": SAFETENSORS_DTYPES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(len(text).to_bytes(8, "little"))
        f.write(text)
        f.writelines(blobs)


def hf_config(torch_dtype):
    return {
        "model_type": "gpt2", "architectures": ["GPT2LMHeadModel"],
        "vocab_size": VOCAB, "n_positions": POSITIONS, "n_ctx": POSITIONS, "n_embd": EMBD,
        "n_layer": LAYERS, "n_head": HEADS, "n_inner": None, "activation_function": "gelu_new",
        "layer_norm_epsilon": EPS, "bos_token_id": EOS, "eos_token_id": EOS, "tie_word_embeddings": True,
        "torch_dtype": torch_dtype, "attn_pdrop": 0.1, "embd_pdrop": 0.1, "resid_pdrop": 0.1,
        "initializer_range": 0.02,
    }


def hf_dir(name, torch_dtype, tokenizer_dir):
    path = os.path.join(OUT, name)
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "config.json"), "w") as f:
        json.dump(hf_config(torch_dtype), f, indent=2)
        f.write("\n")
    if path != tokenizer_dir:
        for file in ("vocab.json", "merges.txt"):
            shutil.copyfile(os.path.join(tokenizer_dir, file), os.path.join(path, file))
    return path


def write_bin(path, sd):
    """Old HF save_pretrained output: prefixed names, tied lm_head, attention mask buffers."""
    full = collections.OrderedDict()
    for name, t in sd.items():
        full["transformer." + name] = t
        if name.endswith("ln_1.bias"):  # where GPT2Attention's own buffers sit in state_dict order
            layer = name.split(".")[1]
            full[f"transformer.h.{layer}.attn.bias"] = torch.ones(POSITIONS, POSITIONS, dtype=torch.bool).tril().view(
                1, 1, POSITIONS, POSITIONS)
            full[f"transformer.h.{layer}.attn.masked_bias"] = torch.tensor(-1e4)
    full["lm_head.weight"] = full["transformer.wte.weight"]  # same object: one storage in the pickle
    torch.save(with_module_metadata(full), path)


def write_sharded(path, sd):
    prefixed = collections.OrderedDict(("transformer." + k, v) for k, v in sd.items())
    shards = ("model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors")
    # Embeddings and layer 0 in the first shard, the rest in the second.
    weight_map = {k: shards[0] if k.startswith(("transformer.w", "transformer.h.0.")) else shards[1] for k in prefixed}
    for shard in shards:
        write_safetensors(os.path.join(path, shard), {k: v for k, v in prefixed.items() if weight_map[k] == shard})
    index = {"metadata": {"total_size": sum(t.numel() * t.element_size() for t in prefixed.values())},
             "weight_map": weight_map}
    with open(os.path.join(path, "model.safetensors.index.json"), "w") as f:
        json.dump(index, f, indent=2)
        f.write("\n")


def nemo_config(vocab_member, merges_member):
    return {
        "precision": 32, "micro_batch_size": 4, "global_batch_size": 4,
        "tensor_model_parallel_size": 1, "pipeline_model_parallel_size": 1,
        "encoder_seq_length": POSITIONS, "max_position_embeddings": POSITIONS,
        "num_layers": LAYERS, "hidden_size": EMBD, "ffn_hidden_size": 4 * EMBD, "num_attention_heads": HEADS,
        "init_method_std": 0.02, "hidden_dropout": 0.1, "attention_dropout": 0.1, "kv_channels": None,
        "apply_query_key_layer_scaling": True, "layernorm_epsilon": EPS, "make_vocab_size_divisible_by": 128,
        "pre_process": True, "post_process": True, "persist_layer_norm": True, "bias": True,
        "activation": "gelu", "normalization": "layernorm", "transformer_block_type": "pre_ln",
        "position_embedding_type": "learned_absolute", "share_embeddings_and_output_weights": True,
        "megatron_amp_O2": False, "mcore_gpt": False,
        "tokenizer": {"library": "megatron", "type": "GPT2BPETokenizer", "model": None,
                      "vocab_file": "nemo:" + vocab_member, "merge_file": "nemo:" + merges_member,
                      "delimiter": None},
    }


def write_nemo(path, sd, tokenizer_dir):
    """Mimics NeMo's save_to: a folder tarred uncompressed with arcname '.',
    tokenizer files renamed to <uuid hex>_<name> (here an md5 so reruns match)."""
    with tempfile.TemporaryDirectory() as folder:
        members = {}
        for file in ("vocab.json", "merges.txt"):
            with open(os.path.join(tokenizer_dir, file), "rb") as f:
                data = f.read()
            members[file] = f"{hashlib.md5(data).hexdigest()}_{file}"
            with open(os.path.join(folder, members[file]), "wb") as f:
                f.write(data)
        with open(os.path.join(folder, "model_config.yaml"), "w") as f:
            yaml.safe_dump(nemo_config(members["vocab.json"], members["merges.txt"]), f, sort_keys=False)
        torch.save(with_module_metadata(sd), os.path.join(folder, "model_weights.ckpt"))

        def normalize(info):
            info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
            info.mode = 0o755 if info.isdir() else 0o644
            return info

        with tarfile.open(path, "w:") as tar:
            tar.add(folder, arcname=".", filter=normalize)


# ---- readers (independent of the writers' in-memory tensors) --------------------------------

def read_safetensors(path):
    np_dtypes = {"F32": "<f4", "F16": "<f2", "BF16": "<i2"}
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(n))
        data = f.read()
    header.pop("__metadata__", None)
    out = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        t = torch.from_numpy(np.frombuffer(data[begin:end], dtype=np_dtypes[info["dtype"]]).copy())
        if info["dtype"] == "BF16":
            t = t.view(torch.bfloat16)
        out[name] = t.float().reshape(info["shape"])
    return out


def strip_prefix(sd):
    return {k[len("transformer."):]: v for k, v in sd.items()
            if k.startswith("transformer.") and not k.endswith((".attn.bias", ".attn.masked_bias"))}


def load_hf_dir(path):
    if os.path.exists(os.path.join(path, "model.safetensors")):
        return read_safetensors(os.path.join(path, "model.safetensors"))
    if os.path.exists(os.path.join(path, "pytorch_model.bin")):
        sd = torch.load(os.path.join(path, "pytorch_model.bin"))
        assert sd["lm_head.weight"].data_ptr() == sd["transformer.wte.weight"].data_ptr()
        return strip_prefix(sd)
    with open(os.path.join(path, "model.safetensors.index.json")) as f:
        index = json.load(f)
    sd = {}
    for shard in sorted(set(index["weight_map"].values())):
        sd.update(read_safetensors(os.path.join(path, shard)))
    assert sorted(sd) == sorted(index["weight_map"])
    return strip_prefix(sd)


def load_nemo(path):
    with tarfile.open(path, "r:") as tar:
        config = yaml.safe_load(tar.extractfile("./model_config.yaml"))
        sd = torch.load(io.BytesIO(tar.extractfile("./model_weights.ckpt").read()))
        tok_files = {key: "./" + config["tokenizer"][key][len("nemo:"):] for key in ("vocab_file", "merge_file")}
        with tempfile.TemporaryDirectory() as folder:
            for key, member in tok_files.items():
                with open(os.path.join(folder, key), "wb") as f:
                    f.write(tar.extractfile(member).read())
            tokenizer = bpe_reference.Tokenizer(os.path.join(folder, "vocab_file"), os.path.join(folder, "merge_file"))
    return config, sd, tokenizer


# ---- expected values ------------------------------------------------------------------------

def fp32_list(t):
    """9 significant digits: enough to round-trip every float32."""
    return [float(f"{v:.9g}") for v in t.tolist()]


def expected_entry(forward, tokenizer, text, prompt):
    ids = tokenizer.encode(text)
    assert 20 <= len(ids) <= 40, (text, len(ids))
    with torch.no_grad():
        logprobs = gpt2_reference.next_token_logprobs(forward(torch.tensor(ids)), ids)
        prompt_ids = tokenizer.encode(prompt)
        new, stopped, gap = gpt2_reference.greedy(forward, prompt_ids, GREEDY_STEPS, VOCAB, EOS)
    # A near-tie would make the C# argmax legitimately disagree.
    assert gap > 1e-3, (prompt, gap)
    return {
        "text": text, "ids": ids, "logprobs": fp32_list(logprobs),
        "greedy": {"prompt": prompt, "prompt_ids": prompt_ids, "ids": new, "text": tokenizer.decode(new),
                   "stopped_at_eos": stopped, "min_top2_logit_gap": round(gap, 6)},
    }


def main():
    sentences = bpe_reference.read_corpus(bpe_reference.DEFAULT_CORPUS)
    tok_dir = os.path.join(OUT, "tiny-gpt2")
    bpe_reference.save(*bpe_reference.train(sentences), tok_dir)

    hf = random_gpt2()
    write_safetensors(os.path.join(hf_dir("tiny-gpt2", "float32", tok_dir), "model.safetensors"), hf)
    for name, dtype in (("tiny-gpt2-fp16", torch.float16), ("tiny-gpt2-bf16", torch.bfloat16)):
        write_safetensors(os.path.join(hf_dir(name, str(dtype).split(".")[1], tok_dir), "model.safetensors"),
                          collections.OrderedDict((k, v.to(dtype)) for k, v in hf.items()))
    write_bin(os.path.join(hf_dir("tiny-gpt2-bin", "float32", tok_dir), "pytorch_model.bin"), hf)
    write_sharded(hf_dir("tiny-gpt2-sharded", "float32", tok_dir), hf)
    write_nemo(os.path.join(OUT, "tiny-megatron.nemo"), random_megatron(), tok_dir)

    expected = {"fixtures": {}}
    for name, (line, prompt) in CASES.items():
        path = os.path.join(OUT, name)
        if name.endswith(".nemo"):
            config, sd, tokenizer = load_nemo(path)
            forward = lambda ids, sd=sd, c=config: gpt2_reference.megatron_forward(
                sd, ids, c["num_attention_heads"], c["layernorm_epsilon"])
        else:
            with open(os.path.join(path, "config.json")) as f:
                config = json.load(f)
            sd = load_hf_dir(path)
            tokenizer = bpe_reference.Tokenizer.from_dir(path)
            forward = lambda ids, sd=sd, c=config: gpt2_reference.gpt2_forward(
                sd, ids, c["n_head"], c["layer_norm_epsilon"], c["activation_function"])
        expected["fixtures"][name] = expected_entry(forward, tokenizer, sentences[line], prompt)

    tokenizer = bpe_reference.Tokenizer.from_dir(tok_dir)
    expected["tokenizer_cases"] = []
    for text in TOKENIZER_CASES:
        ids = tokenizer.encode(text)
        decoded = tokenizer.decode(ids)
        assert decoded == text, (text, decoded)
        expected["tokenizer_cases"].append({"text": text, "ids": ids, "decoded": decoded})

    with open(os.path.join(OUT, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, indent=1, ensure_ascii=False)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(OUT) for f in files)
    print(f"wrote {OUT} ({total / 1e6:.2f} MB)", file=sys.stderr)


if __name__ == "__main__":
    main()
