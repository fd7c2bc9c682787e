"""Race snippets/cifar10.py against airbench94 and airbench94_muon on one GPU, on the same images.

The three trainers get the same images (read once by snippets/cifar10.py, from either layout)
and the same GPU, in alternating runs after an untimed warm-up run of each (compilation, cuDNN's
algorithm search). Time is what each needs to produce its trained weights, measured on the GPU
with CUDA events; evaluation is not timed:

- snippets/cifar10.py: its own training time (whitening and epochs);
- airbench94 (PyPI's airbench): all of train94(), which also builds the model and loads the
  test set;
- airbench94_muon, the current record (Keller Jordan's cifar10-airbench repository): its own
  timer's figure at its last epoch (whitening and epochs; the figure it prints after that also
  counts its test-time-augmented evaluation). It runs unchanged from its file, imported as a
  module; its model is compiled once and reused by every run, as its own __main__ does.

The table gives mean and spread of test accuracy and time, and the ratio of our time to each.

Neither airbench is a dependency of this project. Install PyPI's into the environment that runs
this, and have airbench94_muon.py where --muon says (by default ../shared/peers/airbench/):

    uv pip install --python .nox/cifar10/bin/python airbench    # after `nox -s cifar10`, or
    python -m pip install airbench

then, for example on the JPEG copy of CIFAR-10 extracted to /tmp/cifar10-jpeg:

    .nox/cifar10/bin/python benchmarks/cifar10_vs_airbench.py --data-dir /tmp/cifar10-jpeg

Figures measured on that copy are "CIFAR-10 (JPEG q75 copy)" figures: say so where they go.
"""

import argparse
import contextlib
import importlib.util
import io
import os
import statistics
import sys
import tempfile
import warnings
from pathlib import Path

import torch

ROOT = Path(__file__).parent.parent
PROGRAM = ROOT / "snippets" / "cifar10.py"
MUON = ROOT.parent / "shared" / "peers" / "airbench" / "airbench94_muon.py"


def load_module(name, path):
    """The Python file at path, imported as a module called name."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_airbench_data(data, folder):
    """Write data where both airbench trainers read it: folder/cifar10/{train,test}.pt.

    Each file is a dict of uint8 images (N, 32, 32, 3), int64 labels (N,) and the class names;
    where the files are missing, the trainers download CIFAR-10 in their place. Run from folder,
    they train and test on exactly these images.
    """
    (folder / "cifar10").mkdir()
    for split in ("train", "test"):
        images = getattr(data, f"{split}_images").permute(0, 2, 3, 1).contiguous()
        labels = getattr(data, f"{split}_labels")
        saved = {"images": images, "labels": labels, "classes": list(data.classes)}
        torch.save(saved, folder / "cifar10" / f"{split}.pt")


def time_on_gpu(train):
    """Run train() and return its result and the seconds of GPU work it queued."""
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    torch.cuda.synchronize()
    start.record()
    result = train()
    end.record()
    end.synchronize()
    return result, start.elapsed_time(end) / 1000


def run_ours(program, data, seed, out_dir):
    """One full run of the program's default recipe; its own CUDA-event timing of training."""
    flags = program.parse_args(["--seed", str(seed), "--out-dir", str(out_dir), "--device", "cuda"])
    results = program.run(program.configure(flags), data)
    return results["test_accuracy"], results["train_seconds"]


def run_airbench(airbench, seed):
    torch.manual_seed(seed)
    augmentation = {"flip": True, "translate": 2}
    train_loader = airbench.CifarLoader("cifar10", train=True, batch_size=1024,
                                        aug=augmentation, altflip=True)  # fmt: skip
    test_loader = airbench.CifarLoader("cifar10", train=False, batch_size=2000)
    model, seconds = time_on_gpu(lambda: airbench.train94(train_loader, verbose=False))
    return airbench.evaluate(model, test_loader, tta_level=2), seconds


def run_muon(muon, model, seed):
    """One run of airbench94_muon's main(): its test accuracy (with its test-time augmentation)
    and its training time, read from the table it prints."""
    torch.manual_seed(seed)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        accuracy = muon.main(seed, model)
    columns = [name.strip() for name in muon.logging_columns_list]
    return accuracy, muon_training_seconds(printed.getvalue(), columns)


def muon_training_seconds(printed, columns):
    """time_seconds on the last epoch's row of airbench94_muon's table (named by `columns`).

    Each epoch's row gives the time so far; the final row, whose epoch is "eval", adds the
    test-time-augmented evaluation, which the other trainers' times leave out.
    """
    rows = [line for line in printed.splitlines() if line.startswith("|")]
    cells = [dict(zip(columns, row.strip("|").split("|"), strict=True)) for row in rows]
    epochs = [row for row in cells if row["epoch"].strip().isdigit()]
    if not epochs:
        raise ValueError(f"no epoch rows in airbench94_muon's output:\n{printed}")
    return float(epochs[-1]["time_seconds"])


def summarize(name, runs):
    accuracies, seconds = zip(*runs, strict=True)
    spread = statistics.stdev(accuracies) if len(runs) > 1 else 0.0
    print(f"| {name:<22} | {statistics.mean(accuracies):.2%} +- {spread:.2%} "
          f"| {statistics.mean(seconds):6.2f} s | {len(runs)} |")  # fmt: skip
    return statistics.mean(accuracies), statistics.mean(seconds)


def positive_int(text):
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="as snippets/cifar10.py's --data-dir")
    parser.add_argument("--runs", type=positive_int, default=5, help="timed runs of each "
                        "(default 5)")  # fmt: skip
    parser.add_argument("--muon", type=Path, default=MUON, help="airbench94_muon.py, run "
                        f"unchanged (default {MUON})")  # fmt: skip
    args = parser.parse_args(argv)
    if not args.muon.is_file():
        sys.exit(f"airbench94_muon.py is not at {args.muon}: get it from "
                 "github.com/KellerJordan/cifar10-airbench and pass --muon PATH")  # fmt: skip
    if importlib.util.find_spec("airbench") is None:
        sys.exit("airbench is not installed: `python -m pip install airbench` (see --help)")
    if not torch.cuda.is_available():
        sys.exit("this benchmark needs a CUDA GPU")
    program = load_module("cifar10", PROGRAM)
    # It reads its own file, sys.argv[0], on import: import it before leaving the start folder.
    with warnings.catch_warnings():  # a "\s" in one of its docstrings warns, harmlessly
        warnings.filterwarnings("ignore", message="invalid escape sequence")
        muon = load_module("airbench94_muon", args.muon.resolve())
    data = program.load_data(args.data_dir, rank=0, world_size=1)  # each run copies it to the GPU
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        write_airbench_data(data, folder)
        os.chdir(folder)  # both airbench trainers read ./cifar10
        import airbench  # optional, and only importable once its data is in place

        muon_model = muon.CifarNet().cuda().to(memory_format=torch.channels_last)
        muon_model.compile(mode="max-autotune")
        # Untimed warm-up runs; airbench94_muon's own warm-up trains on random labels.
        run_ours(program, data, seed=0, out_dir=folder / "warm-up")
        run_airbench(airbench, seed=0)
        with contextlib.redirect_stdout(io.StringIO()):
            muon.main("warmup", muon_model)
        ours, airbench94, airbench94_muon = [], [], []
        for seed in range(1, args.runs + 1):
            ours.append(run_ours(program, data, seed, folder / f"run{seed}"))
            airbench94.append(run_airbench(airbench, seed))
            airbench94_muon.append(run_muon(muon, muon_model, seed))
    print(f"\n{torch.cuda.get_device_name()}, torch {torch.__version__}, data: {data.source}\n")
    print("| trainer                | test accuracy    | time     | runs |")
    print("| ---------------------- | ---------------- | -------- | ---- |")
    our_accuracy, our_seconds = summarize("snippets/cifar10.py", ours)
    theirs = {"airbench94": summarize("airbench94 (airbench)", airbench94),
              "airbench94_muon": summarize("airbench94_muon", airbench94_muon)}  # fmt: skip
    print()
    for name, (accuracy, seconds) in theirs.items():
        print(f"time ratio (ours / {name}): {our_seconds / seconds:.2f}; accuracy difference: "
              f"{100 * (our_accuracy - accuracy):+.2f} points")  # fmt: skip


if __name__ == "__main__":
    main()
