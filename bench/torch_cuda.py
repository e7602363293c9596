"""PyTorch counterpart of bench/gpu.ts: the same models (from torch_baseline.py), batch sizes and
masked SGD, on CUDA when there is a GPU and on the CPU otherwise (then "device" says so).

Shaped like the TS bench loop: the synthetic batch is moved to the device once and reused every
step, nothing is read back per step (no `.item()`), and the clock stops only after
`torch.cuda.synchronize()`, so queued kernels are counted. The masks are applied with one
`torch._foreach_mul_` over all masked tensors (gradients before the step, weights after it).

The reference is meant to be the strongest plain PyTorch: `torch.backends.cudnn.benchmark = True`
(cuDNN autotunes each convolution during the warm-up steps); everything else is PyTorch's default
(fp32 NCHW, the SGD optimizer's default implementation). The TF32 switches in effect are reported:
`tf32Matmul` (torch.backends.cuda.matmul.allow_tf32, off by default) and `tf32Cudnn`
(torch.backends.cudnn.allow_tf32, on by default, so cuDNN convolutions may use TF32 on Ampere+).

`--modes eager,user` runs, in the same process, the plain reference above ("eager") and then the
PyTorch a user would pick ("user"): TF32 on for matmuls and convolutions; for conv nets bf16 autocast
and channels_last; for LeNet and Conv-2 the whole training step captured once as a CUDA graph
(`torch.cuda.graph`) and replayed. Each mode starts from the same seed. Without CUDA, "user" runs
what the CPU allows (bf16 autocast, channels_last; no graph) and says so.

One line of JSON per mode: {"mode", "model", "batch", "device", "exPerSec", "msPerStep", "lastLoss",
"torch", "cudnnBenchmark", "tf32Matmul", "tf32Cudnn", "autocast", "channelsLast", "cudaGraph"}.
"""
import argparse
import json
import math
import time

import torch
from torch import nn

from torch_baseline import MODELS as BASELINE_MODELS


def resnet50():
    import torchvision  # only this model needs it

    return torchvision.models.resnet50(num_classes=1000)


# name -> (builder, input shape CHW, classes)
MODELS = {name: (build, shape, 10) for name, (build, shape) in BASELINE_MODELS.items()}
MODELS["resnet50"] = (resnet50, (3, 224, 224), 1000)
CONV_NETS = {"conv2", "resnet20", "vgg16", "resnet50"}
# Small models whose step is dominated by launch overhead: what CUDA graphs remove.
GRAPHED = {"lenet_300_100", "conv2"}
MODES = ("eager", "user")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", choices=MODELS, required=True)
    parser.add_argument("--batch", type=int, required=True)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--modes", default="eager", help="comma-separated: eager, user")
    args = parser.parse_args()
    modes = args.modes.split(",")
    for mode in modes:
        if mode not in MODES:
            parser.error(f"--modes: unknown mode '{mode}'; known: {', '.join(MODES)}")
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    for mode in modes:
        print(json.dumps(run(args, mode, device)), flush=True)


def run(args, mode, device):
    user = mode == "user"
    conv = args.model in CONV_NETS
    graph = user and args.model in GRAPHED and device.type == "cuda"
    autocast = user and conv
    channels_last = user and conv
    torch.backends.cudnn.benchmark = True
    # The eager reference keeps PyTorch's defaults; the user's pick turns TF32 on everywhere.
    torch.backends.cuda.matmul.allow_tf32 = user
    torch.backends.cudnn.allow_tf32 = True
    torch.manual_seed(0)
    build, shape, classes = MODELS[args.model]
    model = build().to(device)
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    model = model.to(memory_format=memory_format)
    # Half of every conv/linear kernel kept, as in the TS loop; biases and batch norm are never pruned.
    masked = [p for p in model.parameters() if p.dim() > 1]
    masks = [(torch.rand_like(p) > 0.5).float() for p in masked]
    with torch.no_grad():
        torch._foreach_mul_(masked, masks)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    # Fixed synthetic batch, on the device once: throughput does not depend on the values.
    x = torch.randn(args.batch, *shape, device=device).to(memory_format=memory_format)
    y = torch.randint(0, classes, (args.batch,), device=device)
    loss_fn = nn.CrossEntropyLoss()

    def forward_loss():
        if not autocast:
            return loss_fn(model(x), y)
        # The autocast cache must be off for a step captured in a CUDA graph.
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, cache_enabled=not graph):
            return loss_fn(model(x).float(), y)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = forward_loss()
        loss.backward()
        torch._foreach_mul_([p.grad for p in masked], masks)
        opt.step()
        with torch.no_grad():
            torch._foreach_mul_(masked, masks)
        return loss  # stays on the device

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize()

    if graph:
        step = capture(step, args.warmup)
    else:
        for _ in range(args.warmup):  # allocator, cuDNN autotuning, kernel caches
            step()
    sync()
    start = time.perf_counter()
    loss = None
    for _ in range(args.steps):
        loss = step()
    sync()
    elapsed = time.perf_counter() - start
    last_loss = loss.item() if loss is not None else math.nan
    if not math.isfinite(last_loss):
        last_loss = None  # JSON has no NaN
    name = torch.cuda.get_device_name(0) if device.type == "cuda" else "cpu"
    return {
        "mode": mode,
        "model": args.model,
        "batch": args.batch,
        "device": name,
        "exPerSec": args.steps * args.batch / elapsed,
        "msPerStep": 1000 * elapsed / args.steps,
        "lastLoss": last_loss,
        "torch": torch.__version__,
        "cudnnBenchmark": torch.backends.cudnn.benchmark,
        "tf32Matmul": torch.backends.cuda.matmul.allow_tf32,
        "tf32Cudnn": torch.backends.cudnn.allow_tf32,
        "autocast": "bf16" if autocast else None,
        "channelsLast": channels_last,
        "cudaGraph": graph,
    }


def capture(step, warmup):
    """The whole training step as one CUDA graph (PyTorch's "whole network capture"): warm-up steps
    on a side stream first (they create the momentum buffers the graph then updates in place)."""
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(max(warmup, 3)):
            step()
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        static_loss = step()

    def replay():
        graph.replay()
        return static_loss

    return replay


if __name__ == "__main__":
    main()
