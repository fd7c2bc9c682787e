"""snippets/ddp_step.py under torchrun: two CPU ranks (gloo) end with the same parameters, and
those are the parameters of one process trained on the whole global batches. The two ranks also
check what one process cannot: SUM, MAX and AVG over different values, no_sync, equal last
batches, and an evaluation that counts every sample once."""

from pathlib import Path

import ddp_step
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DistributedSampler
from torchrun import torchrun

SCRIPT = Path(__file__).parent.parent / "snippets" / "ddp_step.py"
EPOCHS = 2


def test_two_ranks_agree_with_each_other_and_with_one_process(tmp_path):
    flags = ["--epochs", str(EPOCHS), "--out-dir", str(tmp_path)]
    with torchrun(SCRIPT, flags, tmp_path) as process:
        # While the ranks start: one process trains on each step's whole global batch.
        reference_model = ddp_step.train_single(EPOCHS, 2)
        reference = nn.utils.parameters_to_vector(reference_model.parameters())
        x, y = ddp_step.make_eval_data().tensors
        with torch.no_grad():
            reference_error = F.mse_loss(reference_model(x), y).item()
        initial = nn.utils.parameters_to_vector(ddp_step.make_model().parameters())
        stdout, stderr = process.communicate(timeout=300)
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

    for rank in (0, 1):
        results = torch.load(tmp_path / f"results-rank{rank}.pt")
        # Rank 0 holds [1, 2] and rank 1 [3, 0]: three reductions, three different answers.
        assert results["collectives"] == {"SUM": [4.0, 2.0], "MAX": [3.0, 2.0], "AVG": [2.0, 1.0]}
        # Inside no_sync the gradient is the rank's own input (r + 1); the next backward adds it
        # once more and averages over the ranks: (2 * 1 + 2 * 2) / 2 = 3 on both.
        assert results["no_sync"] == [[[rank + 1.0, rank + 1.0]], [[3.0, 3.0]]]
        # 16 samples per rank in batches of 5: every rank's last batch has 1 sample.
        assert results["batch_sizes"] == [5, 5, 5, 1] * EPOCHS
        # Every one of the 33 evaluation samples counted once, and the error of the whole set.
        error, count = results["evaluation"]
        assert count == ddp_step.EVAL_SAMPLES == 33
        assert abs(error - reference_error) < 1e-10


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


def test_padding_counts_a_sample_twice_and_the_evaluation_shards_do_not():
    """DistributedSampler pads 33 samples to 34 for 2 ranks; evaluate()'s shards do not."""
    data = ddp_step.make_eval_data()
    samplers = [DistributedSampler(data, num_replicas=2, rank=r, shuffle=False) for r in range(2)]
    padded = [i for sampler in samplers for i in sampler]
    assert len(padded) == 34 and [i for i in set(padded) if padded.count(i) > 1] == [0]
    unpadded = [i for rank in range(2) for i in range(rank, len(data), 2)]  # as in evaluate()
    assert sorted(unpadded) == list(range(33))
