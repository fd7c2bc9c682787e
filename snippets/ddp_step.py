"""Train a small model with DistributedDataParallel and check it against one-process training.

torchrun --standalone --nproc_per_node=2 snippets/ddp_step.py   # 2 CPU processes, gloo
python snippets/ddp_step.py --dry-run                           # starts the 2 processes itself

Each rank trains on its own shard of every global batch (DistributedSampler). DDP averages the
gradients across ranks, so after every step all ranks hold the same parameters, and those equal
the parameters of one process that trains on the whole global batch; the program asserts both.
It also checks what one rank cannot show: all_reduce's SUM, MAX and AVG over ranks that hold
different values, that no_sync() leaves each rank its own gradient until the next backward, that
every rank's last batch has the same size, and an evaluation that counts every sample once.
"""

import argparse
import os
import tempfile
from pathlib import Path

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, Subset, TensorDataset

SAMPLES = 32  # in the training set: 16 per rank on 2 ranks
RANK_BATCH = 5  # samples per rank and step: batches of 5, 5, 5 and a last one of 1 on each rank
EVAL_SAMPLES = 33  # in the evaluation set: odd, so DistributedSampler would pad it
SEED = 0  # the same on every rank: same initial weights, same sampler shuffle


def make_data(samples=SAMPLES, seed=SEED):
    """A fixed regression data set, float64 so that sums in another order still agree."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(samples, 4, generator=generator, dtype=torch.float64)  # (samples, 4)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5], [3.0]], dtype=torch.float64)  # (samples, 1)
    return TensorDataset(x, y)


def make_eval_data():
    return make_data(EVAL_SAMPLES, seed=SEED + 1)


def make_model():
    torch.manual_seed(SEED)
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1)).double()


# --8<-- [start:setup]
def start_process_group():
    """Join the group torchrun set up: it exports RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT."""
    # gloo runs on CPUs. On GPUs, one per process: device = torch.device("cuda", LOCAL_RANK),
    # torch.accelerator.set_device_index(device.index), and the backend
    # dist.get_default_backend_for_device(device), which is "nccl".
    dist.init_process_group("gloo")  # init_method defaults to "env://": those variables
    return dist.get_rank(), dist.get_world_size()


# --8<-- [end:setup]


# --8<-- [start:train]
def train(epochs, rank, world_size):
    """Train on this rank's shards; returns the DDP-wrapped model and this rank's batch sizes."""
    data = make_data()
    # Each rank gets every world_size-th sample of a shuffle that all ranks agree on (same seed).
    sampler = DistributedSampler(data, num_replicas=world_size, rank=rank, seed=SEED)
    loader = DataLoader(data, batch_size=RANK_BATCH, sampler=sampler)
    model = DistributedDataParallel(make_model())  # broadcasts rank 0's weights to all ranks
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    batch_sizes = []
    for epoch in range(epochs):
        sampler.set_epoch(epoch)  # a new shuffle every epoch; without it, the same order
        for x, y in loader:  # x: (RANK_BATCH, 4), this rank's part of the global batch
            batch_sizes.append(len(x))  # the last one is smaller, and the same on every rank
            loss = F.mse_loss(model(x), y)  # the mean over this rank's samples
            optimizer.zero_grad()
            loss.backward()  # also all-reduces the gradients: each becomes the mean over ranks
            optimizer.step()  # the same averaged gradient on every rank: the same update
    return model, batch_sizes


# --8<-- [end:train]


# --8<-- [start:check]
def check_ranks_agree(model):
    """Gather every rank's parameters (one flat vector each) and assert they are identical."""
    mine = nn.utils.parameters_to_vector(model.parameters()).detach()
    everyone = [torch.empty_like(mine) for _ in range(dist.get_world_size())]
    dist.all_gather(everyone, mine)
    for rank, theirs in enumerate(everyone):
        assert torch.equal(theirs, mine), f"rank {rank}'s parameters differ from mine"
    return mine


# --8<-- [end:check]


def rank_values(rank):
    """What rank r contributes to the collectives: [1, 2] on rank 0, [3, 0] on rank 1."""
    return torch.tensor([1.0 + 2 * rank, 2.0 - 2 * rank], dtype=torch.float64)


# --8<-- [start:collectives]
def check_collectives(rank, world_size):
    """all_reduce with SUM, MAX and AVG; every rank ends with the same result."""
    results = {}
    for op in (dist.ReduceOp.SUM, dist.ReduceOp.MAX, dist.ReduceOp.AVG):
        t = rank_values(rank)  # a fresh copy: all_reduce overwrites its argument
        dist.all_reduce(t, op=op)
        results[str(op).split(".")[-1]] = t.tolist()
    everyone = torch.stack([rank_values(r) for r in range(world_size)])  # (world_size, 2)
    assert results["SUM"] == everyone.sum(dim=0).tolist()  # 2 ranks: [4, 2]
    assert results["MAX"] == everyone.amax(dim=0).tolist()  # 2 ranks: [3, 2]
    assert results["AVG"] == everyone.mean(dim=0).tolist()  # 2 ranks: [2, 1], SUM / world size
    return results


# --8<-- [end:collectives]


# --8<-- [start:no_sync]
def check_no_sync(rank, world_size):
    """Inside no_sync each rank keeps its own gradient; the next backward averages the sums."""
    model = DistributedDataParallel(nn.Linear(2, 1, bias=False).double())
    x = torch.full((1, 2), rank + 1.0, dtype=torch.float64)  # rank r's input: r + 1
    with model.no_sync():
        model(x).sum().backward()  # no communication: the gradient is this rank's own x
    local = model.module.weight.grad.clone()
    assert local.tolist() == [[rank + 1.0] * 2]  # differs between ranks
    model(x).sum().backward()  # adds x again (2x in all), then averages 2x over the ranks
    synced = model.module.weight.grad.clone()
    assert synced.tolist() == [[world_size + 1.0] * 2]  # mean of 2(r + 1): 3 on 2 ranks
    return local, synced


# --8<-- [end:no_sync]


# --8<-- [start:evaluate]
def evaluate(model, rank, world_size):
    """Mean squared error over the evaluation set with every sample counted exactly once."""
    data = make_eval_data()
    # Not DistributedSampler: it would pad 33 samples to 34, counting one twice. Every
    # world_size-th sample instead; the shards may differ by one, which evaluation allows.
    shard = Subset(data, range(rank, len(data), world_size))
    totals = torch.zeros(2, dtype=torch.float64)  # [sum of squared errors, samples]
    with torch.no_grad():
        for x, y in DataLoader(shard, batch_size=RANK_BATCH):
            # model.module, the plain model: the ranks may run different numbers of batches
            totals[0] += F.mse_loss(model.module(x), y, reduction="sum")
            totals[1] += len(x)
    dist.all_reduce(totals)  # SUM: the whole set's error and its true count
    return (totals[0] / totals[1]).item(), int(totals[1])


# --8<-- [end:evaluate]


def train_single(epochs, world_size):
    """One process, no DDP: each step trains on the union of the ranks' shards of that step."""
    data = make_data()
    model = make_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    samplers = [DistributedSampler(data, num_replicas=world_size, rank=rank, seed=SEED)
                for rank in range(world_size)]  # fmt: skip
    for epoch in range(epochs):
        shards = []
        for sampler in samplers:
            sampler.set_epoch(epoch)
            shards.append(list(sampler))  # this rank's sample indices for the epoch
        for start in range(0, len(shards[0]), RANK_BATCH):
            batch = torch.tensor([i for shard in shards for i in shard[start : start + RANK_BATCH]])
            x, y = data[batch]  # the whole global batch: (RANK_BATCH * world_size, 4)
            loss = F.mse_loss(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model


# --8<-- [start:worker]
def worker(rank, world_size, epochs, out_dir):
    """What every rank runs once its process group exists."""
    model, batch_sizes = train(epochs, rank, world_size)
    parameters = check_ranks_agree(model)
    every_batch_sizes = [None] * world_size
    dist.all_gather_object(every_batch_sizes, batch_sizes)
    assert all(sizes == batch_sizes for sizes in every_batch_sizes)  # last batches too
    error, count = evaluate(model, rank, world_size)
    results = {
        "batch_sizes": batch_sizes,
        "collectives": check_collectives(rank, world_size),
        "no_sync": [t.tolist() for t in check_no_sync(rank, world_size)],
        "evaluation": [error, count],
    }
    if out_dir is not None:  # for tests/test_ddp.py
        torch.save(parameters, out_dir / f"parameters-rank{rank}.pt")
        torch.save(results, out_dir / f"results-rank{rank}.pt")
    if rank == 0:  # one rank writes the checkpoint and the log, or every rank would
        reference = nn.utils.parameters_to_vector(train_single(epochs, world_size).parameters())
        assert torch.allclose(parameters, reference.detach(), rtol=0, atol=1e-12)
        x, y = make_eval_data().tensors
        with torch.no_grad():
            full = F.mse_loss(model.module(x), y).item()  # one process, the whole set at once
        assert count == EVAL_SAMPLES and abs(error - full) < 1e-12, (error, count, full)
        if out_dir is not None:
            # model.module is the model inside the wrapper: its keys have no "module." prefix.
            torch.save(model.module.state_dict(), out_dir / "checkpoint.pt")
        print(f"{world_size} ranks agree after {epochs} epochs, and match one process")
    dist.barrier()  # no rank leaves (and destroys the group) while another still needs it


# --8<-- [end:worker]


def spawned(rank, world_size, init_method, epochs, out_dir):
    """A rank started by torch.multiprocessing.spawn, which passes its rank first."""
    dist.init_process_group("gloo", init_method=init_method, rank=rank, world_size=world_size)
    try:
        worker(rank, world_size, epochs, out_dir)
    finally:
        dist.destroy_process_group()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="quick run that checks itself")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--out-dir", type=Path, help="write each rank's parameters here")
    args = parser.parse_args(argv)
    epochs = 1 if args.dry_run else args.epochs
    torch.set_num_threads(1)  # tiny tensors: more threads per process only contend
    if "RANK" in os.environ:  # launched by torchrun
        rank, world_size = start_process_group()
        try:
            worker(rank, world_size, epochs, args.out_dir)
        finally:
            dist.destroy_process_group()
        return
    # Run directly: start two ranks here. They meet through a file in a temporary folder.
    with tempfile.TemporaryDirectory() as folder:
        init_method = Path(folder, "rendezvous").as_uri()
        mp.spawn(spawned, args=(2, init_method, epochs, args.out_dir), nprocs=2)


if __name__ == "__main__":
    main()
