"""snippets/ddp_step.py under torchrun: two CPU ranks (gloo) end with the same parameters, and
those are the parameters of one process trained on the whole global batches."""

import os
import subprocess
import sys
from pathlib import Path

import ddp_step
import torch
from torch import nn

SCRIPT = Path(__file__).parent.parent / "snippets" / "ddp_step.py"
EPOCHS = 2


def test_two_ranks_agree_with_each_other_and_with_one_process(tmp_path):
    # --log-dir: torchrun's own (empty) folders go under tmp_path, not into /tmp
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone",
                "--nproc_per_node=2", "--log-dir", str(tmp_path / "logs")]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}  # torchrun warns when it has to set it
    flags = ["--epochs", str(EPOCHS), "--out-dir", str(tmp_path)]
    process = subprocess.Popen([*torchrun, str(SCRIPT), *flags], env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    try:
        # While the ranks start: one process trains on each step's whole global batch.
        reference = nn.utils.parameters_to_vector(ddp_step.train_single(EPOCHS, 2).parameters())
        initial = nn.utils.parameters_to_vector(ddp_step.make_model().parameters())
        stdout, stderr = process.communicate(timeout=300)
    finally:
        process.kill()  # a no-op once it has ended
    assert process.returncode == 0, stderr
    assert "2 ranks agree after 2 epochs, and match one process" in stdout

    rank0, rank1 = (torch.load(tmp_path / f"parameters-rank{r}.pt") for r in (0, 1))
    assert torch.equal(rank0, rank1)  # bit for bit: every rank applied the same update
    assert rank0.dtype == torch.float64
    assert torch.allclose(rank0, reference.detach(), rtol=0, atol=1e-12)
    assert not torch.allclose(rank0, initial.detach(), atol=1e-3)  # it did train

    # Rank 0 saved model.module's weights: plain keys that load into the unwrapped model.
    checkpoint = torch.load(tmp_path / "checkpoint.pt")
    assert list(checkpoint) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    model = ddp_step.make_model()
    model.load_state_dict(checkpoint)
    assert torch.equal(nn.utils.parameters_to_vector(model.parameters()).detach(), rank0)


def test_one_process_per_rank_shard_makes_the_global_batch():
    """The reference's global batch per step is the ranks' shards together: every sample once."""
    shards = []
    for rank in range(2):
        sampler = torch.utils.data.DistributedSampler(
            ddp_step.make_data(), num_replicas=2, rank=rank, seed=ddp_step.SEED
        )
        sampler.set_epoch(1)
        shards.append(list(sampler))
    assert sorted(shards[0] + shards[1]) == list(range(ddp_step.SAMPLES))
