#!/usr/bin/env python3
"""An independent reader and writer of the safetensors format, for the tests.

Written from the format's specification (huggingface/safetensors, README "Format"), with the
Python standard library only, and NumPy when it is installed: it shares no code with wsr-native's
TypeScript reader, so a file both read alike is read as the format says.

  read FILE            -> JSON on stdout: metadata, and per tensor dtype, shape, data offsets and
                          every float32 value as the hex of its bits (NaN, -0 and infinities exact)
  write FILE SPEC      -> writes FILE from SPEC (JSON: tensors [{name, shape, bits}], metadata,
                          data_order: names in the order their bytes go, pad: bool)
  summary FILE         -> as read, but per tensor the SHA-256 of its values (re-serialised as
                          little-endian float32 from the array read) instead of every value
  lowrank FILE -> per low-rank layer, the largest difference between its stored weight/bias and NumPy's mix of its bases
  forward FILE INPUT N -> NumPy forward pass of the network in FILE's metadata "network" on the
                          N float32 images [N, C, H, W] in the raw file INPUT; logits as JSON
"""
import hashlib
import json
import struct
import sys

try:
    import numpy as np
except ImportError:  # the reader works without NumPy; `forward` needs it
    np = None

DTYPE_BYTES = {
    "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1,
    "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
    "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8,
}


def fail(message):
    sys.stderr.write(message + "\n")
    sys.exit(2)


def parse(path):
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        fail("file shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", blob[:8])
    if 8 + n > len(blob):
        fail("header runs past the end of the file")
    text = blob[8 : 8 + n].decode("utf-8")
    if not text.startswith("{"):
        fail("header does not start with {")
    header = json.loads(text)
    metadata = header.pop("__metadata__", {})
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        fail("__metadata__ must map strings to strings")
    data = blob[8 + n :]
    spans = []
    for name, info in header.items():
        begin, end = info["data_offsets"]
        count = 1
        for d in info["shape"]:
            count *= d
        if count * DTYPE_BYTES[info["dtype"]] != end - begin:
            fail(f"tensor {name}: shape and offsets disagree")
        spans.append((begin, end, name))
    spans.sort()
    at = 0
    for begin, end, name in spans:
        if begin != at:
            fail(f"tensor {name}: data does not follow the previous tensor's")
        at = end
    if at != len(data):
        fail("the data section is not exactly covered by the tensors")
    return metadata, header, data


def values_of(info, data):
    begin, end = info["data_offsets"]
    raw = data[begin:end]
    if np is not None:
        arr = np.frombuffer(raw, dtype="<f4").reshape(info["shape"])
        flat = arr.reshape(-1).view("<u4")
        return ["%08x" % int(b) for b in flat]
    return ["%08x" % b for b in struct.unpack("<%dI" % (len(raw) // 4), raw)]


def read(path):
    metadata, header, data = parse(path)
    out = {"metadata": metadata, "numpy": np is not None, "tensors": {}}
    for name, info in header.items():
        entry = {"dtype": info["dtype"], "shape": info["shape"], "data_offsets": info["data_offsets"]}
        if info["dtype"] == "F32":
            entry["bits"] = values_of(info, data)
        out["tensors"][name] = entry
    json.dump(out, sys.stdout)


def summary(path):
    metadata, header, data = parse(path)
    out = {"metadata": metadata, "numpy": np is not None, "tensors": {}}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        entry = {"dtype": info["dtype"], "shape": info["shape"], "data_offsets": info["data_offsets"]}
        if np is not None:
            arr = np.frombuffer(data[begin:end], dtype="<f4").reshape(info["shape"])
            raw = np.ascontiguousarray(arr).astype("<f4").tobytes()
        else:
            raw = struct.pack("<%df" % ((end - begin) // 4), *struct.unpack("<%df" % ((end - begin) // 4), data[begin:end]))
        entry["sha256"] = hashlib.sha256(raw).hexdigest()
        out["tensors"][name] = entry
    json.dump(out, sys.stdout)


def write(path, spec_path):
    with open(spec_path) as f:
        spec = json.load(f)
    by_name = {t["name"]: t for t in spec["tensors"]}
    header = {}
    if spec.get("metadata"):
        header["__metadata__"] = spec["metadata"]
    chunks = []
    at = 0
    for name in spec.get("data_order") or [t["name"] for t in spec["tensors"]]:
        t = by_name[name]
        raw = struct.pack("<%dI" % len(t["bits"]), *[int(b, 16) for b in t["bits"]])
        header[name] = {"dtype": "F32", "shape": t["shape"], "data_offsets": [at, at + len(raw)]}
        chunks.append(raw)
        at += len(raw)
    text = json.dumps(header)
    if spec.get("pad"):
        text += " " * ((8 - (8 + len(text.encode())) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text.encode())))
        f.write(text.encode())
        for raw in chunks:
            f.write(raw)


def window_patches(x, kh, kw, sh, sw):
    """x [N, C, H, W] -> patches [N, OH, OW, C, KH, KW] (valid padding)."""
    n, c, h, w = x.shape
    oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
    out = np.empty((n, oh, ow, c, kh, kw), dtype=np.float64)
    for i in range(oh):
        for j in range(ow):
            out[:, i, j] = x[:, :, i * sh : i * sh + kh, j * sw : j * sw + kw]
    return out


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def mixed(bases, basis_bias, logits):
    """A low-rank layer's banks [OH, OW, K, C, KH, KW] and biases [OH, OW, K]: softmax(logits) over r mixes the bases."""
    a = np.exp(logits - logits.max(axis=2, keepdims=True))
    a /= a.sum(axis=2, keepdims=True)
    return np.einsum("ijr,rkcyx->ijkcyx", a, bases), np.einsum("ijr,rk->ijk", a, basis_bias)


def lowrank(path):
    """Per low-rank layer of FILE, the largest |difference| between its stored lc<i>.weight / .bias and NumPy's mix of its bases."""
    metadata, header, data = parse(path)
    tensor = lambda name: np.frombuffer(
        data[header[name]["data_offsets"][0] : header[name]["data_offsets"][1]], dtype="<f4"
    ).reshape(header[name]["shape"]).astype(np.float64)
    out = {}
    for name in sorted(n[: -len(".bases")] for n in header if n.endswith(".bases")):
        wgt, bias = mixed(tensor(f"{name}.bases"), tensor(f"{name}.basisBias"), tensor(f"{name}.logits"))
        out[name] = {
            "weight": float(np.abs(tensor(f"{name}.weight") - wgt).max()),
            "bias": float(np.abs(tensor(f"{name}.bias") - bias).max()),
            "scale": float(np.abs(wgt).max()),
        }
    json.dump(out, sys.stdout)


def forward(path, input_path, count):
    if np is None:
        fail("forward needs NumPy")
    metadata, header, data = parse(path)
    spec = json.loads(metadata["network"])
    tensor = lambda name: np.frombuffer(
        data[header[name]["data_offsets"][0] : header[name]["data_offsets"][1]], dtype="<f4"
    ).reshape(header[name]["shape"]).astype(np.float64)
    c, h, w = spec["inputShape"]
    x = np.fromfile(input_path, dtype="<f4").reshape(count, c, h, w).astype(np.float64)
    counts = {}
    for layer in spec["layers"]:
        kind = layer["type"]
        prefix = {"conv": "conv", "local": "lc", "lowrank": "lc", "dense": "dense", "relu": "relu", "flatten": "flatten", "mask": "mask"}[kind]
        # conv, local and low-rank layers are numbered together; a mask takes the number of the layer after it.
        counter = "window" if kind in ("conv", "local", "lowrank") else prefix
        if kind == "mask":
            name = f"mask{counts.get('window', 0) + 1}"
        else:
            counts[counter] = counts.get(counter, 0) + 1
            name = f"{prefix}{counts[counter]}"
        if kind == "mask":
            x = x * tensor(f"{name}.mask")[None]
        elif kind in ("conv", "local", "lowrank"):
            if layer.get("padding", "valid") != "valid":
                fail("forward: only valid padding is implemented here")
            kh, kw = pair(layer["kernel"])
            sh, sw = pair(layer.get("stride", 1))
            p = window_patches(x, kh, kw, sh, sw)  # [N, OH, OW, C, KH, KW]
            if kind == "lowrank":
                wgt, bias = mixed(tensor(f"{name}.bases"), tensor(f"{name}.basisBias"), tensor(f"{name}.logits"))
            else:
                wgt, bias = tensor(f"{name}.weight"), tensor(f"{name}.bias")
            if kind == "conv":  # weight [K, C, KH, KW], bias [K]
                y = np.einsum("nijcyx,kcyx->nkij", p, wgt) + bias[None, :, None, None]
            else:  # weight [OH, OW, K, C, KH, KW], bias [OH, OW, K]
                y = np.einsum("nijcyx,ijkcyx->nkij", p, wgt) + np.transpose(bias, (2, 0, 1))[None]
            x = y
        elif kind == "relu":
            x = np.maximum(x, 0)
        elif kind == "flatten":
            x = x.reshape(x.shape[0], -1)  # C-major, as NCHW memory order
        elif kind == "dense":  # weight [out, in], bias [out]
            x = x @ tensor(f"{name}.weight").T + tensor(f"{name}.bias")
    json.dump(x.tolist(), sys.stdout)


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "read":
        read(sys.argv[2])
    elif command == "summary":
        summary(sys.argv[2])
    elif command == "write":
        write(sys.argv[2], sys.argv[3])
    elif command == "forward":
        forward(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif command == "lowrank":
        lowrank(sys.argv[2])
    else:
        fail(f"unknown command {command}")
