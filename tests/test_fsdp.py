"""snippets/fsdp_train.py under torchrun: two CPU ranks (gloo) train a model sharded with FSDP2
and match one process trained on the whole batches; the checkpoint they save with DCP (one file
per rank, half of every parameter in each) then loads in a single process, world size 1, into a
plain model and into a sharded one that resumes training exactly."""

from pathlib import Path

import fsdp_train
import torch
import torch.distributed.checkpoint as dcp
from torch.distributed.tensor import DTensor
from torchrun import torchrun

SCRIPT = Path(__file__).parent.parent / "snippets" / "fsdp_train.py"
STEPS = 3


def test_two_ranks_match_one_process_and_their_checkpoint_loads_on_one(tmp_path):
    flags = ["--steps", str(STEPS), "--out-dir", str(tmp_path)]
    with torchrun(SCRIPT, flags, tmp_path) as process:
        # While the ranks start: one process trains an unsharded copy on the whole batches.
        reference, reference_losses = fsdp_train.train_single(STEPS)
        initial = fsdp_train.make_model().state_dict()
        stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr
    assert f"2 ranks match one process after {STEPS} steps" in stdout
    assert "Warning" not in stderr, stderr

    # The sharded run's full weights (gathered on rank 0) and its losses, step by step.
    trained = torch.load(tmp_path / "trained.pt")
    assert list(trained["weights"]) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    for name, want in reference.state_dict().items():
        got = trained["weights"][name]
        assert got.dtype == torch.float64 and not isinstance(got, DTensor)
        assert torch.allclose(got, want, rtol=0, atol=1e-12), name
        assert not torch.allclose(got, initial[name], atol=1e-3), name  # it did train
    assert len(trained["losses"]) == STEPS
    assert all(abs(a - b) < 1e-12 for a, b in zip(trained["losses"], reference_losses, strict=True))

    # Each rank held its torch.chunk of dim 0: 8 rows make 4 + 4; 1 row makes 1 + 0.
    assert torch.load(tmp_path / "shapes-rank0.pt") == {
        "0.weight": [4, 4], "0.bias": [4], "2.weight": [1, 8], "2.bias": [1]}  # fmt: skip
    assert torch.load(tmp_path / "shapes-rank1.pt") == {
        "0.weight": [4, 4], "0.bias": [4], "2.weight": [0, 8], "2.bias": [0]}  # fmt: skip

    # The checkpoint: one data file per rank, and metadata that records each rank's chunk.
    checkpoint = tmp_path / "checkpoint"
    assert sorted(p.name for p in checkpoint.iterdir()) == [
        ".metadata", "__0_0.distcp", "__1_0.distcp"]  # fmt: skip
    metadata = dcp.FileSystemReader(checkpoint).read_metadata().state_dict_metadata
    weight = metadata["model.0.weight"]
    assert weight.size == torch.Size([8, 4])
    assert [(list(c.offsets), list(c.sizes)) for c in weight.chunks] == [
        ([0, 0], [4, 4]), ([4, 0], [4, 4])]  # fmt: skip
    assert "optim.state.0.weight.exp_avg" in metadata  # Adam's state, by parameter name

    # World size 1, in this process: the two ranks' checkpoint loads into a plain model (and a
    # sharded one, which resumes training: fsdp_train asserts it matches one longer run).
    plain = fsdp_train.on_one_rank(checkpoint, STEPS)
    assert type(plain) is torch.nn.Sequential
    for name, got in plain.state_dict().items():
        assert not isinstance(got, DTensor)
        assert torch.equal(got, trained["weights"][name]), name
    assert not torch.distributed.is_initialized()  # on_one_rank destroyed its group


def test_batches_are_a_fixed_sequence():
    """The resumed step's batch is the one a longer run takes next: batches don't depend on
    how many are asked for, so train_single(steps + 1) continues train_single(steps)."""
    short, longer = fsdp_train.make_batches(2), fsdp_train.make_batches(3)
    assert all(
        torch.equal(a, b)
        for pair in zip(short, longer, strict=False)
        for a, b in zip(*pair, strict=True)
    )
    assert not torch.equal(longer[2][0], longer[1][0])
