"""Train a small model sharded with FSDP2 and check it against one-process training.

torchrun --standalone --nproc_per_node=2 snippets/fsdp_train.py --out-dir DIR  # 2 CPU ranks
python snippets/fsdp_train.py --load DIR/checkpoint  # 1 rank loads what the 2 ranks saved
python snippets/fsdp_train.py --dry-run  # starts the 2 ranks itself, then loads on 1

Each rank holds half of every parameter (fully_shard), trains on half of every batch, and FSDP
averages the gradients across ranks, so the sharded model follows the same path as one process
that trains an unsharded copy on the whole batches; the program asserts that after every step.
The ranks then save a distributed checkpoint (torch.distributed.checkpoint), one file per rank,
and a single process (world size 1) loads it twice: into a plain unsharded model, and into a
model sharded over one rank together with the optimizer state, which resumes training exactly
where the two ranks left off.
"""

import argparse
import os
import tempfile
import warnings
from pathlib import Path

import torch
import torch.distributed as dist
import torch.distributed.checkpoint as dcp
import torch.multiprocessing as mp
import torch.nn.functional as F
from torch import nn
from torch.distributed.checkpoint.state_dict import (
    StateDictOptions,
    get_model_state_dict,
    get_optimizer_state_dict,
    set_model_state_dict,
    set_optimizer_state_dict,
)
from torch.distributed.device_mesh import init_device_mesh
from torch.distributed.fsdp import fully_shard
from torch.distributed.tensor import DTensor, Shard

SEED = 0  # the same on every rank: the same initial weights, the same batches
BATCH = 8  # samples per step in all: 4 on each of 2 ranks
LR = 0.05


def make_batches(steps):
    """The first `steps` of a fixed sequence of regression batches, in float64 so that sums
    taken in another order (on 2 ranks, or on 1) still agree to about 1e-15."""
    batches = []
    for step in range(steps):
        generator = torch.Generator().manual_seed(SEED + step)  # batch `step`, whatever `steps`
        x = torch.randn(BATCH, 4, generator=generator, dtype=torch.float64)
        y = x @ torch.tensor([[1.0], [-2.0], [0.5], [3.0]], dtype=torch.float64)
        batches.append((x, y))  # x: (BATCH, 4), y: (BATCH, 1)
    return batches


def make_model():
    """The same initial weights in every process: 4 -> 8 -> 1."""
    torch.manual_seed(SEED)
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1)).double()


def make_optimizer(model):
    return torch.optim.Adam(model.parameters(), lr=LR)


def train_single(steps):
    """One process, no sharding: each step trains on the whole batch. Returns model, losses."""
    model = make_model()
    optimizer = make_optimizer(model)
    losses = []
    for x, y in make_batches(steps):
        loss = F.mse_loss(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return model, losses


# --8<-- [start:shard]
def shard(model, mesh):
    """Shard every Linear (one all-gather each), then the root, which owns what is left."""
    for layer in model:
        if isinstance(layer, nn.Linear):
            fully_shard(layer, mesh=mesh)
    fully_shard(model, mesh=mesh)
    return model  # the same object, now an FSDPModule: its parameters are DTensors


# --8<-- [end:shard]


# --8<-- [start:train]
def train_sharded(mesh, steps):
    """Train on this rank's half of every batch; returns the model, optimizer and the losses."""
    rank, world_size = mesh.get_local_rank(), mesh.size()
    model = shard(make_model(), mesh)
    optimizer = make_optimizer(model)  # after fully_shard: it must see the DTensor parameters
    losses = []
    for x, y in make_batches(steps):
        x, y = x.tensor_split(world_size)[rank], y.tensor_split(world_size)[rank]  # (4, 4)
        loss = F.mse_loss(model(x), y)  # the mean over this rank's half
        optimizer.zero_grad()
        loss.backward()  # reduce-scatter: each rank gets its shard of the mean gradient
        optimizer.step()  # each rank updates its own shard (and its shard of Adam's state)
        total = loss.detach().clone()
        dist.all_reduce(total)  # SUM over ranks; each half has the same size, so
        losses.append(total.item() / world_size)  # the mean is the whole batch's loss
    return model, optimizer, losses


# --8<-- [end:train]


# --8<-- [start:check_shards]
def check_shards(model, rank, world_size):
    """Every parameter is a DTensor sharded on dim 0: this rank holds its chunk of the rows."""
    shapes = {}
    for name, p in model.named_parameters():
        assert isinstance(p, DTensor) and p.placements == (Shard(0),), name
        full = p.full_tensor()  # all-gathers the shards: the whole parameter, on every rank
        chunks = full.chunk(world_size, dim=0)  # fully_shard splits dim 0 as torch.chunk does
        mine = chunks[rank] if rank < len(chunks) else full[:0]  # too few rows: an empty shard
        assert torch.equal(p.to_local(), mine), name
        shapes[name] = list(p.to_local().shape)
    return shapes  # on 2 ranks "2.weight" (1 row of 8) is [1, 8] on rank 0 and [0, 8] on rank 1


# --8<-- [end:check_shards]


def check_cpu_random_init(mesh):
    """Random init of a sharded model on a CPU mesh: each rank draws its own shard from its own
    generator, so with the same seed on every rank the shards repeat the same rows."""
    torch.manual_seed(SEED)
    with torch.device("meta"):
        model = nn.Linear(4, 8)  # (8, 4): 4 rows on each of 2 ranks
    fully_shard(model, mesh=mesh)
    model.to_empty(device="cpu")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.reset_parameters()  # random: kaiming_uniform_ on the DTensor
    assert any("may not have complete support on cpu device mesh" in str(w.message) for w in caught)
    full = model.weight.full_tensor()
    if mesh.size() == 2:
        assert torch.equal(full[:4], full[4:])  # rank 1's rows repeat rank 0's
    return full


def save_quietly(state, checkpoint):
    """dcp.save, without the TypedStorage warning that torch 2.9-2.10 print on CPU-only hosts."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "TypedStorage is deprecated")
        dcp.save(state, checkpoint_id=checkpoint)


# --8<-- [start:save]
def save(model, optimizer, checkpoint):
    """Every rank writes its own shards (one file per rank) and rank 0 the metadata."""
    state = {
        "model": get_model_state_dict(model),  # DTensors: this rank's shards, by name
        "optim": get_optimizer_state_dict(model, optimizer),  # keyed by name, not by index
    }
    save_quietly(state, checkpoint)  # dcp.save(state, checkpoint_id=checkpoint), on every rank


# --8<-- [end:save]


def worker(rank, world_size, steps, out_dir):
    """What every rank runs once its process group exists."""
    mesh = init_device_mesh("cpu", (world_size,))  # uses the group that exists
    model, optimizer, losses = train_sharded(mesh, steps)
    shapes = check_shards(model, rank, world_size)
    check_cpu_random_init(mesh)
    # A full state dict gathers the whole model; with cpu_offload only rank 0 keeps it.
    full = get_model_state_dict(
        model, options=StateDictOptions(full_state_dict=True, cpu_offload=True)
    )
    assert (len(full) > 0) == (rank == 0)
    reference, reference_losses = train_single(steps)  # one process, whole batches
    if rank == 0:
        for name, tensor in reference.state_dict().items():
            assert torch.allclose(full[name], tensor, rtol=0, atol=1e-12), name
        assert all(abs(a - b) < 1e-12 for a, b in zip(losses, reference_losses, strict=True)), (
            losses,
            reference_losses,
        )
    if out_dir is not None:
        save(model, optimizer, out_dir / "checkpoint")
        torch.save(shapes, out_dir / f"shapes-rank{rank}.pt")
        if rank == 0:
            torch.save({"weights": full, "losses": losses}, out_dir / "trained.pt")
    if rank == 0:
        print(f"{world_size} ranks match one process after {steps} steps")
    dist.barrier()  # no rank leaves (and destroys the group) while another still needs it


# --8<-- [start:load_plain]
def load_plain(checkpoint):
    """Read a sharded checkpoint into an ordinary nn.Module, in a world of any size."""
    model = make_model()
    state = {"model": model.state_dict()}  # plain tensors: DCP fills them with whole tensors
    dcp.load(state, checkpoint_id=checkpoint)  # in place: reads the shards of every rank
    model.load_state_dict(state["model"])
    return model


# --8<-- [end:load_plain]


# --8<-- [start:resume]
def resume(checkpoint, mesh):
    """Load model and optimizer sharded over `mesh`, whatever world size saved them."""
    model = shard(make_model(), mesh)
    optimizer = make_optimizer(model)
    state = {
        "model": get_model_state_dict(model),  # shards for this mesh: DCP reshards on load
        "optim": get_optimizer_state_dict(model, optimizer),
    }
    dcp.load(state, checkpoint_id=checkpoint)
    set_model_state_dict(model, state["model"])
    set_optimizer_state_dict(model, optimizer, state["optim"])
    return model, optimizer


# --8<-- [end:resume]


def load_on_one_rank(checkpoint, steps):
    """World size 1: load the checkpoint both ways and check it against one process."""
    reference, _ = train_single(steps)
    plain = load_plain(checkpoint)
    for (name, got), want in zip(
        plain.state_dict().items(), reference.state_dict().values(), strict=True
    ):
        assert torch.allclose(got, want, rtol=0, atol=1e-12), name
    # Resume sharded over one rank and take one more step on the whole next batch: the same as
    # one process that trained steps + 1 steps from the start (Adam's state came back too).
    model, optimizer = resume(checkpoint, init_device_mesh("cpu", (1,)))
    x, y = make_batches(steps + 1)[-1]
    loss = F.mse_loss(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    longer, longer_losses = train_single(steps + 1)
    assert abs(loss.item() - longer_losses[-1]) < 1e-12
    for (name, p), want in zip(model.named_parameters(), longer.parameters(), strict=True):
        assert torch.allclose(p.full_tensor(), want, rtol=0, atol=1e-12), name
    print(f"the checkpoint loads on 1 rank, plain and sharded, and resumes step {steps + 1}")
    return plain


def on_one_rank(checkpoint, steps):
    """Start a group of world size 1 (unless torchrun started one) and load there."""
    if "RANK" in os.environ:  # torchrun --nproc_per_node=1
        dist.init_process_group("gloo")
    else:
        dist.init_process_group("gloo", store=dist.HashStore(), rank=0, world_size=1)
    try:
        assert dist.get_world_size() == 1
        return load_on_one_rank(checkpoint, steps)
    finally:
        dist.destroy_process_group()


def spawned(rank, world_size, init_method, steps, out_dir):
    """A rank started by torch.multiprocessing.spawn, which passes its rank first."""
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=init_method, rank=rank, world_size=world_size)
    try:
        worker(rank, world_size, steps, out_dir)
    finally:
        dist.destroy_process_group()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="quick run that checks itself")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--out-dir", type=Path, help="write the checkpoint and results here")
    parser.add_argument("--load", type=Path, help="load this checkpoint on 1 rank and check it")
    args = parser.parse_args(argv)
    steps = 2 if args.dry_run else args.steps
    torch.set_num_threads(1)  # tiny tensors: more threads per process only contend
    if args.load is not None:  # the checkpoint of a run with the same --steps
        on_one_rank(args.load, steps)
        return
    if "RANK" in os.environ:  # launched by torchrun
        dist.init_process_group("gloo")  # reads RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT
        try:
            worker(dist.get_rank(), dist.get_world_size(), steps, args.out_dir)
        finally:
            dist.destroy_process_group()
        return
    # Run directly: start two ranks here (they meet through a file in a temporary folder),
    # then load their checkpoint in this process, on one rank.
    with tempfile.TemporaryDirectory() as folder:
        out_dir = args.out_dir or Path(folder)
        init_method = Path(folder, "rendezvous").as_uri()
        mp.spawn(spawned, args=(2, init_method, steps, out_dir), nprocs=2)
        on_one_rank(out_dir / "checkpoint", steps)


if __name__ == "__main__":
    main()
