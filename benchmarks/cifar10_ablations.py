"""Measure what matters in a small CIFAR-10 convnet: one base network, one change per variant.

Each variant changes one thing in the base recipe (filter size, width, pooling, batch norm, the
head, a regularizer, depth, the optimizer or its schedule), trains with several seeds, and is
scored on the test set. The JSON it writes (mean and spread of the test accuracy, accuracy per
epoch, training time, parameter count, and the device, torch, data and scale they come from) is
what docs/examples/ablations.md shows, through hooks/ablations.py.

    # the full scale on a GPU (the default where CUDA is there), on an ImageFolder tree
    python benchmarks/cifar10_ablations.py --data-dir /tmp/cifar10-jpeg
    # the reduced CPU scale, one thread, at low priority
    nice -n 10 python benchmarks/cifar10_ablations.py --data-dir /tmp/cifar10-jpeg --scale cpu \
        --threads 1 --out benchmarks/results/cifar10_ablations_cpu.json
    # seconds on generated data, checked with asserts
    python benchmarks/cifar10_ablations.py --dry-run
"""

import argparse
import dataclasses
import datetime
import json
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn
from torchvision.transforms.functional import pil_to_tensor

RESULTS = Path(__file__).parent / "results"
CROP_PADDING = 4  # pixels of mirrored border before each random 32x32 crop
EVAL_BATCH_SIZE = 250  # images per forward pass at test time: larger is slower on a CPU


@dataclass(frozen=True)
class Scale:
    """How much data and compute every variant gets; the same for all of them."""

    name: str
    train_images: int  # drawn at random (fixed draw) from the training set
    test_images: int  # the final accuracy is measured on this many test images
    epoch_test_images: int  # accuracy after each epoch: on the first this many of those
    epochs: int
    width: int  # channels of the first stage; the second has 2x, the third 4x
    batch_size: int


SCALES = {
    "gpu": Scale("full GPU scale", 50_000, 10_000, 10_000, 30, 64, 128),
    # One thread of a busy shared 2-core CPU: 2,500 images, 4 epochs and a narrow network keep
    # the 48 runs near half an hour; a fixed 1,000 of the test images keep evaluating cheap.
    "cpu": Scale("reduced CPU scale", 2_500, 1_000, 1_000, 4, 8, 64),
    "dry-run": Scale("dry run", 256, 128, 128, 3, 8, 32),
}


@dataclass(frozen=True)
class Recipe:
    """The network and its training; the base recipe is the defaults."""

    kernel_size: int = 3
    width_factor: float = 1.0  # times the scale's width, in every stage
    convs_per_stage: int = 1
    downsample: str = "maxpool"  # or "stride": the stage's last convolution has stride 2
    batch_norm: bool = True
    head: str = "average"  # global average pooling, or "flatten": every pixel into the linear
    dropout: float = 0.0  # before the last linear layer
    label_smoothing: float = 0.0
    augment: bool = True  # random crops of the mirror-padded image and horizontal flips
    optimizer: str = "sgd"  # SGD with Nesterov momentum 0.9, or "adamw"
    schedule: str = "onecycle"  # or "constant"
    learning_rate: float = 0.1  # the peak of OneCycle, or the constant rate
    weight_decay: float = 5e-4


BASE = Recipe()
# Every variant: a name, what it is in readers' words, and its recipe.
VARIANTS = {
    "base": ("base: 3x3 filters, max-pool, batch norm, average pool", BASE),
    "kernel5": ("5x5 filters", Recipe(kernel_size=5)),
    "kernel7": ("7x7 filters", Recipe(kernel_size=7)),
    "half_width": ("half as many filters", Recipe(width_factor=0.5)),
    "double_width": ("twice as many filters", Recipe(width_factor=2.0)),
    "strided": ("stride-2 convolution instead of max-pool", Recipe(downsample="stride")),
    "no_batch_norm": ("no batch norm", Recipe(batch_norm=False)),
    "flatten": ("flatten + linear instead of average pool", Recipe(head="flatten")),
    "no_weight_decay": ("no weight decay", Recipe(weight_decay=0.0)),
    "dropout": ("dropout 0.3 before the classifier", Recipe(dropout=0.3)),
    "label_smoothing": ("label smoothing 0.1", Recipe(label_smoothing=0.1)),
    "no_augmentation": ("no data augmentation", Recipe(augment=False)),
    "two_convs": ("2 convolutions per stage", Recipe(convs_per_stage=2)),
    "adamw": (
        "AdamW, OneCycle, lr 3e-3, weight decay 0.05",
        Recipe(optimizer="adamw", learning_rate=3e-3, weight_decay=0.05),
    ),
    "constant_lr": (
        "SGD + Nesterov, constant lr 0.05",
        Recipe(schedule="constant", learning_rate=0.05),
    ),
}
# Each question and the variants that answer it, the base network among them.
QUESTIONS = {
    "filter_size": ("Filter size at equal depth", ["base", "kernel5", "kernel7"]),
    "width": ("Number of filters", ["half_width", "base", "double_width"]),
    "downsampling": ("Max-pooling or strided convolution", ["base", "strided"]),
    "batch_norm": ("Batch norm or none", ["base", "no_batch_norm"]),
    "head": ("Global average pooling or flatten + linear", ["base", "flatten"]),
    "regularization": (
        "Regularization",
        ["base", "no_weight_decay", "dropout", "label_smoothing", "no_augmentation"],
    ),
    "depth": ("Depth", ["base", "two_convs"]),
    "optimizer": ("Optimizer and schedule", ["base", "adamw", "constant_lr"]),
}


@dataclass(frozen=True)
class Config:
    data_dir: Path | None  # None: generated data
    scale: Scale
    seeds: int
    variants: tuple  # names from VARIANTS
    device: torch.device
    out: Path | None  # None: a dry run writes to a temporary folder


@dataclass(frozen=True)
class Data:
    train_images: torch.Tensor  # uint8 (N, 3, 32, 32)
    train_labels: torch.Tensor  # int64 (N,)
    test_images: torch.Tensor  # uint8 (M, 3, 32, 32)
    test_labels: torch.Tensor  # int64 (M,)
    description: str


def image_files(split_dir):
    """(path, label) of every image under split_dir/<class>/, classes in sorted order."""
    classes = sorted(path for path in split_dir.iterdir() if path.is_dir())
    if not classes:
        sys.exit(f"cifar10_ablations.py: error: {split_dir} has no class folders")
    return [
        (file, label) for label, folder in enumerate(classes) for file in sorted(folder.iterdir())
    ]


def decode(files):
    """Images as one uint8 tensor (N, 3, 32, 32) and their labels (N,), decoded once."""
    images = []
    for path, _ in files:
        with Image.open(path) as image:
            tensor = pil_to_tensor(image.convert("RGB"))
        if tensor.shape != (3, 32, 32):
            sys.exit(f"cifar10_ablations.py: error: {path} is not a 32x32 image")
        images.append(tensor)
    return torch.stack(images), torch.tensor([label for _, label in files])


def fixed_draw(items, count):
    """`count` of items in an order that is the same on every run (seed 0), shuffling classes."""
    order = torch.randperm(len(items), generator=torch.Generator().manual_seed(0))
    return [items[i] for i in order[:count].tolist()]


def load_image_folders(data_dir, scale):
    """The scale's number of training and test images from DIR/train and DIR/test."""
    for split in ("train", "test"):
        if not (data_dir / split).is_dir():
            sys.exit(f"cifar10_ablations.py: error: {data_dir} has no {split}/<class>/ folders")
    train = fixed_draw(image_files(data_dir / "train"), scale.train_images)
    test = fixed_draw(image_files(data_dir / "test"), scale.test_images)
    description = (
        f"{data_dir.name} (ImageFolder): {len(train):,} of the training images, "
        f"{len(test):,} test images"
    )
    return Data(*decode(train), *decode(test), description)


def on_device(data, device):
    tensors = (data.train_images, data.train_labels, data.test_images, data.test_labels)
    return Data(*(tensor.to(device) for tensor in tensors), data.description)


def generated_data(scale):
    """Learnable CIFAR-shaped images: a coarse color pattern per class under heavy noise."""
    generator = torch.Generator().manual_seed(0)
    patterns = torch.rand(10, 3, 4, 4, generator=generator)
    patterns = F.interpolate(patterns, scale_factor=8) * 255  # (10, 3, 32, 32), 8x8 blocks

    def draw(count):
        labels = torch.randint(0, 10, (count,), generator=generator)
        noise = torch.rand(count, 3, 32, 32, generator=generator) * 255
        return (0.7 * patterns[labels] + 0.3 * noise).to(torch.uint8), labels

    description = f"generated: {scale.train_images} training and {scale.test_images} test images"
    return Data(*draw(scale.train_images), *draw(scale.test_images), description)


class Normalize(nn.Module):
    """uint8 images -> float with zero mean and unit variance per channel (training set's)."""

    def __init__(self, images):
        super().__init__()
        pixels = images.transpose(0, 1).reshape(3, -1).float()  # (3, N * 32 * 32)
        self.register_buffer("mean", pixels.mean(1).view(1, 3, 1, 1))
        self.register_buffer("std", pixels.std(1).view(1, 3, 1, 1))

    def forward(self, images):
        return (images.float() - self.mean) / self.std


def stage(channels_in, channels_out, recipe):
    """convs_per_stage convolutions, each with batch norm (or a bias) and ReLU; halves H and W."""
    layers = []
    for index in range(recipe.convs_per_stage):
        last = index == recipe.convs_per_stage - 1
        stride = 2 if last and recipe.downsample == "stride" else 1
        layers += [
            nn.Conv2d(
                channels_in,
                channels_out,
                recipe.kernel_size,
                stride=stride,
                padding=recipe.kernel_size // 2,
                bias=not recipe.batch_norm,
            ),
            nn.BatchNorm2d(channels_out) if recipe.batch_norm else nn.Identity(),
            nn.ReLU(inplace=True),
        ]
        channels_in = channels_out
    if recipe.downsample == "maxpool":
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers)


def make_model(recipe, width, train_images):
    """Three stages (32 -> 16 -> 8 -> 4 pixels) of width, 2x and 4x channels, then the head."""
    channels = [round(width * recipe.width_factor * factor) for factor in (1, 2, 4)]
    features = channels[-1] * (16 if recipe.head == "flatten" else 1)  # 4x4 pixels, or their mean
    pool = (
        nn.Flatten()
        if recipe.head == "flatten"
        else nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
    )
    return nn.Sequential(
        Normalize(train_images),
        stage(3, channels[0], recipe),
        stage(channels[0], channels[1], recipe),
        stage(channels[1], channels[2], recipe),
        pool,  # (N, features)
        nn.Dropout(recipe.dropout),
        nn.Linear(features, 10),
    )


def make_optimizer(model, recipe, total_steps):
    """The optimizer and a per-step scheduler: OneCycle to the peak rate, or a constant rate."""
    if recipe.optimizer == "adamw":
        optimizer = torch.optim.AdamW(
            model.parameters(), lr=recipe.learning_rate, weight_decay=recipe.weight_decay
        )
    else:
        optimizer = torch.optim.SGD(model.parameters(), lr=recipe.learning_rate, momentum=0.9,
                                    nesterov=True, weight_decay=recipe.weight_decay)  # fmt: skip
    if recipe.schedule == "onecycle":
        schedule = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=recipe.learning_rate, total_steps=total_steps
        )
    else:
        schedule = torch.optim.lr_scheduler.ConstantLR(optimizer, factor=1.0, total_iters=0)
    return optimizer, schedule


def augment(images, generator):
    """Random 32x32 crops of the mirror-padded batch, half of them flipped: uint8 (B, 3, 32, 32).

    One gather for the whole batch: each image's rows and columns are its own shifted ranges.
    """
    count, device = len(images), images.device
    padded = F.pad(images.float(), [CROP_PADDING] * 4, mode="reflect")  # (B, 3, 40, 40)
    shifts = torch.randint(0, 2 * CROP_PADDING + 1, (2, count), generator=generator)
    flips = torch.rand(count, generator=generator) < 0.5
    pixels = torch.arange(32)
    rows = (shifts[0, :, None] + pixels).to(device)  # (B, 32)
    columns = shifts[1, :, None] + pixels
    columns = torch.where(flips[:, None], columns.flip(1), columns).to(device)  # mirrored
    crops = padded[torch.arange(count, device=device)[:, None, None, None],
                   torch.arange(3, device=device)[None, :, None, None],
                   rows[:, None, :, None], columns[:, None, None, :]]  # fmt: skip
    return crops.to(torch.uint8)


def train_epoch(model, optimizer, schedule, data, recipe, batch_size, generator):
    """One pass over the training images in a fresh random order (the last partial batch
    is dropped: a batch of one image would break batch norm)."""
    model.train()
    order = torch.randperm(len(data.train_labels), generator=generator).to(data.train_images.device)
    for batch in order[: len(order) // batch_size * batch_size].split(batch_size):
        images, labels = data.train_images[batch], data.train_labels[batch]
        if recipe.augment:
            images = augment(images, generator)
        loss = F.cross_entropy(model(images), labels, label_smoothing=recipe.label_smoothing)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()


@torch.no_grad()
def evaluate(model, images, labels):
    model.eval()
    correct = sum(
        (model(chunk).argmax(1) == target).sum().item()
        for chunk, target in zip(
            images.split(EVAL_BATCH_SIZE), labels.split(EVAL_BATCH_SIZE), strict=True
        )
    )
    return correct / len(labels)


def synchronize(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def train_one(recipe, data, config, seed):
    """Train one variant with one seed: final test accuracy, accuracy per epoch, seconds."""
    torch.manual_seed(seed)  # the weights
    generator = torch.Generator().manual_seed(seed)  # the order and the augmentation
    scale = config.scale
    model = make_model(recipe, scale.width, data.train_images).to(config.device)
    steps = len(data.train_labels) // scale.batch_size * scale.epochs
    optimizer, schedule = make_optimizer(model, recipe, steps)
    epoch_images = data.test_images[: scale.epoch_test_images]
    epoch_labels = data.test_labels[: scale.epoch_test_images]
    per_epoch, seconds = [], 0.0
    for _ in range(scale.epochs):
        synchronize(config.device)
        start = time.perf_counter()
        train_epoch(model, optimizer, schedule, data, recipe, scale.batch_size, generator)
        synchronize(config.device)
        seconds += time.perf_counter() - start  # training only: evaluation is not timed
        per_epoch.append(evaluate(model, epoch_images, epoch_labels))
    final = evaluate(model, data.test_images, data.test_labels)
    parameters = sum(p.numel() for p in model.parameters())
    return final, per_epoch, seconds, parameters


def summary(values):
    return {"mean": statistics.mean(values), "std": statistics.stdev(values)}


def measure(name, data, config):
    """Every seed of one variant, summarized; prints one line per run."""
    label, recipe = VARIANTS[name]
    runs = []
    for seed in range(config.seeds):
        runs.append(train_one(recipe, data, config, seed))
        accuracy, _, seconds, _ = runs[-1]
        print(f"{name:<16} seed {seed}: {accuracy:.2%} in {seconds:.1f} s", flush=True)
    finals, per_epoch, seconds, parameters = zip(*runs, strict=True)
    changes = {
        field.name: getattr(recipe, field.name)
        for field in dataclasses.fields(recipe)
        if getattr(recipe, field.name) != getattr(BASE, field.name)
    }
    return {
        "label": label,
        "changes": changes,
        "parameters": parameters[0],
        "test_accuracy": {**summary(finals), "runs": list(finals)},
        "epoch_accuracy": [summary(epoch) for epoch in zip(*per_epoch, strict=True)],
        "train_seconds": summary(seconds),
    }


def device_name(device):
    return torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"


def run(config, data):
    """Measure every variant; returns the results and writes them to config.out as JSON."""
    started = time.perf_counter()
    variants = {name: measure(name, data, config) for name in config.variants}
    results = {
        "device": device_name(config.device),
        "threads": torch.get_num_threads() if config.device.type == "cpu" else None,
        "torch": torch.__version__,
        "date": datetime.date.today().isoformat(),
        "data": data.description,
        "scale": dataclasses.asdict(config.scale),
        "seeds": config.seeds,
        "base_recipe": dataclasses.asdict(BASE),
        "wall_seconds": time.perf_counter() - started,
        "questions": {
            key: {"title": title, "variants": [name for name in names if name in variants]}
            for key, (title, names) in QUESTIONS.items()
        },
        "variants": variants,
    }
    config.out.parent.mkdir(parents=True, exist_ok=True)
    config.out.write_text(json.dumps(results, indent=1) + "\n")
    return results


def check_complete(results, config):
    """Every variant has every seed and every epoch, and every figure is a real number."""
    assert set(results["variants"]) == set(config.variants)
    for name, variant in results["variants"].items():
        accuracy = variant["test_accuracy"]
        assert len(accuracy["runs"]) == config.seeds, name
        assert all(0 <= value <= 1 for value in accuracy["runs"]), name
        assert len(variant["epoch_accuracy"]) == config.scale.epochs, name
        assert variant["parameters"] > 0 and variant["train_seconds"]["mean"] > 0, name
    for key in ("device", "torch", "date", "data", "scale", "seeds", "questions"):
        assert results[key], key


def dry_run(config):
    """Every variant on generated data; the JSON is complete and the base network learns."""
    results = run(config, generated_data(config.scale))
    check_complete(results, config)
    base = results["variants"]["base"]
    assert base["test_accuracy"]["mean"] > 0.5, base["test_accuracy"]  # chance is 0.1
    return results


class ArgumentParser(argparse.ArgumentParser):
    def error(self, message):
        """Report a bad flag in one line (argparse would add the whole usage text)."""
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def variant_names(text):
    names = tuple(text.split(","))
    unknown = [name for name in names if name not in VARIANTS]
    if unknown or "base" not in names:
        raise argparse.ArgumentTypeError(f"{text!r}: give base and any of {', '.join(VARIANTS)}")
    return names


def parse_config(argv):
    parser = ArgumentParser(prog="cifar10_ablations.py", description=__doc__.splitlines()[0])
    gpu = torch.cuda.is_available()
    add = parser.add_argument
    add("--data-dir", type=Path, help="an ImageFolder tree: DIR/train/<class>/*.jpg, DIR/test/...")
    add("--scale", choices=["gpu", "cpu"], default="gpu" if gpu else "cpu",
        help="gpu: all 50,000 images; cpu: a reduced scale (default: gpu with CUDA)")  # fmt: skip
    add("--seeds", type=int, default=3, choices=range(3, 11), metavar="3..10",
        help="runs of each variant (default 3)")  # fmt: skip
    add("--variants", type=variant_names, default=tuple(VARIANTS),
        help="comma-separated names to run, base among them (default: all)")  # fmt: skip
    add("--threads", type=int, help="CPU threads for torch (default: torch's choice)")
    add("--out", type=Path, help="the JSON file (default benchmarks/results/"
        "cifar10_ablations_<scale>.json)")  # fmt: skip
    add("--dry-run", action="store_true", help="seconds on generated data, checked with asserts "
        "(writes to a temporary folder unless --out is given)")  # fmt: skip
    args = parser.parse_args(argv)
    if args.dry_run:
        scale, device = SCALES["dry-run"], torch.device("cpu")
    else:
        if args.data_dir is None:
            parser.error("--data-dir is required (or --dry-run for generated data)")
        scale, device = SCALES[args.scale], torch.device("cuda" if args.scale == "gpu" else "cpu")
        if device.type == "cuda" and not gpu:
            parser.error("--scale gpu needs a CUDA GPU; --scale cpu runs the reduced scale")
    if args.threads:
        torch.set_num_threads(args.threads)
    out = args.out or (None if args.dry_run else RESULTS / f"cifar10_ablations_{args.scale}.json")
    return Config(args.data_dir, scale, args.seeds, args.variants, device, out), args.dry_run


def main(argv=None):
    config, dry = parse_config(argv)
    if not dry:
        data = load_image_folders(config.data_dir, config.scale)
        return run(config, on_device(data, config.device))
    if config.out is None:  # the dry run's results are not kept
        with tempfile.TemporaryDirectory() as folder:
            return dry_run(dataclasses.replace(config, out=Path(folder) / "ablations.json"))
    return dry_run(config)


if __name__ == "__main__":
    main()
