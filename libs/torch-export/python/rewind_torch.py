"""PyTorch modules matching Rewind's models, and loading of a `rewind export --format torch` file.

    python3 rewind_torch.py evaluate MODEL EXPORT.safetensors DATA.safetensors [--classes N]

prints the test accuracy (%) of the exported ticket on DATA (`images` NHWC float32, `labels` uint8).
Reads safetensors itself, so it needs nothing beyond torch (Debian python3-torch).
"""
import argparse
import json
import struct
import sys

import torch
from torch import nn
from torch.nn.utils import prune

DTYPES = {"F32": torch.float32, "U8": torch.uint8, "BOOL": torch.bool, "I64": torch.int64}


def load_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + length])
    body = bytearray(data[8 + length :])
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        flat = torch.frombuffer(body, dtype=DTYPES[entry["dtype"]], count=(end - begin) // torch.empty(0, dtype=DTYPES[entry["dtype"]]).element_size(), offset=begin)
        tensors[name] = flat.clone().reshape(entry["shape"])
    return tensors, header.get("__metadata__", {})


class LeNet300100(nn.Module):
    def __init__(self, inputs, classes):
        super().__init__()
        self.fc1, self.fc2, self.fc = nn.Linear(inputs, 300), nn.Linear(300, 100), nn.Linear(100, classes)

    def forward(self, x):
        x = torch.relu(self.fc1(x.flatten(1)))
        return self.fc(torch.relu(self.fc2(x)))


class ConvNet(nn.Module):
    """Conv-2/4/6: pairs of 3x3 convs, a 2x2 max-pool after each pair, then dense 256, 256 and the classifier."""

    def __init__(self, pairs, shape, classes):
        super().__init__()
        h, w, c = shape
        filters = [f for f in [64, 128, 256][:pairs] for _ in (0, 1)]
        self.convs = [f"conv{i + 1}" for i in range(len(filters))]
        for name, f in zip(self.convs, filters):
            setattr(self, name, nn.Conv2d(c, f, 3, padding=1))
            c = f
        side = (h // 2**pairs) * (w // 2**pairs)
        self.fc1, self.fc2, self.fc = nn.Linear(side * c, 256), nn.Linear(256, 256), nn.Linear(256, classes)

    def forward(self, x):
        for i, name in enumerate(self.convs):
            x = torch.relu(getattr(self, name)(x))
            if i % 2 == 1:
                x = nn.functional.max_pool2d(x, 2)
        x = torch.relu(self.fc1(x.flatten(1)))
        return self.fc(torch.relu(self.fc2(x)))


class Shortcut(nn.Module):
    def __init__(self, inputs, outputs):
        super().__init__()
        self.conv, self.bn = nn.Conv2d(inputs, outputs, 1, stride=2, bias=False), nn.BatchNorm2d(outputs)

    def forward(self, x):
        return self.bn(self.conv(x))


class Block(nn.Module):
    def __init__(self, inputs, outputs, downsample):
        super().__init__()
        stride = 2 if downsample else 1
        self.conv1, self.bn1 = nn.Conv2d(inputs, outputs, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(outputs)
        self.conv2, self.bn2 = nn.Conv2d(outputs, outputs, 3, padding=1, bias=False), nn.BatchNorm2d(outputs)
        self.shortcut = Shortcut(inputs, outputs) if downsample else nn.Identity()

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(y)) + self.shortcut(x))


class ResNet20(nn.Module):
    """open_lth's cifar_resnet_20: a 3x3 stem, 3 segments of 3 blocks (16W, 32W, 64W), average pool, classifier."""

    def __init__(self, channels, classes, width=1):
        super().__init__()
        filters = [16 * width, 32 * width, 64 * width]
        self.conv, self.bn = nn.Conv2d(channels, filters[0], 3, padding=1, bias=False), nn.BatchNorm2d(filters[0])
        blocks, current = [], filters[0]
        for segment, f in enumerate(filters):
            for b in range(3):
                blocks.append(Block(current, f, segment > 0 and b == 0))
                current = f
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(current, classes)

    def forward(self, x):
        x = self.blocks(torch.relu(self.bn(self.conv(x))))
        return self.fc(x.mean((2, 3)))


def build(model, shape, classes):
    h, w, c = shape
    if model == "mnist_lenet_300_100":
        return LeNet300100(h * w * c, classes)
    if model.startswith("mnist_conv_"):
        return ConvNet(int(model[len("mnist_conv_") :]) // 2, shape, classes)
    if model == "cifar_resnet_20":
        return ResNet20(c, classes)
    raise ValueError(f"no PyTorch module for {model} here")


def load_export(model, path, shape, classes):
    """The model with the export loaded strictly; pruned layers carry torch.nn.utils.prune's mask."""
    state, _ = load_safetensors(path)
    net = build(model, shape, classes)
    for name, module in net.named_modules():
        if f"{name}.weight_mask" in state:
            prune.identity(module, "weight")
    net.load_state_dict(state, strict=True)
    return net.eval()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["evaluate"])
    parser.add_argument("model")
    parser.add_argument("export")
    parser.add_argument("data")
    parser.add_argument("--classes", type=int, default=10)
    args = parser.parse_args()
    data, _ = load_safetensors(args.data)
    images, labels = data["images"], data["labels"].long()
    net = load_export(args.model, args.export, tuple(images.shape[1:]), args.classes)
    torch.set_num_threads(1)
    with torch.no_grad():
        predicted = net(images.permute(0, 3, 1, 2).contiguous()).argmax(1)
    json.dump({"accuracy": 100.0 * (predicted == labels).float().mean().item(), "count": len(labels)}, sys.stdout)


if __name__ == "__main__":
    main()
