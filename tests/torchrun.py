"""Start a program of snippets/ under torchrun with CPU ranks, as the distributed tests do."""

import os
import subprocess
import sys
from contextlib import contextmanager


@contextmanager
def torchrun(script, flags, tmp_path, ranks=2):
    """The running `torchrun script flags` (gloo on the CPU); killed when the block is left.

    The test does its own single-process work while the ranks start, then reads their output
    with `process.communicate(timeout=...)`.
    """
    # --log-dir: torchrun's own (empty) folders go under tmp_path, not into /tmp
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone",
               f"--nproc_per_node={ranks}", "--log-dir", str(tmp_path / "logs"),
               str(script), *flags]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}  # torchrun warns when it has to set it
    process = subprocess.Popen(command, env=env, text=True, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)  # fmt: skip
    try:
        yield process
    finally:
        process.kill()  # a no-op once it has ended
