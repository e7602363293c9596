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

One line of JSON per run: {"model", "batch", "device", "exPerSec", "msPerStep", "lastLoss",
"torch", "cudnnBenchmark", "tf32Matmul", "tf32Cudnn"}.
"""
import argparse
import json
import math
import time

import torch
from torch import nn

from torch_baseline import MODELS


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", choices=MODELS, required=True)
    parser.add_argument("--batch", type=int, required=True)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args()

    torch.backends.cudnn.benchmark = True
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(0)
    build, shape = MODELS[args.model]
    model = build().to(device)
    # Half of every conv/linear kernel kept, as in the TS loop; biases and batch norm are never pruned.
    masked = [p for p in model.parameters() if p.dim() > 1]
    masks = [(torch.rand_like(p) > 0.5).float() for p in masked]
    with torch.no_grad():
        torch._foreach_mul_(masked, masks)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    # Fixed synthetic batch, on the device once: throughput does not depend on the values.
    x = torch.randn(args.batch, *shape, device=device)
    y = torch.randint(0, 10, (args.batch,), device=device)
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        torch._foreach_mul_([p.grad for p in masked], masks)
        opt.step()
        with torch.no_grad():
            torch._foreach_mul_(masked, masks)
        return loss  # stays on the device

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize()

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
    print(json.dumps({
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
    }))


if __name__ == "__main__":
    main()
