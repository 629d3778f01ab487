#!/usr/bin/env python3
"""PyTorch yardsticks for wsr-native's kernels, at the shapes `wsr-native bench` times.

conv: F.conv2d and its cuDNN gradients (aten.convolution_backward), fp32 (TF32 off).
LC: the usual PyTorch workaround, F.unfold + einsum (a batched matmul), gradients by autograd.
dense: F.linear and autograd. Optimizers: torch.optim.Adam (fused) and SGD with momentum (foreach).
A training step of the CIFAR CNN (cuDNN) and its LC twin (unfold), Adam.
Device ceilings, measured once: a large device-to-device copy (bytes read + written) and a large
fp32 torch.matmul (TF32 off; TF32 reported too, for information).

Each row: {op, shape, batch, impl, device, ms, gflops, flops, min_bytes, peak_bytes}; ms is the
median over --repeats runs timed with CUDA events after warm-up. peak_bytes is
torch.cuda.max_memory_allocated over one run from a clean start with only the inputs allocated
(for gradients: the forward that builds the graph plus the backward, as training holds them).
FLOPs: 2·MACs per pass, as src/bench/flops.ts counts them; min_bytes: each input read once and
each output written once (float32).

Usage: torch_bench.py --out torch.json [--device cuda|cpu] [--batches 1,32,128] [--repeats 20] [--quick]
"""
import argparse
import json
import math
import statistics
import sys
import time

import torch
import torch.nn.functional as F

# Mirror of src/bench/shapes.ts: (name, C, H, K, kernel, stride); dense (name, inputs, outputs).
WINDOWS = [
    ("cifar.conv1", 3, 32, 64, 5, 2),
    ("cifar.conv2", 64, 14, 128, 5, 2),
    ("cifar.conv3", 128, 5, 256, 3, 1),
    ("mnist.conv1", 1, 28, 32, 3, 2),
    ("mnist.conv2", 32, 13, 64, 3, 2),
    ("mnist.conv3", 64, 6, 128, 3, 1),
]
DENSE = [
    ("cifar.dense1", 2304, 1024),
    ("cifar.dense2", 1024, 10),
    ("mnist.dense1", 2048, 1024),
    ("mnist.dense2", 1024, 10),
]
NETS = {
    "cifar": {"input": (3, 32, 32), "windows": WINDOWS[:3], "dense": DENSE[:2]},
    "mnist": {"input": (1, 28, 28), "windows": WINDOWS[3:], "dense": DENSE[2:]},
}
F32 = 4


def log(*args):
    print("torch_bench:", *args, file=sys.stderr, flush=True)


class Timer:
    """Median wall time of fn() in ms: CUDA events on a GPU, perf_counter on the CPU."""

    def __init__(self, device, repeats, warmup):
        self.device, self.repeats, self.warmup = device, repeats, warmup

    def __call__(self, fn):
        for _ in range(self.warmup):
            fn()
        cuda = self.device.type == "cuda"
        times = []
        for _ in range(self.repeats):
            if cuda:
                start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                start.record()
                fn()
                end.record()
                end.synchronize()
                times.append(start.elapsed_time(end))
            else:
                t0 = time.perf_counter()
                fn()
                times.append((time.perf_counter() - t0) * 1e3)
        return statistics.median(times)


def peak_bytes(device, fn):
    """Peak allocated bytes over one call of fn (inputs already allocated count)."""
    if device.type != "cuda":
        return None
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    fn()
    torch.cuda.synchronize()
    return torch.cuda.max_memory_allocated()


def out_size(h, k, s):
    return (h - k) // s + 1


def rand(*shape, device, scale=1.0, grad=False):
    t = (torch.rand(*shape, device=device) * 2 - 1) * scale
    return t.requires_grad_(grad)


def lc_forward(x, w, b, k, s):
    """Locally connected layer via unfold + einsum. x [N,C,H,W], w [L, C·k·k, K], b [K, OH, OW]."""
    n = x.shape[0]
    oh = out_size(x.shape[2], k, s)
    ow = out_size(x.shape[3], k, s)
    patches = F.unfold(x, k, stride=s)  # [N, C·k·k, L]
    y = torch.einsum("ncl,lck->nkl", patches, w)
    return y.reshape(n, w.shape[2], oh, ow) + b


def check_lc(device):
    """The unfold LC with every position's kernel equal to a conv kernel must equal F.conv2d: the
    baseline computes a real locally connected layer. Returns the max abs difference."""
    n, c, h, k, kern, s = 2, 3, 9, 4, 3, 2
    oh = out_size(h, kern, s)
    x = rand(n, c, h, h, device=device)
    wc = rand(k, c, kern, kern, device=device)
    bc = rand(k, device=device)
    w = wc.reshape(k, c * kern * kern).t().unsqueeze(0).expand(oh * oh, -1, -1).contiguous()
    b = bc.reshape(k, 1, 1).expand(k, oh, oh).contiguous()
    with torch.no_grad():
        return (lc_forward(x, w, b, kern, s) - F.conv2d(x, wc, bc, stride=s)).abs().max().item()


def row(op, shape, batch, impl, device, ms, flops, min_bytes, peak):
    return {
        "op": op, "shape": shape, "batch": batch, "impl": impl, "device": str(device), "ms": ms,
        "gflops": flops / (ms * 1e6) if ms and flops else None, "flops": flops, "min_bytes": min_bytes,
        "peak_bytes": peak,
    }


def bench_windows(device, timer, batches, rows):
    for batch in batches:
        for name, c, h, k, kern, s in WINDOWS:
            oh = out_size(h, kern, s)
            macs = k * oh * oh * c * kern * kern
            flops = 2 * batch * macs
            nx, ny = batch * c * h * h, batch * k * oh * oh
            for local in (False, True):
                nw = (oh * oh if local else 1) * k * c * kern * kern
                nb = (oh * oh if local else 1) * k
                prefix, impl = ("lc", "torch-unfold") if local else ("conv", "torch-cudnn")
                scale = math.sqrt(6 / ((c + k) * kern * kern))
                x = rand(batch, c, h, h, device=device)
                if local:
                    w = rand(oh * oh, c * kern * kern, k, device=device, scale=scale)
                    b = rand(k, oh, oh, device=device, scale=0.1)
                    fwd = lambda: lc_forward(x, w, b, kern, s)  # noqa: E731
                else:
                    w = rand(k, c, kern, kern, device=device, scale=scale)
                    b = rand(k, device=device, scale=0.1)
                    fwd = lambda: F.conv2d(x, w, b, stride=s)  # noqa: E731
                dy = rand(batch, k, oh, oh, device=device)
                with torch.no_grad():
                    peak = peak_bytes(device, fwd)
                    ms = timer(fwd)
                rows.append(row(f"{prefix}_forward", name, batch, impl, device, ms, flops, (nx + nw + nb + ny) * F32, peak))
                if local:
                    xg, wg, bg = x.clone().requires_grad_(True), w.clone().requires_grad_(True), b.clone().requires_grad_(True)

                    def graph():
                        return lc_forward(xg, wg, bg, kern, s)

                    y = graph()
                    dx_fn = lambda: torch.autograd.grad(y, [xg], dy, retain_graph=True)  # noqa: E731
                    dw_fn = lambda: torch.autograd.grad(y, [wg, bg], dy, retain_graph=True)  # noqa: E731
                    del y
                    # Peak of a training-style forward (building the graph) plus the backward.
                    peak_in = peak_bytes(device, lambda: torch.autograd.grad(graph(), [xg], dy))
                    peak_w = peak_bytes(device, lambda: torch.autograd.grad(graph(), [wg, bg], dy))
                    y = graph()
                else:
                    def dx_fn():
                        return torch.ops.aten.convolution_backward(
                            dy, x, w, None, [s, s], [0, 0], [1, 1], False, [0, 0], 1, [True, False, False])

                    def dw_fn():
                        return torch.ops.aten.convolution_backward(
                            dy, x, w, [k], [s, s], [0, 0], [1, 1], False, [0, 0], 1, [False, True, True])

                    peak_in, peak_w = peak_bytes(device, dx_fn), peak_bytes(device, dw_fn)
                ms = timer(dx_fn)
                rows.append(row(f"{prefix}_backward_input", name, batch, impl, device, ms, flops, (ny + nw + nx) * F32, peak_in))
                ms = timer(dw_fn)
                rows.append(row(f"{prefix}_backward_weight", name, batch, impl, device, ms, flops,
                                (nx + ny + nw + nb) * F32, peak_w))
                log(f"{prefix} {name} batch {batch}: " + ", ".join(f"{r['op']} {r['ms']:.3f} ms" for r in rows[-3:]))
                del x, w, b, dy
                if local:
                    del xg, wg, bg, y
                if device.type == "cuda":
                    torch.cuda.empty_cache()


def bench_dense(device, timer, batches, rows):
    for batch in batches:
        for name, i, o in DENSE:
            x = rand(batch, i, device=device)
            w = rand(o, i, device=device, scale=math.sqrt(6 / (i + o)))
            b = rand(o, device=device, scale=0.1)
            dy = rand(batch, o, device=device)
            with torch.no_grad():
                fwd = lambda: F.linear(x, w, b)  # noqa: E731
                ms = timer(fwd)
                rows.append(row("dense_forward", name, batch, "torch", device, ms, 2 * batch * i * o,
                                (batch * i + o * i + o + batch * o) * F32, peak_bytes(device, fwd)))

                def bwd():  # what autograd runs for F.linear: dx = dy·w, dw = dyᵀ·x, db = Σ dy
                    return dy @ w, dy.t() @ x, dy.sum(0)

                ms = timer(bwd)
                rows.append(row("dense_backward", name, batch, "torch", device, ms, 4 * batch * i * o,
                                (batch * i + o * i + batch * o + batch * i + o * i + o) * F32, peak_bytes(device, bwd)))


def param_sizes(net, local):
    sizes = []
    for _, c, h, k, kern, s in net["windows"]:
        p = out_size(h, kern, s) ** 2 if local else 1
        sizes += [p * k * c * kern * kern, p * k]
    for _, i, o in net["dense"]:
        sizes += [i * o, o]
    return sizes


def bench_optim(device, timer, rows):
    for net_name, net in NETS.items():
        for local, form in ((False, "cnn"), (True, "fcn")):
            sizes = param_sizes(net, local)
            n = sum(sizes)
            for op, per, bytes_per in (("adam_update", 16, 7 * F32), ("sgd_update", 6, 5 * F32)):
                params = [rand(m, device=device, scale=0.05).requires_grad_(True) for m in sizes]
                for p in params:
                    p.grad = rand(p.numel(), device=device, scale=1e-3)
                if op == "adam_update":
                    fused = device.type == "cuda"
                    opt = torch.optim.Adam(params, lr=1e-4, eps=1e-7, fused=fused)
                else:
                    opt = torch.optim.SGD(params, lr=1e-2, momentum=0.9, foreach=True)
                ms = timer(opt.step)
                rows.append(row(op, f"{net_name}.{form}", None, "torch", device, ms, per * n, bytes_per * n, None))
                del params, opt


class LC(torch.nn.Module):
    def __init__(self, c, h, k, kern, s):
        super().__init__()
        oh = out_size(h, kern, s)
        scale = math.sqrt(6 / ((c + k) * kern * kern))
        self.kern, self.s = kern, s
        self.w = torch.nn.Parameter((torch.rand(oh * oh, c * kern * kern, k) * 2 - 1) * scale)
        self.b = torch.nn.Parameter(torch.zeros(k, oh, oh))

    def forward(self, x):
        return lc_forward(x, self.w, self.b, self.kern, self.s)


def network(net, local):
    layers = []
    for _, c, h, k, kern, s in net["windows"]:
        layers += [LC(c, h, k, kern, s) if local else torch.nn.Conv2d(c, k, kern, stride=s), torch.nn.ReLU()]
    layers.append(torch.nn.Flatten())
    for j, (_, i, o) in enumerate(net["dense"]):
        layers.append(torch.nn.Linear(i, o))
        if j < len(net["dense"]) - 1:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def bench_steps(device, timer, batches, rows):
    net = NETS["cifar"]
    fwd_macs = sum(k * out_size(h, kern, s) ** 2 * c * kern * kern for _, c, h, k, kern, s in net["windows"])
    fwd_macs += sum(i * o for _, i, o in net["dense"])
    for batch in batches:
        for local, form, impl in ((False, "cnn", "torch-cudnn"), (True, "fcn", "torch-unfold")):
            model = network(net, local).to(device)
            opt = torch.optim.Adam(model.parameters(), lr=1e-4, eps=1e-7, fused=device.type == "cuda")
            x = rand(batch, *net["input"], device=device, scale=0.5)
            labels = torch.randint(0, 10, (batch,), device=device)
            first = net["windows"][0]
            first_macs = first[3] * out_size(first[2], first[4], first[5]) ** 2 * first[1] * first[4] ** 2
            n_params = sum(p.numel() for p in model.parameters())
            flops = 2 * batch * (3 * fwd_macs - first_macs) + 16 * n_params

            def step():
                opt.zero_grad(set_to_none=True)
                F.cross_entropy(model(x), labels).backward()
                opt.step()

            ms = timer(step)
            rows.append(row("train_step", f"cifar.{form}", batch, impl, device, ms, flops, None, peak_bytes(device, step)))
            with torch.no_grad():
                ev = lambda: F.cross_entropy(model(x), labels)  # noqa: E731
                ms = timer(ev)
                rows.append(row("eval_step", f"cifar.{form}", batch, impl, device, ms, 2 * batch * fwd_macs, None, None))
            log(f"step cifar.{form} batch {batch}: train {rows[-2]['ms']:.3f} ms, eval {rows[-1]['ms']:.3f} ms")
            del model, opt, x


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


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--batches", default="1,32,128")
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="small ceilings, batch 1 only, few repeats (a smoke test)")
    ap.add_argument("--parts", default="ceilings,windows,dense,optim,steps")
    args = ap.parse_args()
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


if __name__ == "__main__":
    sys.exit(main())
