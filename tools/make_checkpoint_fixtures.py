#!/usr/bin/python3
"""Writes the checkpoint reader fixtures into tests/fixtures/checkpoints/.

Run with Debian's python (torch 1.13 and numpy, no `safetensors` package):
    OMP_NUM_THREADS=2 /usr/bin/python3 tools/make_checkpoint_fixtures.py

Everything a torch 1.13 torch.save can produce is made by torch.save itself. The forms only newer
torch versions write (_rebuild_tensor_v3, UntypedStorage, parameters with state, byteorder records)
and deliberately broken files are assembled by hand. Safetensors files are written by hand too, with
the header rules SafeTensorsWriter follows, so the C# tests can compare the two byte for byte.

expected.json lists, for every readable file, its tensors in file order with dtype, shape and
values flattened row-major (non-finite floats as the strings "inf", "-inf", "nan").
"""
import collections
import io
import json
import math
import os
import shutil
import struct
import tarfile
import tempfile
import zipfile

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "checkpoints")

SAFETENSORS_DTYPE = {
    torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
    torch.uint8: "U8", torch.bool: "BOOL",
}


# ---------------------------------------------------------------- expected values

def json_value(v):
    if isinstance(v, float) and not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    return v


def describe(name, t):
    return {
        "name": name,
        "dtype": SAFETENSORS_DTYPE[t.dtype],
        "shape": list(t.shape),
        "values": [json_value(v) for v in t.detach().reshape(-1).tolist()],
    }


def tensors_of(mapping):
    return [(k, v) for k, v in mapping.items() if isinstance(k, str) and isinstance(v, torch.Tensor)]


def raw_bytes(t):
    t = t.detach().contiguous().reshape(-1)
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)  # numpy has no bfloat16; the bits are what we want
    return t.numpy().tobytes()


# ---------------------------------------------------------------- tensors

def dtype_tensors():
    inf, nan = float("inf"), float("nan")
    return collections.OrderedDict([
        ("f64", torch.tensor([[1.5, -2.25, 1e300], [-0.0, math.pi, 5e-324]], dtype=torch.float64)),
        ("f32", torch.tensor([1.0, -0.5, 3.4e38, 1e-45, inf, -inf, nan], dtype=torch.float32)),
        ("f16", torch.tensor([[1.0, -2.0, 65504.0], [6e-8, inf, -0.0]], dtype=torch.float16)),
        ("bf16", torch.tensor([1.0, -3.0, 3.0e38, 1e-40, nan], dtype=torch.bfloat16)),
        ("i64", torch.tensor([0, -1, 2 ** 62, -2 ** 63, 2 ** 63 - 1], dtype=torch.int64)),
        ("i32", torch.tensor([[-2 ** 31, 2 ** 31 - 1], [7, -7]], dtype=torch.int32)),
        ("i16", torch.tensor([-32768, 32767, 1], dtype=torch.int16)),
        ("i8", torch.tensor([-128, 127, 0, -1], dtype=torch.int8)),
        ("u8", torch.tensor([0, 255, 128], dtype=torch.uint8)),
        ("bool", torch.tensor([[True, False], [False, True]])),
        ("scalar", torch.tensor(2.5)),
        ("empty", torch.zeros(0, 3)),
    ])


class CustomConfig:
    """Stands for any class the C# reader cannot know; it only ever sees its pickled name."""

    def __init__(self):
        self.hidden = 8
        self.tags = ["a", "b"]


class Registry(dict):
    """A dict subclass: its items arrive through SETITEMS on an object the reader cannot build."""


class Bag(list):
    """A list subclass: its items arrive through APPENDS on an object the reader cannot build."""


def layout_state():
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 3)
    state = model.state_dict()  # an OrderedDict carrying a _metadata attribute (a BUILD opcode)
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    shared = torch.arange(20, dtype=torch.float32)
    state["transposed"] = base.t()
    state["sliced"] = base[1:]
    state["column_slice"] = base[:, 1:3]
    state["tied_a"] = shared[:10].view(2, 5)
    state["tied_b"] = shared[10:].view(5, 2)
    state["tied_again"] = state["tied_a"]
    state["expanded"] = torch.arange(3, dtype=torch.float64).expand(2, 3)
    state["permuted"] = torch.arange(24, dtype=torch.int16).reshape(2, 3, 4).permute(2, 0, 1)
    state["param"] = torch.nn.Parameter(torch.tensor([0.25, -0.75]))
    state["decoder._extra_state"] = io.BytesIO(b"opaque transformer-engine state")
    state["custom"] = CustomConfig()
    state["registry"] = Registry(a=1, b=torch.ones(1))
    state["bag"] = Bag([1, 2, torch.zeros(1)])
    state["nested"] = {"hidden": torch.ones(2)}
    state["step"] = 7
    state["huge_int"] = 2 ** 70
    state["note"] = "not a tensor"
    state["nothing"] = None
    state["blob"] = b"bytes through _codecs.encode at protocol 2"
    state["floats"] = [1.5, 2.5]
    return state


def lightning_checkpoint():
    torch.manual_seed(1)
    weights = collections.OrderedDict([
        ("layer.weight", torch.randn(2, 3)),
        ("layer.bias", torch.randn(2).to(torch.float16)),
    ])
    return {
        "epoch": 3,
        "global_step": 42,
        "pytorch-lightning_version": "1.9.0",
        "state_dict": weights,
        "optimizer_states": [{
            "state": {0: {"step": torch.tensor(5.0), "exp_avg": torch.zeros(2, 3)}},
            "param_groups": [{"lr": 0.1, "params": [0, 1]}],
        }],
        "lr_schedulers": [],
        "hyper_parameters": {"lr": 0.1, "hidden": 8, "name": "tiny"},
    }


def protocol5_state():
    looped_list = []
    short_loop = (looped_list,)  # a tuple reached again while pickling its own items: POP
    looped_list.append(short_loop)
    long_list = []
    long_loop = (long_list, 1, 2, 3)  # the same for a tuple too long for TUPLE1..3: POP_MARK
    long_list.append(long_loop)
    return {
        "weight": torch.arange(6, dtype=torch.float32).reshape(2, 3),
        "positions": torch.arange(10, dtype=torch.int64)[2:8:2],
        "short_loop": short_loop,
        "long_loop": long_loop,
        "long_bytes": b"x" * 300,
        "short_bytes": b"ab",
        "mutable_bytes": bytearray(b"xyz"),
        "a_set": {1, 2},
        "a_frozenset": frozenset({3}),
        "long_text": "é" * 200,
    }


def nemo_weights():
    torch.manual_seed(2)
    return collections.OrderedDict([
        ("model.embedding.word_embeddings.weight", torch.randn(4, 2)),
        ("model.decoder.layers.0.self_attention._extra_state", io.BytesIO(b"te state")),
        ("model.decoder.final_layernorm.bias", torch.randn(2).to(torch.bfloat16)),
    ])


# ---------------------------------------------------------------- hand-assembled pickles

def p_global(module, name):
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def p_str(text):
    data = text.encode()
    return b"X" + struct.pack("<I", len(data)) + data


def p_str8(text):
    data = text.encode()
    return b"\x8d" + struct.pack("<Q", len(data)) + data


def p_int(value):
    return b"J" + struct.pack("<i", value)


def p_tuple(*items):
    return b"(" + b"".join(items) + b"t"


def p_call(function, *args):
    return function + p_tuple(*args) + b"R"


def p_dict(*pairs):
    return b"}(" + b"".join(k + v for k, v in pairs) + b"u"


FALSE = b"\x89"
EMPTY_DICT = b"}"


def p_storage(storage_class_module, storage_class, key, numel):
    pid = p_tuple(p_str("storage"), p_global(storage_class_module, storage_class), p_str(key), p_str("cpu"), p_int(numel))
    return pid + b"Q"


def p_hooks():
    return p_call(p_global("collections", "OrderedDict"))


def p_tensor_v2(storage, offset, size, stride, *extra):
    return p_call(p_global("torch._utils", "_rebuild_tensor_v2"), storage, p_int(offset),
                  p_tuple(*map(p_int, size)), p_tuple(*map(p_int, stride)), FALSE, p_hooks(), *extra)


def p_tensor_v3(storage, offset, size, stride, dtype):
    return p_call(p_global("torch._utils", "_rebuild_tensor_v3"), storage, p_int(offset),
                  p_tuple(*map(p_int, size)), p_tuple(*map(p_int, stride)), FALSE, p_hooks(),
                  p_global("torch", dtype))


def pickle_program(body):
    return b"\x80\x02" + body + b"."


def write_zip(path, records):
    """A stored (uncompressed) zip with fixed timestamps, so rerunning the script changes nothing."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for name, data in records:
            archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data)


def write_torch_zip(path, folder, records):
    write_zip(path, [(f"{folder}/{name}", data) for name, data in records])


def torch2_forms(path):
    """Forms torch >= 2.0 writes that torch 1.13 cannot: a 7th metadata argument, _rebuild_tensor_v3
    over an UntypedStorage, _rebuild_parameter_with_state, _rebuild_from_type_v2, torch.Size, and the
    byteorder / .data records; plus the long forms BINUNICODE8, BINBYTES8, LONG4 and NEWOBJ_EX."""
    floats = p_storage("torch", "FloatStorage", "0", 6)
    untyped = p_storage("torch.storage", "UntypedStorage", "1", 8)
    body = p_dict(
        (p_str("v2_with_metadata"), p_tensor_v2(floats, 0, (2, 3), (3, 1), EMPTY_DICT)),
        (p_str("v3_bf16"), p_tensor_v3(untyped, 1, (2,), (1,), "bfloat16")),
        (p_str("param_with_state"), p_call(p_global("torch._utils", "_rebuild_parameter_with_state"),
                                           p_tensor_v2(floats, 2, (2,), (3,)), FALSE, p_hooks(),
                                           p_dict((p_str("attr"), p_int(1))))),
        (p_str8("from_type"), p_call(p_global("torch._tensor", "_rebuild_from_type_v2"),
                                     p_global("torch._utils", "_rebuild_tensor_v2"),
                                     p_global("torch", "Tensor"),
                                     p_tuple(floats, p_int(3), p_call(p_global("torch", "Size"), p_tuple(p_int(3))),
                                             p_tuple(p_int(1)), FALSE, p_hooks()),
                                     p_dict((p_str("extra"), p_str("x"))))),
        (p_str("long_bytes"), b"\x8e" + struct.pack("<Q", 3) + b"abc"),
        (p_str("long4"), b"\x8b" + struct.pack("<i", 9) + (2 ** 70).to_bytes(9, "little", signed=True)),
        (p_str("newobj_ex"), p_global("somewhere", "Thing") + p_tuple(p_int(1)) + EMPTY_DICT + b"\x92"),
    )
    bf16 = torch.tensor([1.0, -2.0, 0.5, 4.0], dtype=torch.bfloat16)
    write_torch_zip(path, "torch2_forms", [
        ("data.pkl", pickle_program(body)),
        ("byteorder", b"little"),
        ("data/0", raw_bytes(torch.arange(6, dtype=torch.float32))),
        ("data/1", raw_bytes(bf16)),
        ("version", b"3\n"),
        (".data/version", b"3\n"),
    ])
    values = torch.arange(6, dtype=torch.float32)
    return [
        describe("v2_with_metadata", values.reshape(2, 3)),
        describe("v3_bf16", bf16[1:3]),
        describe("param_with_state", values[2::3]),
        describe("from_type", values[3:]),
    ]


def float8(path):
    body = p_dict((p_str("w"), p_tensor_v3(p_storage("torch", "UntypedStorage", "0", 4), 0, (4,), (1,), "float8_e4m3fn")))
    write_torch_zip(path, "float8", [("data.pkl", pickle_program(body)), ("data/0", b"\x38\x40\x44\x48"), ("version", b"3\n")])


def unsupported_opcode(path):
    # PROTO 2 | EMPTY_DICT | BINUNICODE 'w' | EXT1 1 (offset 9) | SETITEM | STOP
    body = b"}" + p_str("w") + b"\x82\x01" + b"s"
    write_torch_zip(path, "unsupported_opcode", [("data.pkl", pickle_program(body)), ("version", b"3\n")])


def rewritten_zip(source, target, change, added=()):
    """Copies a zip entry by entry, letting `change(name, data)` return new data or None to drop it."""
    with zipfile.ZipFile(source) as archive:
        records = [(name, change(name, archive.read(name))) for name in archive.namelist()]
    write_zip(target, [(name, data) for name, data in records if data is not None] + list(added))


def write_tar(path, records):
    """A .nemo is a plain tar; fixed owner and times keep the bytes stable."""
    with tarfile.open(path, "w", format=tarfile.GNU_FORMAT) as archive:
        for name, data in records:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


# ---------------------------------------------------------------- safetensors by hand

def safetensors_bytes(named_tensors, metadata=None):
    """The layout SafeTensorsWriter writes: sorted keys, compact JSON, raw UTF-8, header padded with
    spaces to a multiple of 8, data in the order given."""
    header, offset = {}, 0
    for name, t in named_tensors:
        size = t.numel() * t.element_size()
        header[name] = {"dtype": SAFETENSORS_DTYPE[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + size]}
        offset += size
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(raw_bytes(t) for _, t in named_tensors)


def raw_safetensors(header_text, data=b""):
    header = header_text.encode()
    return struct.pack("<Q", len(header)) + header + data


# ---------------------------------------------------------------- main

def expected_json(expected):
    """expected.json with one tensor per line, so a diff shows which tensor changed."""
    line = lambda value: json.dumps(value, ensure_ascii=False)
    tensor_lines = lambda tensors: ",\n".join("   " + line(t) for t in tensors)
    torch_files = ",\n".join(f" {line(name)}: [\n{tensor_lines(tensors)}\n ]" for name, tensors in expected["torch"].items())
    safetensors_files = ",\n".join(
        f" {line(name)}: {{\"metadata\": {line(entry['metadata'])}, \"tensors\": [\n{tensor_lines(entry['tensors'])}\n ]}}"
        for name, entry in expected["safetensors"].items())
    return f'{{"torch": {{\n{torch_files}\n}},\n"safetensors": {{\n{safetensors_files}\n}}}}\n'


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def save_to_bytes(obj, **kwargs):
    buffer = io.BytesIO()  # torch names the zip's folder "archive" when it has no file name
    torch.save(obj, buffer, **kwargs)
    return buffer.getvalue()


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    path = lambda name: os.path.join(OUT, name)
    expected = {"torch": {}, "safetensors": {}}

    dtypes = dtype_tensors()
    torch.save(dict(dtypes), path("dtypes.pt"))
    expected["torch"]["dtypes.pt"] = [describe(k, v) for k, v in tensors_of(dtypes)]

    layouts = layout_state()
    torch.save(layouts, path("layouts.pt"))
    expected["torch"]["layouts.pt"] = [describe(k, v) for k, v in tensors_of(layouts)]

    lightning = lightning_checkpoint()
    write("lightning.ckpt", save_to_bytes(lightning, pickle_protocol=4))
    expected["torch"]["lightning.ckpt"] = [describe(k, v) for k, v in tensors_of(lightning["state_dict"])]

    protocol5 = protocol5_state()
    torch.save(protocol5, path("protocol5.pt"), pickle_protocol=5)
    expected["torch"]["protocol5.pt"] = [describe(k, v) for k, v in tensors_of(protocol5)]

    expected["torch"]["torch2_forms.pt"] = torch2_forms(path("torch2_forms.pt"))

    with tempfile.TemporaryDirectory() as scratch:
        weights = nemo_weights()
        torch.save(weights, os.path.join(scratch, "model_weights.ckpt"))  # names the zip folder
        with open(os.path.join(scratch, "model_weights.ckpt"), "rb") as f:
            write_tar(path("tiny.nemo"), [("./model_config.yaml", b"precision: 32\n"), ("./model_weights.ckpt", f.read())])
        expected["torch"]["tiny.nemo"] = [describe(k, v) for k, v in tensors_of(weights)]

    # Broken torch checkpoints, all derived from one small file.
    small = {"w": torch.arange(6, dtype=torch.float32).reshape(2, 3)}
    torch.save(small, path("small.pt"))
    expected["torch"]["small.pt"] = [describe(k, v) for k, v in tensors_of(small)]
    # The only fixture that changes from run to run: the legacy format names storages by address.
    torch.save(small, path("legacy.pt"), _use_new_zipfile_serialization=False)
    with open(path("dtypes.pt"), "rb") as f:
        whole = f.read()
    write("truncated.pt", whole[: len(whole) * 2 // 3])
    write("not_a_zip.pt", b"this is a text file, not a checkpoint\n")
    rewritten_zip(path("small.pt"), path("big_endian.pt"), lambda n, d: d, added=[("small/byteorder", b"big")])
    rewritten_zip(path("small.pt"), path("missing_storage.pt"), lambda n, d: None if n == "small/data/0" else d)
    rewritten_zip(path("small.pt"), path("short_storage.pt"), lambda n, d: d[:16] if n == "small/data/0" else d)
    unsupported_opcode(path("unsupported_opcode.pt"))
    float8(path("float8.pt"))

    # Safetensors: every dtype with metadata that needs escaping, and the contiguous layouts.
    st_dtypes = list(dtypes.items()) + [("ünïcode.wéight", torch.tensor([0.5, 1.5]))]
    metadata = {"format": "pt", "comment": 'quote " backslash \\ newline \n tab \t control \x01 é ✓'}
    write("dtypes.safetensors", safetensors_bytes(st_dtypes, metadata))
    expected["safetensors"]["dtypes.safetensors"] = {
        "metadata": metadata, "tensors": [describe(k, v) for k, v in st_dtypes]}
    st_layouts = tensors_of(layouts)
    write("layouts.safetensors", safetensors_bytes(st_layouts))
    expected["safetensors"]["layouts.safetensors"] = {
        "metadata": {}, "tensors": [describe(k, v) for k, v in st_layouts]}

    whole = safetensors_bytes(st_dtypes, metadata)
    write("truncated.safetensors", whole[: len(whole) - 20])
    write("short.safetensors", b"\x10\x00\x00\x00\x00")
    write("header_past_end.safetensors", struct.pack("<Q", 1000) + b'{"a":1}')
    write("bad_json.safetensors", raw_safetensors('{"w": {"dtype": "F32", '))
    write("not_an_object.safetensors", raw_safetensors("[1, 2]"))
    write("bad_dtype.safetensors", raw_safetensors('{"w":{"dtype":"F8_E4M3","shape":[4],"data_offsets":[0,4]}}', b"\0" * 4))
    write("size_mismatch.safetensors", raw_safetensors('{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}}', b"\0" * 24))
    write("overlap.safetensors", raw_safetensors(
        '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}', b"\0" * 12))
    write("bad_metadata.safetensors", raw_safetensors('{"__metadata__":{"epoch":3}}'))
    write("bad_shape.safetensors", raw_safetensors('{"w":{"dtype":"F32","shape":[2,-1],"data_offsets":[0,8]}}', b"\0" * 8))

    with open(path("expected.json"), "w", encoding="utf-8") as f:
        f.write(expected_json(expected))


if __name__ == "__main__":
    main()
