#!/usr/bin/env python3
"""PyTorch yardsticks for wsr-native's kernels, at the shapes `wsr-native bench` times.

conv: F.conv2d and its gradients (aten.convolution_backward, what autograd runs), fp32 (TF32 off):
cuDNN on a GPU, oneDNN on the CPU.
LC: the way PyTorch users build it, F.unfold + einsum (a batched matmul), gradients by autograd.
dense: F.linear and autograd. Optimizers: torch.optim.Adam (fused on a GPU) and SGD with momentum
(foreach). Neighbour distances of an LC weight in tensor ops. A training step (forward, cross-entropy,
backward, Adam) and an evaluation step of the CNN (conv) and its LC twin (unfold).

Two ways to run it:
- A batch run (bench/gpu/run.sh): every case at the mirrored shapes below, then one JSON file.
  Device ceilings, measured once: a large copy (bytes read + written) and a large fp32 torch.matmul
  (TF32 off; TF32 reported too, for information). Each row: {op, shape, batch, impl, device, ms,
  gflops, flops, min_bytes, peak_bytes}; ms is the median over --repeats runs timed with CUDA events
  (perf_counter on the CPU) after warm-up. peak_bytes is torch.cuda.max_memory_allocated over one
  run from a clean start with only the inputs allocated (for gradients: the forward that builds the
  graph plus the backward, as training holds them). FLOPs: 2·MACs per pass, as src/bench/flops.ts
  counts them; min_bytes: each input read once and each output written once (float32).
- --serve: the contender of `wsr-native bench --torch` (src/bench/torch/). One long-lived process
  that reads JSON requests, one a line, on stdin and answers each with one JSON line on stdout:
  hello (versions, the BLAS that runs, oneDNN), create (a case, shapes given in full by the
  caller; its first run traced with oneDNN's verbose mode), run (one timed run at a thread count:
  the ms it took, timed here so the pipe is not counted), free, sgemm (torch.mm rates at given
  shapes), quit. The caller alternates these runs with its own, round by round.

Usage: torch_bench.py --out torch.json [--device cuda|cpu] [--batches 1,32,128] [--repeats 20] [--quick]
       torch_bench.py --serve
"""
import argparse
import collections
import ctypes
import json
import math
import os
import re
import statistics
import sys
import tempfile
import time
import traceback

import torch
import torch.nn.functional as F

F32 = 4


def out_size(h, k, s):
    return (h - k) // s + 1


def window(name, c, h, k, kern, stride):
    """A conv layer (and its LC twin) as src/bench/shapes.ts describes it: square, valid padding."""
    oh = out_size(h, kern, stride)
    return {"name": name, "c": c, "h": h, "w": h, "k": k, "kh": kern, "kw": kern, "stride": stride, "oh": oh, "ow": oh}


# Mirror of src/bench/shapes.ts for the batch run (`bench --torch` sends its shapes instead).
WINDOWS = [
    window("cifar.conv1", 3, 32, 64, 5, 2),
    window("cifar.conv2", 64, 14, 128, 5, 2),
    window("cifar.conv3", 128, 5, 256, 3, 1),
    window("mnist.conv1", 1, 28, 32, 3, 2),
    window("mnist.conv2", 32, 13, 64, 3, 2),
    window("mnist.conv3", 64, 6, 128, 3, 1),
]
DENSE = [
    {"name": "cifar.dense1", "inputs": 2304, "outputs": 1024},
    {"name": "cifar.dense2", "inputs": 1024, "outputs": 10},
    {"name": "mnist.dense1", "inputs": 2048, "outputs": 1024},
    {"name": "mnist.dense2", "inputs": 1024, "outputs": 10},
]
NETS = {
    "cifar": {"name": "cifar", "input": [3, 32, 32], "classes": 10, "windows": WINDOWS[:3], "dense": DENSE[:2]},
    "mnist": {"name": "mnist", "input": [1, 28, 28], "classes": 10, "windows": WINDOWS[3:], "dense": DENSE[2:]},
}
# Hyperparameters of the optimizer benchmarks (src/bench/ours/optim.ts).
ADAM = {"lr": 1e-4, "eps": 1e-7}
SGD = {"lr": 1e-2, "momentum": 0.9}


def log(*args):
    print("torch_bench:", *args, file=sys.stderr, flush=True)


def time_once(device, fn):
    """Wall time of one fn() in ms: CUDA events on a GPU, perf_counter on the CPU."""
    if device.type == "cuda":
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        return start.elapsed_time(end)
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1e3


class Timer:
    """Median wall time of fn() in ms after warm-up."""

    def __init__(self, device, repeats, warmup):
        self.device, self.repeats, self.warmup = device, repeats, warmup

    def __call__(self, fn):
        for _ in range(self.warmup):
            fn()
        return statistics.median(time_once(self.device, fn) for _ in range(self.repeats))


def peak_bytes(device, fn):
    """Peak allocated bytes over one call of fn (inputs already allocated count)."""
    if device.type != "cuda":
        return None
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    fn()
    torch.cuda.synchronize()
    return torch.cuda.max_memory_allocated()


def rand(*shape, device, scale=1.0, grad=False):
    t = (torch.rand(*shape, device=device) * 2 - 1) * scale
    return t.requires_grad_(grad)


# ---------------------------------------------------------------------------------------------
# The workloads: each builder allocates its inputs and returns a Work whose fn() does one run.


class Work:
    """One case set up: fn() runs it once; peak_fn() is what peak memory is measured over."""

    def __init__(self, fn, peak_fn=None):
        self.fn = fn
        self.peak_fn = peak_fn or fn


def lc_forward(x, w, b, s):
    """Locally connected layer via unfold + einsum. x [N,C,H,W], w [OH·OW, C·KH·KW, K], b [K, OH, OW]."""
    patches = F.unfold(x, (s["kh"], s["kw"]), stride=s["stride"])  # [N, C·KH·KW, OH·OW]
    y = torch.einsum("ncl,lck->nkl", patches, w)
    return y.reshape(x.shape[0], w.shape[2], s["oh"], s["ow"]) + b


def check_lc(device):
    """The unfold LC with every position's kernel equal to a conv kernel must equal F.conv2d: the
    baseline computes a real locally connected layer. Returns the max abs difference."""
    s = window("check", 3, 9, 4, 3, 2)
    n, c, k, kern, p = 2, s["c"], s["k"], s["kh"], s["oh"] * s["ow"]
    x = rand(n, c, s["h"], s["w"], device=device)
    wc = rand(k, c, kern, kern, device=device)
    bc = rand(k, device=device)
    w = wc.reshape(k, c * kern * kern).t().unsqueeze(0).expand(p, -1, -1).contiguous()
    b = bc.reshape(k, 1, 1).expand(k, s["oh"], s["ow"]).contiguous()
    with torch.no_grad():
        return (lc_forward(x, w, b, s) - F.conv2d(x, wc, bc, stride=s["stride"])).abs().max().item()


def window_work(device, s, batch, local, pass_):
    """One pass ('forward', 'backward_input' or 'backward_weight') of a conv or LC layer."""
    c, k, kh, kw, st, oh, ow = s["c"], s["k"], s["kh"], s["kw"], s["stride"], s["oh"], s["ow"]
    scale = math.sqrt(6 / ((c + k) * kh * kw))
    x = rand(batch, c, s["h"], s["w"], device=device)
    if local:
        w = rand(oh * ow, c * kh * kw, k, device=device, scale=scale)
        b = rand(k, oh, ow, device=device, scale=0.1)
    else:
        w = rand(k, c, kh, kw, device=device, scale=scale)
        b = rand(k, device=device, scale=0.1)
    if pass_ == "forward":
        def forward():
            with torch.no_grad():
                return lc_forward(x, w, b, s) if local else F.conv2d(x, w, b, stride=st)

        return Work(forward)
    dy = rand(batch, k, oh, ow, device=device)
    wants_input = pass_ == "backward_input"
    if local:
        # Autograd through the unfold construction; only what the pass differentiates requires grad.
        xg = x.requires_grad_(wants_input)
        wg = w.requires_grad_(not wants_input)
        bg = b.requires_grad_(not wants_input)
        inputs = [xg] if wants_input else [wg, bg]
        y = lc_forward(xg, wg, bg, s)

        def backward():
            return torch.autograd.grad(y, inputs, dy, retain_graph=True)

        # Peak of a training-style forward (building the graph) plus the backward.
        return Work(backward, lambda: torch.autograd.grad(lc_forward(xg, wg, bg, s), inputs, dy))
    mask = [True, False, False] if wants_input else [False, True, True]
    bias_sizes = None if wants_input else [k]

    def conv_backward():
        return torch.ops.aten.convolution_backward(dy, x, w, bias_sizes, [st, st], [0, 0], [1, 1], False, [0, 0], 1, mask)

    return Work(conv_backward)


def dense_work(device, s, batch, backward):
    i, o = s["inputs"], s["outputs"]
    x = rand(batch, i, device=device)
    w = rand(o, i, device=device, scale=math.sqrt(6 / (i + o)))
    b = rand(o, device=device, scale=0.1)
    if not backward:
        def forward():
            with torch.no_grad():
                return F.linear(x, w, b)

        return Work(forward)
    dy = rand(batch, o, device=device)

    def grads():  # what autograd runs for F.linear: dx = dy·w, dw = dyᵀ·x, db = Σ dy
        with torch.no_grad():
            return dy @ w, dy.t() @ x, dy.sum(0)

    return Work(grads)


def optim_work(device, sizes, adam):
    params = [rand(m, device=device, scale=0.05).requires_grad_(True) for m in sizes]
    for p in params:
        p.grad = rand(p.numel(), device=device, scale=1e-3)
    if adam:
        opt = torch.optim.Adam(params, lr=ADAM["lr"], eps=ADAM["eps"], fused=device.type == "cuda")
    else:
        opt = torch.optim.SGD(params, lr=SGD["lr"], momentum=SGD["momentum"], foreach=True)
    return Work(opt.step)


def ring_offsets(r):
    return [(a, b) for a in range(-r, r + 1) for b in range(-r, r + 1) if max(abs(a), abs(b)) == r]


def neighbour_distances(grid, radii):
    """PROTOCOL.md's divergence metric, as src/bench/tfjs/distance.ts computes it: the weight as a grid
    [OH, OW, B] of banks scaled to Frobenius norm 1; per radius the mean distance and mean 1 − cosine
    of every bank to its neighbours on the ring."""
    oh, ow, _ = grid.shape
    w = grid / grid.norm()
    out = []
    for r in radii:
        rows, cols = oh - 2 * r, ow - 2 * r
        if rows <= 0 or cols <= 0:
            out += [float("nan"), float("nan")]
            continue
        centre = w[r:r + rows, r:r + cols]
        centre_norm = centre.norm(dim=-1)
        dists, coss = [], []
        for a, b in ring_offsets(r):
            nb = w[r + a:r + a + rows, r + b:r + b + cols]
            dists.append((centre - nb).norm(dim=-1))
            coss.append(1 - (centre * nb).sum(-1) / (centre_norm * nb.norm(dim=-1)))
        out += [torch.stack(dists).mean(), torch.stack(coss).mean()]
    return out


def distance_work(device, s, radii):
    grid = rand(s["oh"], s["ow"], s["k"] * s["c"] * s["kh"] * s["kw"], device=device, scale=0.1)

    def distances():
        with torch.no_grad():
            return neighbour_distances(grid, radii)

    return Work(distances)


class LC(torch.nn.Module):
    def __init__(self, s):
        super().__init__()
        c, k = s["c"], s["k"]
        scale = math.sqrt(6 / ((c + k) * s["kh"] * s["kw"]))
        self.s = s
        self.w = torch.nn.Parameter((torch.rand(s["oh"] * s["ow"], c * s["kh"] * s["kw"], k) * 2 - 1) * scale)
        self.b = torch.nn.Parameter(torch.zeros(k, s["oh"], s["ow"]))

    def forward(self, x):
        return lc_forward(x, self.w, self.b, self.s)


def network(net, local):
    """The paper's network (conv) or its LC twin: windows with ReLU, flatten, dense layers."""
    layers = []
    for s in net["windows"]:
        conv = torch.nn.Conv2d(s["c"], s["k"], (s["kh"], s["kw"]), stride=s["stride"])
        layers += [LC(s) if local else conv, torch.nn.ReLU()]
    layers.append(torch.nn.Flatten())
    for j, d in enumerate(net["dense"]):
        layers.append(torch.nn.Linear(d["inputs"], d["outputs"]))
        if j < len(net["dense"]) - 1:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def step_work(device, net, batch, local, train):
    """A training step (zero grads, forward, cross-entropy, backward, Adam) or an evaluation step."""
    model = network(net, local).to(device)
    x = rand(batch, *net["input"], device=device, scale=0.5)
    labels = torch.randint(0, net["classes"], (batch,), device=device)
    if not train:
        def evaluate():
            with torch.no_grad():
                return F.cross_entropy(model(x), labels)

        return Work(evaluate)
    opt = torch.optim.Adam(model.parameters(), lr=ADAM["lr"], eps=ADAM["eps"], fused=device.type == "cuda")

    def step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), labels).backward()
        opt.step()

    return Work(step)


WINDOW_OPS = {
    "conv_forward": (False, "forward"), "conv_backward_input": (False, "backward_input"),
    "conv_backward_weight": (False, "backward_weight"), "lc_forward": (True, "forward"),
    "lc_backward_input": (True, "backward_input"), "lc_backward_weight": (True, "backward_weight"),
}


def case_work(device, case):
    """The workload of one case as `bench --torch` describes it: {op, batch, shape | net | sizes, radii}."""
    op = case["op"]
    if op in WINDOW_OPS:
        local, pass_ = WINDOW_OPS[op]
        return window_work(device, case["shape"], case["batch"], local, pass_)
    if op in ("dense_forward", "dense_backward"):
        return dense_work(device, case["shape"], case["batch"], op == "dense_backward")
    if op in ("adam_update", "sgd_update"):
        return optim_work(device, case["sizes"], op == "adam_update")
    if op == "distances":
        return distance_work(device, case["shape"], case["radii"])
    if op in ("train_step", "eval_step"):
        return step_work(device, case["net"], case["batch"], case["local"], op == "train_step")
    raise LookupError(f"no PyTorch workload for op '{op}'")


# ---------------------------------------------------------------------------------------------
# What runs underneath: the BLAS torch loaded, oneDNN's own trace of what it executed.


def mapped_libraries():
    """Paths of the shared libraries mapped into this process (empty where /proc is absent)."""
    try:
        with open("/proc/self/maps") as f:
            return sorted({line.split()[-1] for line in f if "/" in line and ".so" in line})
    except OSError:
        return []


BLAS_PATTERN = re.compile(r"(openblas|libblas|libmkl|blis|atlas|libcblas)", re.I)


class _DlInfo(ctypes.Structure):
    _fields_ = [("dli_fname", ctypes.c_char_p), ("dli_fbase", ctypes.c_void_p), ("dli_sname", ctypes.c_char_p),
                ("dli_saddr", ctypes.c_void_p)]


def sgemm_provider(paths):
    """The file whose sgemm_ torch's CPU library calls: looked up from libtorch_cpu's own handle (its
    dependencies in load order, as its calls resolve), then named by dladdr. Several BLAS libraries can
    be mapped at once (Debian's liblapack.so.3 from OpenBLAS loads libopenblas even when libblas.so.3
    is the reference one), so what is mapped does not say which one runs. None when not found (a
    torch with its BLAS linked in statically)."""
    torch_lib = next((p for p in paths if os.path.basename(p).startswith("libtorch_cpu")), None)
    if torch_lib is None:
        return None
    try:
        handle = ctypes.CDLL(torch_lib, mode=os.RTLD_NOLOAD | os.RTLD_LAZY)
        address = ctypes.cast(handle.sgemm_, ctypes.c_void_p)
        dladdr = ctypes.CDLL(None).dladdr
    except (OSError, AttributeError):
        return None
    dladdr.argtypes = [ctypes.c_void_p, ctypes.POINTER(_DlInfo)]
    info = _DlInfo()
    if dladdr(address, ctypes.byref(info)) == 0 or not info.dli_fname:
        return None
    return os.path.realpath(info.dli_fname.decode())


def blas_kind(path):
    """OpenBLAS (variant), MKL, BLIS, ATLAS or the reference (netlib) BLAS, from a library's path. Debian
    keeps the reference libblas.so.3 under .../blas/ and each optimised one in a folder of its own
    (openblas-pthread/, blis-openmp/, atlas/), all behind the libblas.so.3 alternative."""
    p = path.lower()
    if "openblas" in p:
        variant = next((d for d in ("openblas-pthread", "openblas-openmp", "openblas-serial") if d in p), "")
        return "OpenBLAS" + (f" ({variant.split('-')[1]})" if variant else "")
    if "libmkl" in p:
        return "MKL"
    if "blis" in p:
        return "BLIS"
    if "atlas" in p:
        return "ATLAS"
    if re.search(r"/blas/libblas\.so", p):
        return "reference"
    return None


def classify_blas(paths, build_info="", provider=None):
    """Which BLAS torch's sgemm_ runs on: the library that provides it when known, else guessed from the
    BLAS libraries mapped, else from torch's build settings (the pip wheels link MKL in statically)."""
    blas = [p for p in paths if BLAS_PATTERN.search(os.path.basename(p)) or "/openblas" in p or "/blis" in p]
    kind = blas_kind(provider) if provider else None
    if kind is None and not provider:
        kinds = [k for k in map(blas_kind, blas) if k]
        # The reference one among others: it may be the one in use, so say so.
        kind = "reference" if "reference" in kinds else (kinds[0] if kinds else None)
    if kind is None:
        m = re.search(r"BLAS_INFO=(\w+)", build_info)
        if provider:
            kind = "unknown"
        elif m and m.group(1) != "generic":
            kind = f"{m.group(1)} (linked into torch)"
        else:
            kind = "unknown"
    return {"kind": kind, "reference": kind == "reference", "libraries": blas, "sgemm_from": provider}


class Blas:
    """The BLAS behind torch.mm, found after a first product loaded it; OpenBLAS's own thread count
    follows torch's (torch.set_num_threads sets OpenMP's, not OpenBLAS's pthreads pool)."""

    def __init__(self):
        a = torch.rand(64, 64)
        torch.mm(a, a)
        paths = mapped_libraries()
        self.info = classify_blas(paths, torch.__config__.show(), sgemm_provider(paths))
        self.openblas = None
        for path in self.info["libraries"]:
            try:
                lib = ctypes.CDLL(path)
                lib.openblas_set_num_threads  # noqa: B018 (raises AttributeError when absent)
            except (OSError, AttributeError):
                continue
            lib.openblas_get_config.restype = ctypes.c_char_p
            lib.openblas_get_corename.restype = ctypes.c_char_p
            self.openblas = lib
            if self.info["kind"].startswith("OpenBLAS"):
                self.info["config"] = lib.openblas_get_config().decode()
                self.info["corename"] = lib.openblas_get_corename().decode()
            self.info["threads_at_start"] = lib.openblas_get_num_threads()
            break

    def set_threads(self, n):
        if self.openblas is not None:
            self.openblas.openblas_set_num_threads(n)

    def threads(self):
        return self.openblas.openblas_get_num_threads() if self.openblas is not None else None


_libc = None


def _flush_c_stdout():
    global _libc
    try:
        _libc = _libc or ctypes.CDLL(None)
        _libc.fflush(None)
    except (OSError, AttributeError):
        pass


def onednn_trace(fn):
    """Runs fn once with oneDNN's verbose mode on and returns what oneDNN printed (its 'info' and
    'exec' lines: every primitive it executed). oneDNN prints to file descriptor 1, which is sent to
    a temporary file meanwhile. None where this torch cannot switch the verbose mode on."""
    verbose = getattr(torch.backends.mkldnn, "verbose", None)
    if verbose is None or not torch.backends.mkldnn.is_available():
        return None
    sys.stdout.flush()
    _flush_c_stdout()
    saved = os.dup(1)
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), 1)
        try:
            with verbose(torch.backends.mkldnn.VERBOSE_ON):
                fn()
        finally:
            _flush_c_stdout()
            os.dup2(saved, 1)
            os.close(saved)
        tmp.seek(0)
        text = tmp.read().decode(errors="replace")
    return [line for line in text.splitlines() if line.startswith(("onednn_verbose,", "dnnl_verbose,"))]


def summarize_trace(lines, aten=()):
    """The compute primitives (not the layout reorders) of a trace: [{primitive, prop_kind, impl, count}],
    the first convolution line, whole, and the convolution kernels ATen dispatched to (`aten`)."""
    counts = collections.Counter()
    first_conv = None
    for line in lines or []:
        f = line.split(",")
        if len(f) < 6 or f[1] != "exec" or f[3] == "reorder":
            continue
        counts[(f[3], f[5], f[4])] += 1
        if first_conv is None and f[3] == "convolution":
            first_conv = line
    primitives = [{"primitive": p, "prop_kind": k, "impl": i, "count": n} for (p, k, i), n in counts.items()]
    return {"primitives": primitives, "convolution_line": first_conv, "aten": list(aten)}


# ATen's convolution kernels (not the dispatching wrappers aten::conv2d, aten::_convolution, ...).
ATEN_CONV_KERNEL = re.compile(r"^aten::.*(mkldnn|slow_conv|thnn|nnpack|depthwise|cudnn|miopen)")


def traced_run(fn):
    """One run of fn under oneDNN's verbose mode and torch's profiler: what oneDNN executed, and which
    ATen convolution kernels ran (aten::mkldnn_convolution, or aten::_slow_conv2d_forward: im2col + BLAS)."""
    aten = []
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        lines = onednn_trace(fn)
    for event in prof.key_averages():
        if ATEN_CONV_KERNEL.search(event.key) and event.key not in aten:
            aten.append(event.key)
    return summarize_trace(lines, aten), lines is not None


def onednn_info(lines):
    """Banner, CPU runtime and ISA from oneDNN's info lines."""
    info = {}
    for line in lines or []:
        f = line.split(",")
        if len(f) < 3 or f[1] != "info":
            continue
        rest = ",".join(f[2:])
        if rest.startswith(("oneDNN", "DNNL")):
            info["banner"] = rest
        elif rest.startswith("cpu,isa:"):
            info["isa"] = rest.split("isa:", 1)[1]
        elif rest.startswith("cpu,runtime:"):
            info["runtime"] = rest.split("runtime:", 1)[1].split(",")[0]
    return info


# ---------------------------------------------------------------------------------------------
# The batch run.


def row(op, shape, batch, impl, device, ms, flops, min_bytes, peak):
    return {
        "op": op, "shape": shape, "batch": batch, "impl": impl, "device": str(device), "ms": ms,
        "gflops": flops / (ms * 1e6) if ms and flops else None, "flops": flops, "min_bytes": min_bytes,
        "peak_bytes": peak,
    }


def window_macs(s):
    return s["k"] * s["oh"] * s["ow"] * s["c"] * s["kh"] * s["kw"]


def bench_windows(device, timer, batches, rows):
    conv_impl = "torch-cudnn" if device.type == "cuda" else "torch-onednn"
    for batch in batches:
        for s in WINDOWS:
            flops = 2 * batch * window_macs(s)
            p = s["oh"] * s["ow"]
            nx, ny = batch * s["c"] * s["h"] * s["w"], batch * s["k"] * p
            for local in (False, True):
                bank = s["k"] * s["c"] * s["kh"] * s["kw"]
                nw, nb = (p if local else 1) * bank, (p if local else 1) * s["k"]
                prefix, impl = ("lc", "torch-unfold") if local else ("conv", conv_impl)
                min_bytes = {
                    "forward": (nx + nw + nb + ny) * F32,
                    "backward_input": (ny + nw + nx) * F32,
                    "backward_weight": (nx + ny + nw + nb) * F32,
                }
                for pass_ in ("forward", "backward_input", "backward_weight"):
                    work = window_work(device, s, batch, local, pass_)
                    peak = peak_bytes(device, work.peak_fn)
                    rows.append(row(f"{prefix}_{pass_}", s["name"], batch, impl, device, timer(work.fn), flops,
                                    min_bytes[pass_], peak))
                    del work
                log(f"{prefix} {s['name']} batch {batch}: " + ", ".join(f"{r['op']} {r['ms']:.3f} ms" for r in rows[-3:]))
                if device.type == "cuda":
                    torch.cuda.empty_cache()


def bench_dense(device, timer, batches, rows):
    for batch in batches:
        for s in DENSE:
            i, o = s["inputs"], s["outputs"]
            for backward in (False, True):
                work = dense_work(device, s, batch, backward)
                ms = timer(work.fn)
                if backward:
                    rows.append(row("dense_backward", s["name"], batch, "torch", device, ms, 4 * batch * i * o,
                                    (batch * i + o * i + batch * o + batch * i + o * i + o) * F32, peak_bytes(device, work.fn)))
                else:
                    rows.append(row("dense_forward", s["name"], batch, "torch", device, ms, 2 * batch * i * o,
                                    (batch * i + o * i + o + batch * o) * F32, peak_bytes(device, work.fn)))


def param_sizes(net, local):
    """Parameter tensor sizes, in the order src/bench/cases.ts's parameterSizes gives them."""
    sizes = []
    for s in net["windows"]:
        p = s["oh"] * s["ow"] if local else 1
        sizes += [p * s["k"] * s["c"] * s["kh"] * s["kw"], p * s["k"]]
    for d in net["dense"]:
        sizes += [d["inputs"] * d["outputs"], d["outputs"]]
    return sizes


def bench_optim(device, timer, rows):
    for net_name, net in NETS.items():
        for local, form in ((False, "cnn"), (True, "fcn")):
            sizes = param_sizes(net, local)
            n = sum(sizes)
            for op, per, bytes_per in (("adam_update", 16, 7 * F32), ("sgd_update", 6, 5 * F32)):
                work = optim_work(device, sizes, op == "adam_update")
                rows.append(row(op, f"{net_name}.{form}", None, "torch", device, timer(work.fn), per * n, bytes_per * n, None))
                del work


def bench_steps(device, timer, batches, rows):
    net = NETS["cifar"]
    fwd_macs = sum(window_macs(s) for s in net["windows"]) + sum(d["inputs"] * d["outputs"] for d in net["dense"])
    first_macs = window_macs(net["windows"][0])
    conv_impl = "torch-cudnn" if device.type == "cuda" else "torch-onednn"
    for batch in batches:
        for local, form, impl in ((False, "cnn", conv_impl), (True, "fcn", "torch-unfold")):
            n_params = sum(param_sizes(net, local))
            flops = 2 * batch * (3 * fwd_macs - first_macs) + 16 * n_params
            work = step_work(device, net, batch, local, True)
            ms = timer(work.fn)
            rows.append(row("train_step", f"cifar.{form}", batch, impl, device, ms, flops, None, peak_bytes(device, work.fn)))
            work = step_work(device, net, batch, local, False)
            ms = timer(work.fn)
            rows.append(row("eval_step", f"cifar.{form}", batch, impl, device, ms, 2 * batch * fwd_macs, None, None))
            log(f"step cifar.{form} batch {batch}: train {rows[-2]['ms']:.3f} ms, eval {rows[-1]['ms']:.3f} ms")
            del work


def ceilings(device, timer, quick):
    """Measured device ceilings: copy bandwidth (read + write) and fp32 / TF32 matmul rate."""
    n = (1 << 24) if quick else (1 << 28)  # 64 MiB or 1 GiB of float32
    a = torch.empty(n, device=device).uniform_(-1, 1)
    b = torch.empty_like(a)
    ms = timer(lambda: b.copy_(a))
    bandwidth = 2 * n * F32 / (ms * 1e-3)
    del a, b
    m = 1024 if quick else 8192
    x, y = rand(m, m, device=device), rand(m, m, device=device)
    result = {"copy_bytes_per_s": bandwidth, "copy_ms": ms, "copy_bytes": 2 * n * F32}
    for tf32 in (False, True):
        torch.backends.cuda.matmul.allow_tf32 = tf32
        ms = timer(lambda: x @ y)
        result["tf32_flops_per_s" if tf32 else "fp32_flops_per_s"] = 2 * m**3 / (ms * 1e-3)
    torch.backends.cuda.matmul.allow_tf32 = False
    result["matmul_size"] = m
    return result


def batch_main(args):
    device = torch.device(args.device)
    batches = [1] if args.quick else [int(b) for b in args.batches.split(",")]
    repeats = 2 if args.quick else args.repeats
    timer = Timer(device, repeats, 1 if args.quick else args.warmup)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = True
    torch.manual_seed(0)
    info = {"torch": torch.__version__, "device": str(device), "cudnn": None, "name": "cpu", "tf32": False}
    if device.type == "cuda":
        info["name"] = torch.cuda.get_device_name(device)
        info["cudnn"] = torch.backends.cudnn.version()
    else:
        info["blas"] = Blas().info
        info["threads"] = torch.get_num_threads()
    log(f"torch {torch.__version__} on {info['name']}, batches {batches}, {repeats} repeats")
    lc_error = check_lc(device)
    info["lc_check_max_abs_error"] = lc_error
    log(f"unfold LC with tiled conv kernels vs F.conv2d: max |diff| {lc_error:.2e}")
    if not lc_error < 1e-4:
        log("the unfold LC baseline does not compute a locally connected layer")
        return 1
    parts = set(args.parts.split(","))
    rows = []
    result = {"info": info, "ceilings": None, "rows": rows, "errors": []}
    steps = [
        ("ceilings", lambda: result.__setitem__("ceilings", ceilings(device, timer, args.quick))),
        ("windows", lambda: bench_windows(device, timer, batches, rows)),
        ("dense", lambda: bench_dense(device, timer, batches, rows)),
        ("optim", lambda: bench_optim(device, timer, rows)),
        ("steps", lambda: bench_steps(device, timer, [b for b in batches if b >= 32] or batches, rows)),
    ]
    for name, fn in steps:
        if name not in parts:
            continue
        t0 = time.time()
        try:
            fn()
        except Exception as error:  # keep what the other parts measured
            result["errors"].append(f"{name}: {type(error).__name__}: {error}")
            log(f"{name} failed: {error}")
        log(f"{name} done in {time.time() - t0:.1f} s")
        with open(args.out, "w") as f:  # after each part, so a timeout keeps what was measured
            json.dump(result, f, indent=1)
    if result["ceilings"]:
        c = result["ceilings"]
        log(f"ceilings: copy {c['copy_bytes_per_s'] / 1e9:.0f} GB/s, fp32 matmul {c['fp32_flops_per_s'] / 1e12:.1f} TFLOP/s, "
            f"tf32 {c['tf32_flops_per_s'] / 1e12:.1f} TFLOP/s")
    return 1 if result["errors"] else 0


# ---------------------------------------------------------------------------------------------
# --serve: the contender of `wsr-native bench --torch`.


class Server:
    def __init__(self, device):
        self.device = device
        self.works = {}
        self.blas = Blas() if device.type == "cpu" else None
        self.threads = None

    def set_threads(self, n):
        if n is None or self.device.type != "cpu" or n == self.threads:
            return
        torch.set_num_threads(n)
        if self.blas:
            self.blas.set_threads(n)
        self.threads = n

    def hello(self, request):
        default_threads = torch.get_num_threads()  # torch's own choice here (its count of physical cores)
        self.set_threads(request.get("threads"))
        config = torch.__config__.show()
        onednn_version = re.search(r"(Intel\(R\) MKL-DNN|oneDNN)\s+v?([\d.]+)", config)
        x = torch.rand(16, 3, 32, 32)
        w = torch.rand(8, 3, 5, 5)
        trace = onednn_trace(lambda: F.conv2d(x, w))
        return {
            "torch": torch.__version__,
            "python": sys.executable,
            "python_version": sys.version.split()[0],
            "config": config,
            "parallel_info": torch.__config__.parallel_info(),
            "parallel_backend": (re.search(r"ATen parallel backend: (.+)", torch.__config__.parallel_info()) or [None, None])[1],
            "cpu_capability": (re.search(r"CPU capability usage: (\S+)", config) or [None, None])[1],
            "mkldnn_enabled": torch.backends.mkldnn.is_available(),
            "onednn": {"version": onednn_version.group(2) if onednn_version else None, **onednn_info(trace),
                       **summarize_trace(trace), "traced": trace is not None},
            "blas": self.blas.info if self.blas else None,
            "default_threads": default_threads,
            "threads": torch.get_num_threads(),
            "blas_threads": self.blas.threads() if self.blas else None,
            "lc_check_max_abs_error": check_lc(self.device),
            "lc": "F.unfold + einsum (a batched matmul), gradients by autograd",
        }

    def create(self, request):
        self.set_threads(request.get("threads"))
        work = case_work(self.device, request["case"])
        self.works[request["key"]] = work
        # The first run (untimed) traced: which oneDNN primitives and ATen convolution kernels ran.
        if self.device.type != "cpu":
            return {"trace": None}
        trace, traced = traced_run(work.fn)
        return {"trace": trace, "traced": traced}

    def run(self, request):
        self.set_threads(request.get("threads"))
        return {"ms": time_once(self.device, self.works[request["key"]].fn)}

    def free(self, request):
        self.works.pop(request["key"], None)
        return {}

    def sgemm(self, request):
        """torch.mm of [m, k] by [k, n] into a preallocated output: the BLAS's rate at each shape.
        Median of `repeats` after `warmup` runs; fewer when a run takes long (`budget_ms` a shape)."""
        self.set_threads(request.get("threads"))
        out = []
        for shape in request["shapes"]:
            m, n, k = shape["m"], shape["n"], shape["k"]
            a, b = torch.rand(m, k) * 2 - 1, torch.rand(k, n) * 2 - 1
            c = torch.empty(m, n)
            fn = lambda: torch.mm(a, b, out=c)  # noqa: E731
            budget = request.get("budget_ms", 3000)
            first = time_once(self.device, fn)
            times = [first] if first >= budget else []  # one slow run is the measurement (the reference BLAS)
            for _ in range(request.get("warmup", 1) if first < budget / 10 else 0):
                fn()
            while len(times) < request.get("repeats", 5) and (not times or sum(times) < budget):
                times.append(time_once(self.device, fn))
            ms = statistics.median(times)
            out.append({**shape, "ms": ms, "gflops": 2 * m * n * k / (ms * 1e6), "repeats": len(times)})
            del a, b, c
        return {"rows": out, "threads": torch.get_num_threads(), "blas_threads": self.blas.threads() if self.blas else None}


def serve(args):
    """Requests on stdin, answers on what was file descriptor 1. Anything else that writes to fd 1
    (a library's printf) goes to stderr instead, so it cannot break the protocol."""
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    torch.manual_seed(0)
    server = Server(torch.device(args.device))
    handlers = {"hello": server.hello, "create": server.create, "run": server.run, "free": server.free,
                "sgemm": server.sgemm}
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        cmd = request.get("cmd")
        if cmd == "quit":
            proto.write(json.dumps({"id": request.get("id")}) + "\n")
            break
        try:
            if cmd not in handlers:
                raise LookupError(f"unknown request '{cmd}'")
            reply = handlers[cmd](request)
        except LookupError as error:
            reply = {"error": str(error), "unsupported": True}
        except Exception as error:  # the caller notes it on the row and goes on
            traceback.print_exc(file=sys.stderr)
            reply = {"error": f"{type(error).__name__}: {error}"}
        reply["id"] = request.get("id")
        proto.write(json.dumps(reply) + "\n")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out")
    ap.add_argument("--serve", action="store_true", help="the contender of `wsr-native bench --torch` (requests on stdin)")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--batches", default="1,32,128")
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="small ceilings, batch 1 only, few repeats (a smoke test)")
    ap.add_argument("--parts", default="ceilings,windows,dense,optim,steps")
    args = ap.parse_args()
    if args.serve:
        if args.device == "cuda" and "--device" not in sys.argv:
            args.device = "cpu"  # `bench --torch` compares on the CPU
        return serve(args)
    if not args.out:
        ap.error("--out is required (or --serve)")
    return batch_main(args)


if __name__ == "__main__":
    sys.exit(main())
