# %% [markdown]
# # Train an image classifier
#
# The training loop to copy: a small ResNet on CIFAR-10, each idiom linked to the page that
# explains it. As a <a href="snippets/train_classifier.py" download>script</a> (`--help` lists
# its flags) or a <a href="classifier.ipynb" download>notebook</a>; it needs `torchvision` and
# `tqdm`.
#
# > **The outputs below are from a CPU run on 5,000 images; the GPU run is pending.** One CPU
# > thread, `--train-images 5000 --epochs 2 --width 32 --batch-size 128 --lr 0.1 --device cpu`
# > on CIFAR-10 re-encoded as JPEG at quality 75: what the program prints, not the accuracy it
# > reaches. The defaults are meant to reach 91% on that copy in 5 minutes on one H100 or H200.

# %%
"""Train a small ResNet on CIFAR-10: `python train_classifier.py [--data-dir DIR] [--resume]`
(without DIR it downloads CIFAR-10, 170 MB, into ./data), or `... --dry-run`.

Measured on one CPU thread: --dry-run (640 generated images, width 8, 4 epochs) reaches 92%
(chance 10%) after 2.2 s of training, the same on torch 2.9 and 2.15; the page's flags (5,000
images of the JPEG q75 copy, 2 epochs) 49.47% of CIFAR-10's 10,000 test images after 75 s of
training on torch 2.14, 100 s on 2.15.
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

PROGRAM = "train_classifier.py"
# The flags a checkpoint must share with the run that resumes it.
RECIPE = "epochs batch_size lr momentum weight_decay label_smoothing width seed train_images"
MEAN, STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)  # CIFAR-10's, per channel


@dataclass(frozen=True)
class Config:
    data_dir: Path | None  # None: torchvision's download into ./data
    out_dir: Path  # checkpoint.pt and results.json
    epochs: int
    batch_size: int
    lr: float  # the peak of the one-cycle schedule
    momentum: float
    weight_decay: float
    label_smoothing: float
    width: int  # channels of the first layer; the deepest has 8 times as many
    seed: int
    train_images: int | None  # at most this many random training images; None: all
    workers: int
    device: torch.device
    compile: bool
    resume: bool
    dry_run: bool


class UsageError(Exception):
    """Bad input: main reports it in one line and exits non-zero."""


# %% [markdown]
# ## Data
#
# The [training and test
# pipelines](../../training/transforms/#build-the-training-and-test-pipelines) run in [worker
# processes](../../training/data/#load-in-worker-processes), into [pinned
# memory](../../training/data/#pin-memory-for-faster-copies-to-the-gpu). Each sample's
# augmentation seed comes from the run's seed and the epoch alone, drawn [without disturbing
# the caller's
# stream](../../training/reproducibility/#draw-random-numbers-without-disturbing-the-outer-stream):
# a resumed run sees the batches an unbroken one saw.


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
    root = config.data_dir or Path("data")
    if config.data_dir is None or (root / "cifar-10-batches-py").is_dir():
        download = config.data_dir is None
        try:
            train, test = (datasets.CIFAR10(root, train, download=download) for train in (1, 0))
        except (OSError, RuntimeError) as error:  # no network, or damaged files
            action = f"download CIFAR-10 into {root}/" if download else f"read {root}/"
            raise UsageError(f"could not {action} ({error}); pass --data-dir DIR") from None
        return train, test, train.classes, f"CIFAR-10 in {root}/ (torchvision)"
    splits = []
    for split in ("train", "test"):
        try:
            splits.append(datasets.ImageFolder(root / split))
            path = splits[-1].samples[0][0]  # one image: reading them all would take minutes
        except OSError as error:  # a folder missing, or without images
            expected = f"expected {split}/<class>/*.jpg"
            raise UsageError(f"--data-dir {root}: {error} ({expected})") from None
        try:
            width, height = splits[-1].loader(path).size
        except OSError:
            raise UsageError(f"{path} is not a readable image") from None
        if (width, height) != (32, 32):
            raise UsageError(f"{path} is {width}x{height} pixels, not 32x32")
    if splits[0].classes != splits[1].classes:
        raise UsageError(f"--data-dir {root}: train/ and test/ have other classes")
    return *splits, splits[0].classes, f"{root} (ImageFolder)"


def make_loaders(train_samples, test_samples, config):
    to_input = [v2.ToImage(), v2.ToDtype(torch.float32, scale=True), v2.Normalize(MEAN, STD)]
    augment = [v2.RandomCrop(32, padding=4, padding_mode="reflect"), v2.RandomHorizontalFlip()]
    options = dict(batch_size=config.batch_size, num_workers=config.workers,
                   pin_memory=config.device.type == "cuda",  # else it warns and pins nothing
                   persistent_workers=config.workers > 0)  # fmt: skip
    train_set = Transformed(train_samples, v2.Compose(augment + to_input))
    sampler = EpochSampler(len(train_samples), config.seed)
    # drop_last: every step has the same shape, and no batch norm meets a batch of one.
    train = DataLoader(train_set, sampler=sampler, drop_last=True, **options)
    in_order = [(index, 0) for index in range(len(test_samples))]  # the seed is not used
    test = DataLoader(Transformed(test_samples, v2.Compose(to_input)), sampler=in_order, **options)
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
        return list(zip(((3 * colours[labels] + noise) // 4).byte(), labels.tolist(), strict=True))

    return draw(train_count), draw(test_count), [f"class {i}" for i in range(10)], "generated"


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
    conv = nn.Conv2d(channels_in, channels_out, 3, padding=1, bias=False)
    return nn.Sequential(conv, nn.BatchNorm2d(channels_out), nn.ReLU(inplace=True))


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
        # Max-pooled features are large: unscaled, so are the first logits, and the loss
        # diverged in the first epoch at these learning rates.
        return self.layers(images) * 0.125


# %% [markdown]
# ## Train and evaluate
#
# - [SGD with Nesterov momentum](../../training/optimizers/#use-nesterov-momentum) and a
#   [one-cycle schedule](../../training/optimizers/#run-a-one-cycle-schedule), stepped
#   [after the optimizer](../../training/optimizers/#step-the-scheduler-after-the-optimizer);
#   [label smoothing](../../training/losses/#soften-one-hot-targets-with-label-smoothing)
# - on a GPU, [bfloat16
#   autocast](../../training/mixed-precision/#train-with-bfloat16-autocast-on-the-cpu) and
#   [cuDNN's benchmark](../../basics/devices/#let-cudnn-benchmark-convolutions)
# - [train() and
#   eval()](../../models/train-eval/#switch-a-model-between-training-and-evaluation-mode); a
#   [confusion matrix](../../training/metrics/#build-a-confusion-matrix), its counts
#   [kept on the device](../../training/metrics/#keep-the-counts-on-the-gpu-until-the-end)


# %%
def predict(model, images, labels, device):
    """The float32 logits of a batch, and its labels, on the device."""
    # channels_last: the layout the GPU's convolution kernels are fastest in.
    images = images.to(device, non_blocking=True, memory_format=torch.channels_last)
    # bfloat16 keeps float32's range, so no GradScaler; on a CPU it would be slower.
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
        return model(images).float(), labels.to(device, non_blocking=True)


def train(model, batches, optimizer, scheduler, config):
    """One epoch over `batches`; returns the mean training loss."""
    model.train()
    loss_sum = torch.zeros((), device=config.device)
    for images, labels in batches:
        logits, labels = predict(model, images, labels, config.device)
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
        logits, labels = predict(model, images, labels, device)
        loss_sum += F.cross_entropy(logits, labels, reduction="sum")
        pairs += torch.bincount(labels * num_classes + logits.argmax(1), minlength=len(pairs))
    confusion = pairs.view(num_classes, num_classes).cpu()
    return loss_sum.item() / confusion.sum().item(), confusion


# %% [markdown]
# ## Checkpoints
#
# All the state that [resumes training
# exactly](../../training/saving/#save-a-checkpoint-that-resumes-training-exactly),
# [written atomically](../../training/saving/#write-a-checkpoint-atomically) and
# [loaded with weights_only=True](../../training/saving/#load-with-weights_onlytrue).
# `model.compile()` [keeps the state_dict
# keys](../../performance/compile/#compile-a-model-with-modelcompile-or-torchcompilemodel), so
# the file loads into a plain `Net`.


# %%
def save_checkpoint(path, parts, record):
    """Write the state of `parts` (model, optimizer, scheduler), the RNGs' and `record`."""
    state = {name: part.state_dict() for name, part in parts.items()} | record
    state |= {"rng": torch.get_rng_state(), "cuda_rng": torch.cuda.get_rng_state_all()}
    partial = path.with_name(path.name + ".partial")
    with open(partial, "wb") as file:
        torch.save(state, file)
        file.flush()
        os.fsync(file.fileno())
    os.replace(partial, path)  # killed at any moment, path holds the old checkpoint or the new


def load_checkpoint(path, parts, record):
    """Restore the states that save_checkpoint wrote; returns the record of the epochs done."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise UsageError(f"--resume: there is no checkpoint {path}") from None
    except Exception as error:  # a truncated or foreign file fails in many ways
        raise UsageError(f"{path} is unreadable ({type(error).__name__}); delete it") from None
    if not isinstance(state, dict) or state.get("program") != PROGRAM:
        raise UsageError(f"{path} is not a checkpoint of {PROGRAM}; delete it")
    saved = state["recipe"]
    changed = [f"{key} {saved.get(key)} (now {value})"
               for key, value in record["recipe"].items() if saved.get(key) != value]  # fmt: skip
    if changed:
        raise UsageError(f"{path} belongs to another run: {', '.join(changed)}; pass its flags")
    for name, part in parts.items():
        part.load_state_dict(state[name])
    torch.set_rng_state(state["rng"])
    torch.cuda.set_rng_state_all(state["cuda_rng"])  # a list, empty without CUDA
    return {key: state[key] for key in record}


# %% [markdown]
# ## Main


# %%
def run(config, data=None):
    """Train (or resume) and evaluate; returns the results, also written to results.json."""
    train_samples, test_samples, classes, source = data or load_data(config)
    if config.train_images:  # a random subset, drawn from the seed alone; at most all images
        generator = torch.Generator().manual_seed(config.seed)
        chosen = torch.randperm(len(train_samples), generator=generator)[: config.train_images]
        train_samples = Subset(train_samples, chosen.tolist())
    if config.batch_size > len(train_samples):
        raise UsageError(f"--batch-size {config.batch_size} is larger than the "
                         f"{len(train_samples)} training images")  # fmt: skip
    config.out_dir.mkdir(parents=True, exist_ok=True)
    print(f"data: {source}: {len(train_samples):,} training, {len(test_samples):,} test images")
    train_loader, test_loader = make_loaders(train_samples, test_samples, config)
    torch.backends.cudnn.benchmark = True  # every batch has the same shape
    torch.manual_seed(config.seed)
    model = Net(config.width, len(classes)).to(config.device, memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(model.parameters(), lr=config.lr, momentum=config.momentum,
                                nesterov=True, weight_decay=config.weight_decay)  # fmt: skip
    # cycle_momentum=False: the momentum stays the one given by --momentum.
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, config.lr, total_steps=config.epochs * len(train_loader), cycle_momentum=False
    )
    recipe = {key: getattr(config, key) for key in RECIPE.split()} | {"classes": classes}
    record = dict(program=PROGRAM, recipe=recipe, epochs_done=0, train_seconds=0.0, history=[])
    parts = dict(model=model, optimizer=optimizer, scheduler=scheduler)
    checkpoint = config.out_dir / "checkpoint.pt"
    if config.resume:
        record = load_checkpoint(checkpoint, parts, record)
    if config.compile:
        model.compile()
    confusion = None
    for epoch in range(record["epochs_done"], config.epochs):
        train_loader.sampler.epoch = epoch
        name = f"epoch {epoch + 1:>2}/{config.epochs}"
        start = time.perf_counter()
        batches = tqdm(train_loader, desc=name, unit="batch")  # on stderr
        train_loss = train(model, batches, optimizer, scheduler, config)
        record["train_seconds"] += time.perf_counter() - start
        test_loss, confusion = evaluate(model, test_loader, len(classes), config.device)
        accuracy = (confusion.trace() / confusion.sum()).item()
        print(f"{name}: train loss {train_loss:.3f} | test loss {test_loss:.3f} | "
              f"test accuracy {accuracy:.1%}")  # fmt: skip
        record["history"].append(dict(train_loss=train_loss, test_loss=test_loss,
                                      test_accuracy=accuracy))  # fmt: skip
        record["epochs_done"] = epoch + 1
        save_checkpoint(checkpoint, parts, record)
    if confusion is None:  # a finished run, resumed: evaluate its weights
        _, confusion = evaluate(model, test_loader, len(classes), config.device)
    return report(confusion, classes, record, source, config)


def report(confusion, classes, record, source, config):
    """Print per-class accuracy and the confusion matrix; write and return the results."""
    per_class = (confusion.diag() / confusion.sum(1).clamp(min=1)).tolist()
    accuracy = (confusion.trace() / confusion.sum()).item()

    def cells(values):
        return "".join(f"{value:>6}" for value in values)

    print(f"{'true class':<18}{'accuracy':>9}   predicted as:" + cells(range(len(classes))))
    rows = zip(classes, per_class, confusion.tolist(), strict=True)
    for label, (name, class_accuracy, counts) in enumerate(rows):
        print(f"{label:>2} {name[:15]:<15}{class_accuracy:>9.1%}{'':16}" + cells(counts))
    threads = torch.get_num_threads()
    cpu = f"{config.device.type} ({threads} thread{'s' * (threads > 1)})"
    device = torch.cuda.get_device_name(config.device) if config.device.type == "cuda" else cpu
    print(f"test accuracy {accuracy:.2%} | {record['train_seconds']:.1f} s training, "
          f"{record['epochs_done']} epochs | {device} | torch {torch.__version__}")  # fmt: skip
    results = dict(test_accuracy=accuracy, confusion_matrix=confusion.tolist(),
                   per_class_accuracy=dict(zip(classes, per_class, strict=True)),
                   epochs=record["epochs_done"], train_seconds=record["train_seconds"],
                   history=record["history"], device=device, torch=torch.__version__,
                   data=source)  # fmt: skip
    (config.out_dir / "results.json").write_text(json.dumps(results, indent=1))
    return results


def dry_run(config):
    """A few seconds on generated data: check that it learns, and that a resumed run agrees."""
    data = generated_data(train_count=640, test_count=200, seed=config.seed)
    results = run(config, data)
    assert results["test_accuracy"] > 0.6, results["test_accuracy"]  # chance is 0.1
    resumed = run(replace(config, resume=True), data)  # every epoch is done: it only evaluates
    assert resumed["confusion_matrix"] == results["confusion_matrix"]
    assert resumed["history"] == results["history"] and len(results["history"]) == config.epochs
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
    add("--data-dir", type=Path, help="ImageFolder tree or torchvision's CIFAR-10 folder; None: "
        "download CIFAR-10 into ./data")  # fmt: skip
    add("--out-dir", type=Path, default=Path("runs/classifier"), help="checkpoint and results")
    add("--epochs", type=positive_int, default=30, help="passes over the training images")
    add("--batch-size", type=positive_int, default=512, help="images per step")
    add("--lr", type=float, default=0.4, help="peak learning rate of the one-cycle schedule")
    add("--momentum", type=float, default=0.9, help="Nesterov momentum")
    add("--weight-decay", type=float, default=5e-4, help="SGD's L2 penalty")
    add("--label-smoothing", type=float, default=0.1, help="the uniform target's weight")
    add("--width", type=positive_int, default=64, help="channels of the first layer")
    add("--seed", type=int, default=0, help="seeds the weights, the order and the augmentation")
    add("--train-images", type=positive_int, help="train on at most this many random images")
    add("--workers", type=int, default=min(12, os.cpu_count() or 1), help="loader processes")
    default_device = "cuda" if torch.cuda.is_available() else "cpu"
    add("--device", type=device_type, default=default_device, help="cpu, cuda, cuda:1, ...")
    add("--compile", action="store_true", help="compile the model with model.compile()")
    add("--resume", action="store_true", help="continue from the checkpoint's last epoch")
    add("--dry-run", action="store_true", help="a few seconds on generated data, on the CPU")
    args = vars(parser.parse_args(argv))
    if args["dry_run"]:  # the learning rate scaled with the batch: 0.4 * 64 / 512
        args |= dict(epochs=4, batch_size=64, lr=0.05, width=8, workers=0, train_images=None,
                     device=torch.device("cpu"), compile=False, resume=False)  # fmt: skip
    try:  # torch.device("cuda") is made even where there is none: use it once
        torch.empty(1, device=args["device"])
    except (RuntimeError, AssertionError) as error:  # torch raises either, by build
        reason = str(error).strip().splitlines()[0]
        parser.error(f"--device {args['device']} cannot be used here ({reason})")
    return Config(**args)


def main(argv=None):
    config = parse_config(argv)
    try:
        if not config.dry_run:
            return run(config)
        with tempfile.TemporaryDirectory() as folder:
            return dry_run(replace(config, out_dir=Path(folder)))
    except (UsageError, OSError) as error:  # OSError: a folder or file this user cannot write
        sys.exit(f"{PROGRAM}: error: {error}")  # one line on stderr, exit status 1


# %%
if __name__ == "__main__":
    # A notebook kernel's command line is not this program's: there, $TRAIN_CLASSIFIER_FLAGS.
    in_notebook = "ipykernel" in sys.modules
    main(shlex.split(os.environ.get("TRAIN_CLASSIFIER_FLAGS", "")) if in_notebook else None)
