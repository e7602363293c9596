"""torchvision's ImageNet training input pipeline on an ImageFolder tree, the yardstick for
bench/imagenet-input.ts: ImageFolder + DataLoader, RandomResizedCrop(size) + flip + ToTensor + Normalize.
Prints one JSON line per worker count: {"workers": n, "images_per_s": x}."""
import json
import sys
import time

import torch
import torchvision.datasets as datasets
import torchvision.transforms as T

root, size, batch, images = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
worker_counts = [int(w) for w in sys.argv[5].split(",")]
torch.set_num_threads(1)
transform = T.Compose([
    T.RandomResizedCrop(size),
    T.RandomHorizontalFlip(),
    T.ToTensor(),
    T.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]),
])
dataset = datasets.ImageFolder(root, transform)


def init(_):
    torch.set_num_threads(1)


for workers in worker_counts:
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch, shuffle=True, num_workers=workers,
                                         worker_init_fn=init, prefetch_factor=2, persistent_workers=False, drop_last=True)
    it = iter(loader)
    next(it)  # workers started and warm
    seen, start = 0, time.perf_counter()
    while seen < images:
        try:
            x, _ = next(it)
        except StopIteration:
            it = iter(loader)
            continue
        seen += x.shape[0]
    print(json.dumps({"workers": workers, "images_per_s": seen / (time.perf_counter() - start)}), flush=True)
    del it, loader
