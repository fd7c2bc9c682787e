"""Race snippets/cifar10.py against airbench94 on one GPU, on the same CIFAR-10 images.

Both trainers get the same images (read once by snippets/cifar10.py, from either layout) and
the same GPU, in alternating runs. Time is what each needs to produce its trained weights,
measured with CUDA events after an untimed warm-up run (compilation, cuDNN's algorithm search);
evaluation is not timed. For snippets/cifar10.py that is its own training time (whitening and
epochs); for airbench94, all of train94(), which also builds the model and loads the test set.
The table gives mean and spread of test accuracy and time, and the ratio of the times.

airbench is not a dependency of this project; install it into the environment that runs this:

    uv pip install --python .nox/cifar10/bin/python airbench    # after `nox -s cifar10`, or
    python -m pip install airbench

then, for example on the JPEG copy of CIFAR-10 extracted to /tmp/cifar10-jpeg:

    .nox/cifar10/bin/python benchmarks/cifar10_vs_airbench.py --data-dir /tmp/cifar10-jpeg

Figures measured on that copy are "CIFAR-10 (JPEG q75 copy)" figures: say so where they go.
"""

import argparse
import importlib.util
import os
import statistics
import sys
import tempfile
from pathlib import Path

import torch

PROGRAM = Path(__file__).parent.parent / "snippets" / "cifar10.py"


def load_program():
    spec = importlib.util.spec_from_file_location("cifar10", PROGRAM)
    program = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(program)
    return program


def import_airbench(data, folder):
    """airbench, importing it where it will find our images (it loads ./cifar10 on import).

    airbench reads cifar10/train.pt and cifar10/test.pt under the working directory, each a
    dict of uint8 images (N, 32, 32, 3), int64 labels and class names, and downloads CIFAR-10
    there if they are missing; writing them first makes it train on exactly our images.
    """
    (folder / "cifar10").mkdir()
    for split in ("train", "test"):
        images = getattr(data, f"{split}_images").permute(0, 2, 3, 1).contiguous()
        labels = getattr(data, f"{split}_labels")
        saved = {"images": images, "labels": labels, "classes": list(data.classes)}
        torch.save(saved, folder / "cifar10" / f"{split}.pt")
    os.chdir(folder)
    import airbench  # optional, and only importable once its data is in place

    return airbench


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
    args = program.parse_args(["--seed", str(seed), "--out-dir", str(out_dir), "--device", "cuda"])
    results = program.run(args, data)
    return results["test_accuracy"], results["train_seconds"]


def run_airbench(airbench, seed):
    torch.manual_seed(seed)
    augmentation = {"flip": True, "translate": 2}
    train_loader = airbench.CifarLoader("cifar10", train=True, batch_size=1024,
                                        aug=augmentation, altflip=True)  # fmt: skip
    test_loader = airbench.CifarLoader("cifar10", train=False, batch_size=2000)
    model, seconds = time_on_gpu(lambda: airbench.train94(train_loader, verbose=False))
    return airbench.evaluate(model, test_loader, tta_level=2), seconds


def summarize(name, runs):
    accuracies, seconds = zip(*runs, strict=True)
    spread = statistics.stdev(accuracies) if len(runs) > 1 else 0.0
    print(f"| {name:<22} | {statistics.mean(accuracies):.2%} +- {spread:.2%} "
          f"| {statistics.mean(seconds):6.2f} s | {len(runs)} |")  # fmt: skip
    return statistics.mean(accuracies), statistics.mean(seconds)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="as snippets/cifar10.py's --data-dir")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each (default 5)")
    args = parser.parse_args(argv)
    if importlib.util.find_spec("airbench") is None:
        sys.exit("airbench is not installed: `python -m pip install airbench` (see --help)")
    if not torch.cuda.is_available():
        sys.exit("this benchmark needs a CUDA GPU")
    program = load_program()
    data = program.load_data(args.data_dir)  # on the CPU: each run copies it to the GPU
    with tempfile.TemporaryDirectory() as folder:
        airbench = import_airbench(data, Path(folder))
        run_ours(program, data, seed=0, out_dir=Path(folder) / "warm-up")  # untimed warm-up
        run_airbench(airbench, seed=0)
        ours, theirs = [], []
        for seed in range(1, args.runs + 1):
            ours.append(run_ours(program, data, seed, Path(folder) / f"run{seed}"))
            theirs.append(run_airbench(airbench, seed))
    print(f"\n{torch.cuda.get_device_name()}, torch {torch.__version__}, data: {data.source}\n")
    print("| trainer                | test accuracy    | time     | runs |")
    print("| ---------------------- | ---------------- | -------- | ---- |")
    our_accuracy, our_seconds = summarize("snippets/cifar10.py", ours)
    their_accuracy, their_seconds = summarize("airbench94 (airbench)", theirs)
    print(f"\ntime ratio (ours / airbench94): {our_seconds / their_seconds:.2f}; "
          f"accuracy difference: {100 * (our_accuracy - their_accuracy):+.2f} points")  # fmt: skip


if __name__ == "__main__":
    main()
