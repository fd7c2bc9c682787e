# %% [markdown]
# # Train an image classifier
#
# The training loop to copy into a project of your own: a small ResNet trained on CIFAR-10 with a
# `Dataset` and a `DataLoader`, augmentation, a one-cycle schedule, mixed precision on a GPU and
# checkpoints that resume a killed run exactly. Each part is one idiom from the site's pages,
# linked beside it; read it top to bottom, the last cell runs it.
#
# Download it as a <a href="snippets/train_classifier.py" download>script</a>
# (`python train_classifier.py --help` lists its flags) or as a
# <a href="classifier.ipynb" download>notebook</a>. It needs `torch`, `torchvision` and `tqdm`;
# without `--data-dir` it downloads CIFAR-10 (170 MB) into `./data`.
#
# > **The outputs below are from a CPU run on 5,000 images; the GPU run is pending.** One
# > thread of a CPU trained a half-width network for 2 epochs on 5,000 random images of a copy
# > of CIFAR-10 re-encoded as JPEG at quality 75 (`--train-images 5000 --epochs 2 --width 32
# > --batch-size 128 --lr 0.1 --device cpu`): the outputs show what the program prints, not
# > the accuracy it reaches. The default flags are meant to reach 91% on that copy in under 5
# > minutes on one H100 or H200; that run has not been made yet.

# %%
"""Train a small ResNet on CIFAR-10: the classic loop, each part as the site's pages teach it.

Measured results:
- GPU: pending. The default flags (30 epochs, batch 512, width 64, bfloat16 autocast) are
  meant to reach 91% test accuracy on CIFAR-10 (JPEG q75 copy) in under 5 minutes of training
  on one H100 or H200; that has not been measured yet.
- CPU, quick mode (--dry-run: 640 generated images of 10 classes, width 8, 4 epochs):
  92% test accuracy (chance is 10%) after 2.2 s of training on one thread, 10.5 s for the
  whole --dry-run with torch's import; the same 92% on torch 2.9 and 2.15.
- CPU, CIFAR-10 (JPEG q75 copy), 5,000 random training images, the full 10,000 test images:
  49.47% test accuracy after 2 epochs (--train-images 5000 --epochs 2 --width 32
  --batch-size 128 --lr 0.1 --device cpu) in 100 s of training on one thread, about 100
  images/s; the run shown on the page reached the same 49.47% in 146 s, sharing a busy 2-core
  machine with other work.

Run it: `python train_classifier.py` (downloads CIFAR-10 into ./data if needed),
`python train_classifier.py --data-dir DIR` (an ImageFolder tree: DIR/train/<class>/*.jpg and
DIR/test/<class>/*.jpg, or torchvision's DIR/cifar-10-batches-py/), `... --resume` after an
interruption, or `... --dry-run`.
"""

import argparse
import json
import os
import shlex
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset, Sampler, Subset
from torchvision import datasets
from torchvision.transforms import v2
from tqdm import tqdm

# The recipe: what a checkpoint must share with the run that resumes it.
RECIPE = ["epochs", "batch_size", "lr", "momentum", "weight_decay", "label_smoothing", "width",
          "seed", "train_images"]  # fmt: skip
CIFAR10_MEAN, CIFAR10_STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)
PROGRAM = "train_classifier.py"
LOGIT_SCALE = 0.125  # multiplies the network's outputs (see Net.forward)
IN_NOTEBOOK = "ipykernel" in sys.modules  # run as the page's notebook rather than as a script


@dataclass(frozen=True)
class Config:
    data_dir: Path | None  # an ImageFolder tree; None: torchvision's download into ./data
    out_dir: Path  # checkpoint.pt and results.json
    epochs: int
    batch_size: int
    lr: float  # the peak of the one-cycle schedule
    momentum: float
    weight_decay: float
    label_smoothing: float
    width: int  # channels of the first layer; the deepest has 8 times as many
    seed: int
    train_images: int | None  # train on this many random training images; None: all
    workers: int
    device: torch.device
    compile: bool
    resume: bool
    dry_run: bool  # generated data, a temporary out_dir, small flags


class UsageError(Exception):
    """Bad input (data, checkpoint, device): main reports it in one line and exits non-zero."""


# %% [markdown]
# ## Data
#
# A `Dataset` of (image, label) pairs and a `DataLoader` that applies the transforms per sample
# in worker processes. Each sample's augmentation has its own seed, drawn with the epoch's order
# from the run's seed and the epoch alone: a resumed run sees the batches an unbroken one saw.
#
# - the [training and test
#   pipelines](../../training/transforms/#build-the-training-and-test-pipelines)
# - [worker processes](../../training/data/#load-in-worker-processes) and
#   [pinned memory](../../training/data/#pin-memory-for-faster-copies-to-the-gpu)
# - `fork_rng`, which draws from a seed [without disturbing the caller's
#   stream](../../training/reproducibility/#draw-random-numbers-without-disturbing-the-outer-stream)


# %%
class Transformed(Dataset):
    """A dataset's samples through a transform, indexed by (index, seed of its randomness)."""

    def __init__(self, samples, transform):
        self.samples, self.transform = samples, transform

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, key):
        index, seed = key
        image, label = self.samples[index]
        # fork_rng: reseeding here must not disturb the caller's random stream.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return self.transform(image), label


class EpochSampler(Sampler):
    """(index, seed) keys in a new order each epoch, drawn from (seed, epoch) alone."""

    def __init__(self, size, seed):
        self.size, self.seed, self.epoch = size, seed, 0  # the loop sets `epoch`

    def __len__(self):
        return self.size

    def __iter__(self):
        generator = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
        order = torch.randperm(self.size, generator=generator)
        seeds = torch.randint(2**31, (self.size,), generator=generator)
        return zip(order.tolist(), seeds.tolist(), strict=True)


def load_data(config):
    """(train samples, test samples, class names, description) of CIFAR-10 or an ImageFolder."""
    download = config.data_dir is None
    root = Path("data") if download else config.data_dir
    if download or (root / "cifar-10-batches-py").is_dir():  # torchvision's own folder
        try:
            train, test = (datasets.CIFAR10(root, train, download=download) for train in (1, 0))
        except (OSError, RuntimeError) as error:  # no network, or damaged files
            action = f"download CIFAR-10 into {root}/" if download else f"read {root}/"
            raise UsageError(f"could not {action} ({error}); offline, pass --data-dir with "
                             "an ImageFolder tree or torchvision's folder") from None  # fmt: skip
        return train, test, train.classes, f"CIFAR-10 in {root}/ (torchvision)"
    splits = []
    for split in ("train", "test"):
        try:
            splits.append(datasets.ImageFolder(config.data_dir / split))
        except (FileNotFoundError, NotADirectoryError) as error:
            raise UsageError(f"--data-dir {config.data_dir}: {error} (expected "
                             f"{split}/<class>/*.jpg)") from None  # fmt: skip
    train, test = splits
    if train.classes != test.classes:
        raise UsageError(f"--data-dir {config.data_dir}: train/ and test/ have other classes")
    for dataset in splits:  # one image of each: reading them all would take minutes
        path = dataset.samples[0][0]
        try:
            size = dataset.loader(path).size
        except OSError:
            raise UsageError(f"{path} is not a readable image") from None
        if size != (32, 32):
            raise UsageError(f"{path} is {size[0]}x{size[1]} pixels, not 32x32")
    return train, test, train.classes, f"{config.data_dir} (ImageFolder)"


def make_loaders(train_samples, test_samples, config):
    augment = v2.Compose([
        v2.ToImage(),
        v2.RandomCrop(32, padding=4, padding_mode="reflect"),
        v2.RandomHorizontalFlip(),
        v2.ToDtype(torch.float32, scale=True),
        v2.Normalize(CIFAR10_MEAN, CIFAR10_STD),
    ])  # fmt: skip
    plain = v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True),
                        v2.Normalize(CIFAR10_MEAN, CIFAR10_STD)])  # fmt: skip
    options = dict(batch_size=config.batch_size, num_workers=config.workers,
                   pin_memory=config.device.type == "cuda",  # else it warns and pins nothing
                   persistent_workers=config.workers > 0)  # fmt: skip
    sampler = EpochSampler(len(train_samples), config.seed)
    # drop_last: every step has the same shape, and no batch norm meets a batch of one.
    train = DataLoader(Transformed(train_samples, augment), sampler=sampler, drop_last=True,
                       **options)  # fmt: skip
    in_order = [(index, 0) for index in range(len(test_samples))]  # `plain` draws nothing
    test = DataLoader(Transformed(test_samples, plain), sampler=in_order, **options)
    return train, test


def generated_data(train_count, test_count, seed=0):
    """An easy task in CIFAR-10's shapes: each class is a colour, under noise."""
    generator = torch.Generator().manual_seed(seed)
    # Ten colours far apart: the eight corners of the RGB cube, grey and orange.
    corners = [[red, green, blue] for red in (0, 255) for green in (0, 255) for blue in (0, 255)]
    colours = torch.tensor([*corners, [128, 128, 128], [255, 128, 0]]).view(10, 3, 1, 1)

    def draw(count):
        labels = torch.randint(0, 10, (count,), generator=generator)
        noise = torch.randint(0, 256, (count, 3, 32, 32), generator=generator)
        images = ((3 * colours[labels] + noise) // 4).to(torch.uint8)
        return list(zip(images, labels.tolist(), strict=True))

    classes = [f"class {label}" for label in range(10)]
    return draw(train_count), draw(test_count), classes, "generated"


# %% [markdown]
# ## Model
#
# A ResNet of nine layers [built from containers](../../models/containers/): each stage doubles
# the channels and halves the image with
# [max-pooling](../../models/convolution/#max-pool-and-average-pool), and two stages add a
# residual block. With `--width 64`, 6.6 million parameters.


# %%
def conv_bn(channels_in, channels_out):
    # No bias: the batch norm right after subtracts the mean, and has a bias of its own.
    return nn.Sequential(nn.Conv2d(channels_in, channels_out, 3, padding=1, bias=False),
                         nn.BatchNorm2d(channels_out), nn.ReLU(inplace=True))  # fmt: skip


class Residual(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.body = nn.Sequential(conv_bn(channels, channels), conv_bn(channels, channels))

    def forward(self, x):
        return x + self.body(x)


class Net(nn.Module):
    def __init__(self, width, num_classes):
        super().__init__()
        self.layers = nn.Sequential(
            conv_bn(3, width),  # (N, width, 32, 32)
            conv_bn(width, 2 * width), nn.MaxPool2d(2), Residual(2 * width),  # 16 x 16
            conv_bn(2 * width, 4 * width), nn.MaxPool2d(2),  # 8 x 8
            conv_bn(4 * width, 8 * width), nn.MaxPool2d(2), Residual(8 * width),  # 4 x 4
            nn.AdaptiveMaxPool2d(1), nn.Flatten(),  # (N, 8 * width)
            nn.Linear(8 * width, num_classes),
        )  # fmt: skip

    def forward(self, images):
        # Max-pooled features are large: unscaled, the first logits are too, and the loss
        # diverged in the first epoch at these learning rates.
        return self.layers(images) * LOGIT_SCALE


# %% [markdown]
# ## Train and evaluate
#
# - [SGD with Nesterov momentum](../../training/optimizers/#use-nesterov-momentum) and a
#   [one-cycle schedule](../../training/optimizers/#run-a-one-cycle-schedule), stepped
#   [after the optimizer](../../training/optimizers/#step-the-scheduler-after-the-optimizer)
# - [label smoothing](../../training/losses/#soften-one-hot-targets-with-label-smoothing)
# - on a GPU, [bfloat16
#   autocast](../../training/mixed-precision/#train-with-bfloat16-autocast-on-the-cpu) and
#   [cuDNN's benchmark](../../basics/devices/#let-cudnn-benchmark-convolutions)
# - [train() and
#   eval()](../../models/train-eval/#switch-a-model-between-training-and-evaluation-mode)
# - a [confusion matrix](../../training/metrics/#build-a-confusion-matrix), its counts
#   [kept on the device](../../training/metrics/#keep-the-counts-on-the-gpu-until-the-end)


# %%
def autocast(device):
    # bfloat16 keeps float32's range, so no GradScaler; on a CPU it would be slower.
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda")


def to_device(images, labels, device):
    # channels_last: the layout the GPU's convolution kernels are fastest in.
    images = images.to(device, non_blocking=True, memory_format=torch.channels_last)
    return images, labels.to(device, non_blocking=True)


def train(model, batches, optimizer, scheduler, config):
    """One epoch over `batches`; returns the mean training loss."""
    model.train()
    loss_sum = torch.zeros((), device=config.device)
    for images, labels in batches:
        images, labels = to_device(images, labels, config.device)
        with autocast(config.device):
            logits = model(images)
            loss = F.cross_entropy(logits, labels, label_smoothing=config.label_smoothing)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()  # after optimizer.step(), once per batch
        loss_sum += loss.detach()  # no .item(): that would wait for the GPU every step
    return loss_sum.item() / len(batches)


@torch.inference_mode()
def evaluate(model, loader, num_classes, device):
    """Mean test loss and the confusion matrix (rows: true class, columns: predicted)."""
    model.eval()
    loss_sum = torch.zeros((), device=device)
    pairs = torch.zeros(num_classes * num_classes, dtype=torch.long, device=device)
    for images, labels in loader:
        images, labels = to_device(images, labels, device)
        with autocast(device):
            logits = model(images).float()
        loss_sum += F.cross_entropy(logits, labels, reduction="sum")
        pairs += torch.bincount(labels * num_classes + logits.argmax(1), minlength=len(pairs))
    confusion = pairs.view(num_classes, num_classes).cpu()
    return loss_sum.item() / confusion.sum().item(), confusion


# %% [markdown]
# ## Checkpoints
#
# - all the state that [resumes training
#   exactly](../../training/saving/#save-a-checkpoint-that-resumes-training-exactly)
# - [written atomically](../../training/saving/#write-a-checkpoint-atomically), and
#   [loaded with weights_only=True](../../training/saving/#load-with-weights_onlytrue)
# - `model.compile()` [keeps the state_dict
#   keys](../../performance/compile/#compile-a-model-with-modelcompile-or-torchcompilemodel),
#   so the file loads into a plain `Net`


# %%
def save_checkpoint(path, model, optimizer, scheduler, record):
    state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
             "scheduler": scheduler.state_dict(), "rng": torch.get_rng_state(),
             **record}  # fmt: skip
    if torch.cuda.is_available():
        state["cuda_rng"] = torch.cuda.get_rng_state_all()
    partial = path.with_name(path.name + ".partial")
    with open(partial, "wb") as file:
        torch.save(state, file)
        file.flush()
        os.fsync(file.fileno())
    os.replace(partial, path)  # killed at any moment, path holds the old checkpoint or the new


def load_checkpoint(path, model, optimizer, scheduler, record):
    """Restore the states saved in path; returns the record of the epochs done."""
    if not path.is_file():
        raise UsageError(f"--resume: there is no checkpoint {path}; train without --resume")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # a truncated or foreign file fails in many ways
        raise UsageError(f"checkpoint {path} is unreadable ({type(error).__name__}); delete it, "
                         "or train without --resume") from None  # fmt: skip
    if not isinstance(state, dict) or state.get("program") != PROGRAM:
        raise UsageError(f"{path} is not a checkpoint of {PROGRAM}; delete it")
    saved = state["recipe"]
    changed = [f"{key} {saved.get(key)} (now {value})"
               for key, value in record["recipe"].items() if saved.get(key) != value]  # fmt: skip
    if changed:
        raise UsageError(f"checkpoint {path} belongs to another run: {', '.join(changed)}; "
                         "pass the flags it was made with, or delete it")  # fmt: skip
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    torch.set_rng_state(state["rng"])
    if "cuda_rng" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda_rng"])
    return {key: state[key] for key in record}


# %% [markdown]
# ## Main


# %%
def run(config, data=None):
    """Train (or resume) and evaluate; returns the results, also written to results.json."""
    check_device(config.device)
    train_samples, test_samples, classes, source = data or load_data(config)
    if config.train_images:
        if config.train_images > len(train_samples):
            raise UsageError(f"--train-images {config.train_images}: there are only "
                             f"{len(train_samples)}")  # fmt: skip
        generator = torch.Generator().manual_seed(config.seed)
        chosen = torch.randperm(len(train_samples), generator=generator)
        train_samples = Subset(train_samples, chosen[: config.train_images].tolist())
    if config.batch_size > len(train_samples):
        raise UsageError(f"--batch-size {config.batch_size} is larger than the "
                         f"{len(train_samples)} training images")  # fmt: skip
    try:
        config.out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(f"--out-dir {config.out_dir}: {error.strerror}") from None
    print(f"data: {source}: {len(train_samples):,} training, {len(test_samples):,} test images")
    train_loader, test_loader = make_loaders(train_samples, test_samples, config)
    if config.device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # every batch has the same shape
    torch.manual_seed(config.seed)
    model = Net(config.width, len(classes)).to(config.device, memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(model.parameters(), lr=config.lr, momentum=config.momentum,
                                nesterov=True, weight_decay=config.weight_decay)  # fmt: skip
    # cycle_momentum=False: the momentum stays the one given by --momentum.
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, config.lr, total_steps=config.epochs * len(train_loader), cycle_momentum=False
    )
    recipe = {key: getattr(config, key) for key in RECIPE} | {"classes": classes}
    record = {"program": PROGRAM, "recipe": recipe, "epochs_done": 0, "train_seconds": 0.0,
              "history": []}  # fmt: skip
    checkpoint = config.out_dir / "checkpoint.pt"
    if config.resume:
        record = load_checkpoint(checkpoint, model, optimizer, scheduler, record)
    if config.compile:
        model.compile()
    confusion = None
    for epoch in range(record["epochs_done"], config.epochs):
        train_loader.sampler.epoch = epoch
        epoch_name = f"epoch {epoch + 1:>2}/{config.epochs}"
        start = time.perf_counter()
        batches = tqdm(train_loader, desc=epoch_name, unit="batch")  # on stderr
        train_loss = train(model, batches, optimizer, scheduler, config)
        record["train_seconds"] += time.perf_counter() - start
        test_loss, confusion = evaluate(model, test_loader, len(classes), config.device)
        accuracy = (confusion.trace() / confusion.sum()).item()
        print(f"{epoch_name}: train loss {train_loss:.3f} | test loss {test_loss:.3f} | "
              f"test accuracy {accuracy:.1%}")  # fmt: skip
        record["history"].append({"train_loss": train_loss, "test_loss": test_loss,
                                  "test_accuracy": accuracy})  # fmt: skip
        record["epochs_done"] = epoch + 1
        save_checkpoint(checkpoint, model, optimizer, scheduler, record)
    if confusion is None:  # a finished run, resumed: evaluate its weights
        _, confusion = evaluate(model, test_loader, len(classes), config.device)
    return report(confusion, classes, record, source, config)


def report(confusion, classes, record, source, config):
    """Print per-class accuracy and the confusion matrix; write and return the results."""
    per_class = (confusion.diag() / confusion.sum(1).clamp(min=1)).tolist()
    numbers = "".join(f"{label:>6}" for label in range(len(classes)))
    print(f"{'true class':<18}{'accuracy':>9}   predicted as: {numbers}")
    rows = zip(classes, per_class, confusion.tolist(), strict=True)
    for label, (name, accuracy, counts) in enumerate(rows):
        counts = "".join(f"{count:>6}" for count in counts)
        print(f"{label:>2} {name[:15]:<15}{accuracy:>9.1%}   {'':14}{counts}")
    results = {
        "test_accuracy": (confusion.trace() / confusion.sum()).item(),
        "per_class_accuracy": dict(zip(classes, per_class, strict=True)),
        "confusion_matrix": confusion.tolist(),
        "epochs": record["epochs_done"],
        "train_seconds": record["train_seconds"],
        "history": record["history"],
        "device": device_name(config.device),
        "torch": torch.__version__,
        "data": source,
    }
    (config.out_dir / "results.json").write_text(json.dumps(results, indent=1))
    print(f"test accuracy {results['test_accuracy']:.2%} | {results['train_seconds']:.1f} s "
          f"training, {results['epochs']} epochs | {results['device']} | "
          f"torch {torch.__version__}")  # fmt: skip
    return results


def device_name(device):
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    threads = torch.get_num_threads()
    return f"{device.type} ({threads} thread{'s' * (threads > 1)})"


def check_device(device):
    try:
        torch.empty(1, device=device)
    except (RuntimeError, AssertionError) as error:  # torch raises either, by build
        reason = str(error).strip().splitlines()[0]
        raise UsageError(f"--device {device} cannot be used here ({reason})") from None


def dry_run(config):
    """A few seconds on generated data: check that it learns, and that a resumed run agrees."""
    data = generated_data(train_count=640, test_count=200, seed=config.seed)
    results = run(config, data)
    assert results["test_accuracy"] > 0.6, results["test_accuracy"]  # chance is 0.1
    resumed = run(replace(config, resume=True), data)  # every epoch is done: it only evaluates
    assert resumed["test_accuracy"] == results["test_accuracy"]
    state = torch.load(config.out_dir / "checkpoint.pt", weights_only=True)
    assert state["epochs_done"] == config.epochs and len(state["history"]) == config.epochs
    return results


class ArgumentParser(argparse.ArgumentParser):
    def error(self, message):
        """Report a bad flag in one line (argparse would add the whole usage text)."""
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def positive_int(text):
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


def device_type(text):
    try:
        return torch.device(text)
    except RuntimeError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a device (try cpu or cuda)") from None


def parse_config(argv):
    parser = ArgumentParser(description="Train a small ResNet on CIFAR-10.",
                            formatter_class=argparse.ArgumentDefaultsHelpFormatter)  # fmt: skip
    add = parser.add_argument
    add("--data-dir", type=Path, help="an ImageFolder tree, DIR/{train,test}/<class>/*.jpg, "
        "or torchvision's DIR/cifar-10-batches-py/ (default: CIFAR-10, downloaded into "
        "./data)")  # fmt: skip
    add("--out-dir", type=Path, default=Path("runs/classifier"), help="checkpoint and results")
    add("--epochs", type=positive_int, default=30)
    add("--batch-size", type=positive_int, default=512)
    add("--lr", type=float, default=0.4, help="peak learning rate of the one-cycle schedule")
    add("--momentum", type=float, default=0.9, help="Nesterov momentum")
    add("--weight-decay", type=float, default=5e-4)
    add("--label-smoothing", type=float, default=0.1)
    add("--width", type=positive_int, default=64, help="channels of the first layer")
    add("--seed", type=int, default=0, help="seeds the weights, the order and the augmentation")
    add("--train-images", type=positive_int, help="train on this many random training images")
    add("--workers", type=int, default=min(12, os.cpu_count() or 1), help="loader processes")
    default_device = "cuda" if torch.cuda.is_available() else "cpu"
    add("--device", type=device_type, default=torch.device(default_device))
    add("--compile", action="store_true", help="compile the model with model.compile()")
    add("--resume", action="store_true", help="continue from the checkpoint's last epoch")
    add("--dry-run", action="store_true", help="a few seconds on generated data, on the CPU")
    args = vars(parser.parse_args(argv))
    if args["dry_run"]:
        # The learning rate scaled with the batch: 0.4 * 64 / 512.
        args |= dict(epochs=4, batch_size=64, lr=0.05, width=8, workers=0, train_images=None,
                     device=torch.device("cpu"), compile=False, resume=False)  # fmt: skip
    return Config(**args)


def main(argv=None):
    config = parse_config(argv)
    try:
        if config.dry_run:
            with tempfile.TemporaryDirectory() as folder:
                return dry_run(replace(config, out_dir=Path(folder)))
        return run(config)
    except UsageError as error:
        sys.exit(f"{PROGRAM}: error: {error}")  # one line on stderr, exit status 1


# %%
if __name__ == "__main__":
    # A notebook kernel's command line is not this program's: there, $TRAIN_CLASSIFIER_FLAGS.
    main(shlex.split(os.environ.get("TRAIN_CLASSIFIER_FLAGS", "")) if IN_NOTEBOOK else None)
