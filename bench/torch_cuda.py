"""PyTorch counterpart of bench/gpu.ts: the same models (from torch_baseline.py), batch sizes and
masked SGD, on CUDA when there is a GPU and on the CPU otherwise (then "device" says so).

Shaped like the engine's loop: the host batch is copied to the device and the loss read back every
step. One line of JSON per run: {"model", "batch", "device", "exPerSec"}.
"""
import argparse
import json
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

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(0)
    build, shape = MODELS[args.model]
    model = build().to(device)
    # Half of every conv/linear kernel kept, as in the TS loop; biases and batch norm are never pruned.
    masks = {p: (torch.rand_like(p) > 0.5).float() for p in model.parameters() if p.dim() > 1}
    with torch.no_grad():
        for p, m in masks.items():
            p.mul_(m)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    x_host = torch.randn(args.batch, *shape)
    y_host = torch.randint(0, 10, (args.batch,))
    loss_fn = nn.CrossEntropyLoss()

    def step():
        x, y = x_host.to(device), y_host.to(device)
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        for p, m in masks.items():
            p.grad.mul_(m)
        opt.step()
        with torch.no_grad():
            for p, m in masks.items():
                p.mul_(m)
        return loss.item()

    for _ in range(args.warmup):  # allocator, cuDNN autotuning, kernel caches
        step()
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    elapsed = time.perf_counter() - start
    name = torch.cuda.get_device_name(0) if device.type == "cuda" else "cpu"
    print(json.dumps({"model": args.model, "batch": args.batch, "device": name, "exPerSec": args.steps * args.batch / elapsed}))


if __name__ == "__main__":
    main()
