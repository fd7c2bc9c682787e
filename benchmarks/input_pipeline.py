"""Time DataLoader settings on a synthetic dataset; print batches per second as a Markdown table.

docs/performance/profiling.md ("Configure the DataLoader to keep up") links here. Each
configuration loads the same dataset for a few epochs, moving every batch to the accelerator when
there is one, and its rate counts everything a training loop would wait for: starting the
workers, fetching and collating, pinning and copying. Each sample costs some computation (a
stand-in for decoding an image) and, with `--io-ms`, a pause (a stand-in for reading a file),
during which other workers can go on. The `pin_memory` rows appear only where an accelerator is
found: without one the DataLoader warns and pins nothing.

The figures belong to the machine that printed them: on a busy 2-core machine two configurations
that differ by less than a factor of about 1.5 can swap places between runs, so the page states
none of them.

    python benchmarks/input_pipeline.py            # the full run
    python benchmarks/input_pipeline.py --quick    # a few seconds, to see that it works
"""

import argparse
import os
import platform
import time

import torch
from torch.utils.data import DataLoader, Dataset


class SyntheticImages(Dataset):
    """`size` images of 3 x side x side and their labels, made and "decoded" on every access.

    Defined at module level, so that workers started with spawn or forkserver can import it.
    """

    def __init__(self, size, side, io_ms):
        self.size, self.side, self.io_seconds = size, side, io_ms / 1000

    def __len__(self):
        return self.size

    def __getitem__(self, index):
        if self.io_seconds:
            time.sleep(self.io_seconds)  # waiting for storage, which leaves the CPU free
        generator = torch.Generator().manual_seed(index)
        image = torch.randint(0, 256, (3, self.side, self.side), generator=generator)
        image = image.float().div(255)  # the work a decoder and its transforms would do
        image = (image - image.mean(dim=(1, 2), keepdim=True)) / 0.25
        return image.flip(-1) if index % 2 else image, index % 10


def configurations(workers, accelerator):
    """(name, DataLoader keyword arguments) for every configuration to time."""
    rows = [("num_workers=0", {"num_workers": 0})]
    for count in sorted({1, workers}):
        rows.append((f"num_workers={count}", {"num_workers": count}))
    rows += [
        (
            f"num_workers={workers}, persistent_workers=True",
            {"num_workers": workers, "persistent_workers": True},
        ),
        (
            f"num_workers={workers}, prefetch_factor=4",
            {"num_workers": workers, "prefetch_factor": 4},
        ),
    ]
    if accelerator:
        rows += [
            ("num_workers=0, pin_memory=True", {"num_workers": 0, "pin_memory": True}),
            (
                f"num_workers={workers}, persistent_workers=True, pin_memory=True",
                {"num_workers": workers, "persistent_workers": True, "pin_memory": True},
            ),
        ]
    return rows


def batches_per_second(dataset, batch_size, epochs, device, options):
    """Load `epochs` epochs with one configuration; the rate includes starting the workers."""
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, **options)
    non_blocking = options.get("pin_memory", False)
    start = time.perf_counter()
    batches = 0
    for _ in range(epochs):
        for images, labels in loader:
            images = images.to(device, non_blocking=non_blocking)
            labels = labels.to(device, non_blocking=non_blocking)
            batches += 1
    if device.type != "cpu":
        torch.accelerator.synchronize()  # the last copies have arrived
    seconds = time.perf_counter() - start
    del loader  # ends persistent workers before the next configuration starts its own
    return batches / seconds, seconds


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="256 samples and 2 epochs")
    parser.add_argument("--samples", type=int, default=4096, help="dataset size")
    parser.add_argument("--side", type=int, default=64, help="image height and width")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--io-ms", type=float, default=1.0, help="pause per sample, in ms")
    parser.add_argument(
        "--workers", type=int, default=min(4, os.cpu_count() or 1), help="the most workers"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.samples, args.epochs = 256, 2

    torch.manual_seed(0)
    device = torch.accelerator.current_accelerator(check_available=True) or torch.device("cpu")
    dataset = SyntheticImages(args.samples, args.side, args.io_ms)
    workers = max(args.workers, 1)

    print(
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"torch {torch.__version__}, batches copied to {device}; "
        f"{args.samples} samples of 3 x {args.side} x {args.side}, batch {args.batch_size}, "
        f"{args.epochs} epochs, {args.io_ms:g} ms pause per sample\n"
    )
    print("| configuration | batches/s | seconds |")
    print("| --- | ---: | ---: |")
    for name, options in configurations(workers, accelerator=device.type != "cpu"):
        rate, seconds = batches_per_second(dataset, args.batch_size, args.epochs, device, options)
        print(f"| `{name}` | {rate:.1f} | {seconds:.2f} |")
    if device.type == "cpu":
        print("\nNo accelerator: the pin_memory configurations are left out.")


if __name__ == "__main__":
    main()
