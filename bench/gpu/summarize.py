#!/usr/bin/env python3
"""Summary of a GPU bench run: wsr-native (bench --json on cuda) against PyTorch (torch_bench.py),
each kernel next to its floor, and the targets met or missed. Standard library only.

Floor of a kernel = max(FLOPs / measured fp32 matmul rate, min bytes / measured copy bandwidth).
Ours' memory for LC (no allocator peak is exposed to Node): the tensors plus the CUDA workspace the
launchers ask for when they do not split their reduction (cuda/local.h: the transposed activations or
gradients, P·N·K floats, and for the input gradient the patch gradients, P·N·C·KH·KW floats); a split
reduction adds its partial sums (splits × the output), not counted here.
Fraction of FP32 peak: ours GFLOP/s over the measured fp32 matmul rate (torch.matmul, TF32 off), and over
the datasheet rate when --peak-tflops is given; the engine's target is > 30% on the paper's layers whose
FLOPs dominate a step (bench/results/notes.md has the estimates this checks).
Epoch (45,000 training images, batch 128; 5,000 validation images): measured through the Node
training loop when epoch.json (bench/gpu/epoch.js) holds it, judged without the robustness sets;
else computed as 45000/128 × train step, plus 5000/128 × eval step for validation (and 6 × that
with the 5 robustness sets), from the bench's step times.

Usage: summarize.py --ours bench_cuda.json --torch torch.json [--epoch epoch.json] --out summary.md
"""
import argparse
import json
import math
import os
import sys

TRAIN_IMAGES, VAL_IMAGES, BATCH = 45000, 5000, 128
WINDOWS = {  # mirror of src/bench/shapes.ts: C, H, K, kernel, stride
    "cifar.conv1": (3, 32, 64, 5, 2), "cifar.conv2": (64, 14, 128, 5, 2), "cifar.conv3": (128, 5, 256, 3, 1),
    "mnist.conv1": (1, 28, 32, 3, 2), "mnist.conv2": (32, 13, 64, 3, 2), "mnist.conv3": (64, 6, 128, 3, 1),
}


def load(path):
    if not path or not os.path.exists(path):
        return None
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as error:
        print(f"summarize: cannot read {path}: {error}", file=sys.stderr)
        return None


def lc_bytes(op, shape, batch):
    c, h, k, kern, s = WINDOWS[shape]
    oh = (h - kern) // s + 1
    p = oh * oh
    x, y, w, b = batch * c * h * h, batch * k * p, p * k * c * kern * kern, p * k
    if op == "lc_forward":
        return 4 * (x + w + b + y + y)  # + yT [P, N, K]
    if op == "lc_backward_input":
        return 4 * (y + w + x + y + p * batch * c * kern * kern)  # + dyT and the patch gradients
    return 4 * (x + y + w + b + y)  # + dyT


def fmt(v, digits=3):
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    return f"{v:.{digits}f}"


def verdict(ok):
    return "met" if ok else "MISSED"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ours")
    ap.add_argument("--torch")
    ap.add_argument("--epoch")
    ap.add_argument("--out", required=True)
    ap.add_argument("--batch", type=int, default=BATCH)
    ap.add_argument("--peak-tflops", type=float, help="the datasheet FP32 rate, for a second fraction")
    args = ap.parse_args()
    ours_rows = load(args.ours) or []
    torch_doc = load(args.torch) or {}
    epoch = load(args.epoch)
    ceil = torch_doc.get("ceilings") or {}
    peak, bandwidth = ceil.get("fp32_flops_per_s"), ceil.get("copy_bytes_per_s")
    ours = {(r["op"], r["shape"], r["batch"]): r for r in ours_rows if r.get("impl") == "wsr-native" and r.get("ms")}
    theirs = {(r["op"], r["shape"], r["batch"]): r for r in torch_doc.get("rows", []) if r.get("ms")}
    lines, targets = [], []
    lines.append(f"# GPU bench summary ({torch_doc.get('info', {}).get('name', 'unknown device')})\n")
    if ceil:
        lines.append(f"Measured ceilings: copy {bandwidth / 1e9:.0f} GB/s (read + write), fp32 matmul "
                     f"{peak / 1e12:.1f} TFLOP/s (TF32 {ceil.get('tf32_flops_per_s', 0) / 1e12:.1f}).\n")
    else:
        lines.append("No ceilings measured (torch_bench.py did not run): floors are blank.\n")
    header = ("| op | shape | batch | ours ms | torch ms | torch/ours | floor ms | ours/floor | ours GFLOP/s |"
              " of fp32 peak |")
    lines += [header, "|" + "---|" * 10]
    keys = sorted(set(ours) | set(theirs), key=lambda k: (k[0], k[1], -1 if k[2] is None else k[2]))
    for key in keys:
        op, shape, batch = key
        if batch not in (None, args.batch):
            continue
        o, t = ours.get(key), theirs.get(key)
        flops = (t or {}).get("flops") or ((o or {}).get("gflops") or 0) * ((o or {}).get("ms") or 0) * 1e6 or None
        min_bytes = (t or {}).get("min_bytes")
        floor = None
        if peak and bandwidth and (flops or min_bytes):
            floor = max((flops or 0) / peak, (min_bytes or 0) / bandwidth) * 1e3
        o_ms, t_ms = (o or {}).get("ms"), (t or {}).get("ms")
        ratio = t_ms / o_ms if o_ms and t_ms else None
        gflops = (o or {}).get("gflops")
        of_peak = gflops * 1e9 / peak if gflops and peak else None
        of_sheet = gflops / (args.peak_tflops * 1e3) if gflops and args.peak_tflops else None
        peak_col = (f"{of_peak:.0%}" if of_peak else "-") + (f" ({of_sheet:.0%} of {args.peak_tflops:g} TF)" if of_sheet else "")
        lines.append(f"| {op} | {shape} | {batch if batch is not None else '-'} | {fmt(o_ms)} | {fmt(t_ms)} | "
                     f"{fmt(ratio, 2)} | {fmt(floor, 4)} | {fmt(o_ms / floor if o_ms and floor else None, 1)} | "
                     f"{fmt(gflops, 0)} | {peak_col} |")
        big = shape in ("cifar.conv2", "cifar.conv3", "cifar.dense1", "mnist.conv3", "mnist.dense1")
        if of_peak and big and op.split("_")[0] in ("conv", "lc", "dense") and batch == BATCH:
            targets.append((f"{op} {shape}: > 30% of fp32 peak", of_peak > 0.3,
                            f"{gflops:.0f} GFLOP/s = {of_peak:.0%} of the measured {peak / 1e12:.1f} TFLOP/s"))
        if o_ms and t_ms and op.startswith("conv_"):
            targets.append((f"{op} {shape}: within 2x of cuDNN", o_ms <= 2 * t_ms, f"ours {o_ms:.3f} ms, cuDNN {t_ms:.3f} ms"))
        if o_ms and t_ms and op.startswith("lc_"):
            targets.append((f"{op} {shape}: >= 3x faster than unfold", t_ms >= 3 * o_ms, f"{t_ms / o_ms:.2f}x"))
            tp = t.get("peak_bytes")
            if tp:
                mine = lc_bytes(op, shape, batch)
                targets.append((f"{op} {shape}: <= 1/4 of unfold's peak memory", mine * 4 <= tp,
                                f"ours {mine / 2**20:.1f} MiB (tensors + workspace), unfold peak {tp / 2**20:.1f} MiB"))
    lines.append("")
    runs = (epoch or {}).get("runs") or {}
    if epoch and epoch.get("skipped"):
        lines.append(f"Epoch through the training loop: skipped ({epoch['skipped']}).")
    for form, limit in (("cnn", 1.0), ("fcn", 1.5)):
        measured = (runs.get("without_robustness") or {}).get(f"{form}_epoch_s")
        robust = (runs.get("with_robustness") or {}).get(f"{form}_epoch_s")
        if measured:
            lines.append(f"CIFAR-10 epoch, {form.upper()}, through the training loop (45,000 images; validation "
                         f"included): {measured:.3f} s without the robustness sets, "
                         f"{fmt(robust)} s with them ({epoch.get('train_images')} images timed, scaled).")
        step = ours.get(("train_step", f"cifar.{form}", BATCH))
        ev = ours.get(("eval_step", f"cifar.{form}", BATCH))
        if measured:
            seconds, how = measured, "measured through the training loop, validation included"
        elif step:
            seconds, how = TRAIN_IMAGES / BATCH * step["ms"] / 1e3, "computed: 45000/128 x train step"
        else:
            continue
        if not measured:
            with_val = seconds + (VAL_IMAGES / BATCH * ev["ms"] / 1e3 if ev else 0)
            with_robust = seconds + (6 * VAL_IMAGES / BATCH * ev["ms"] / 1e3 if ev else 0)
            lines.append(f"CIFAR-10 epoch, {form.upper()}, computed from step times: {seconds:.3f} s training only; "
                         f"{with_val:.3f} s with validation; {with_robust:.3f} s with validation and 5 robustness sets.")
        targets.append((f"CIFAR-10 epoch {form.upper()} < {limit} s", seconds < limit, f"{seconds:.3f} s ({how})"))
    lines += ["", "## Targets", ""]
    for name, ok, detail in targets:
        lines.append(f"- {verdict(ok)}: {name} ({detail})")
    if not targets:
        lines.append("- nothing to judge: no GPU rows on both sides")
    text = "\n".join(lines) + "\n"
    with open(args.out, "w") as f:
        f.write(text)
    # The short table last on stdout: the headline rows and the verdicts.
    short = [l for l in lines if l.startswith("| ") and any(s in l for s in ("cifar.conv2", "cifar.conv3", "cifar.dense1", "cifar.cnn", "cifar.fcn"))]
    print("\n".join(lines[:2] + [header, "|" + "---|" * 10] + short + [""] + [l for l in lines if l.startswith("CIFAR-10 epoch")] +
                    ["", f"targets: {sum(ok for _, ok, _ in targets)} met, {sum(not ok for _, ok, _ in targets)} missed (details in summary.md)"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
