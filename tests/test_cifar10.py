"""The CIFAR-10 example, snippets/cifar10.py, in quick mode: on a CPU, offline, on generated data.

Quick mode is the real program with small flags (--width 8, 4 epochs of 10 batches) on 500
learnable generated images, written to disk in both layouts the program reads.
"""

import http.server
import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import cifar10
import cifar10_vs_airbench as benchmark  # imports the airbench trainers only when it runs
import nbformat
import pytest
import torch
import torchvision
from fake_cifar10 import write_cifar10_batches, write_image_folders
from PIL import Image

ROOT = Path(__file__).parent.parent
SCRIPT = ROOT / "snippets" / "cifar10.py"
NOTEBOOK = ROOT / "docs" / "examples" / "cifar10.ipynb"
QUICK = ["--width", "8", "--epochs", "4", "--batch-size", "50", "--device", "cpu"]
SUMMARY = re.compile(
    r"test accuracy \d+\.\d\d% \(TTA\) \| \d+\.\d\d s training \| [\d,]+ images/s \| "
    r"cpu \(1 thread\) \| torch \S+"
)


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """One thread: the runs are then reproducible bit for bit, and fast on a shared machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module", autouse=True)
def offline_command_line(tmp_path_factory):
    """The program as a user runs it with no data and no network, started with the first test
    so that its slow import of torch overlaps the others. A proxy that refuses every
    connection stands for the missing network."""
    env = {key: value for key, value in os.environ.items() if key != "CIFAR10_DATA"}
    env |= {"http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9"}
    process = subprocess.Popen([sys.executable, str(SCRIPT), *QUICK],
                               cwd=tmp_path_factory.mktemp("offline"), env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    yield process
    process.kill()  # in case its test did not run
    process.communicate()


@pytest.fixture(scope="module")
def data():
    return cifar10.synthetic_cifar10(train_count=500, test_count=200, seed=1)


@pytest.fixture(scope="module")
def image_folders(data, tmp_path_factory):
    root = tmp_path_factory.mktemp("image-folders")
    write_image_folders(root, data)
    return root


@pytest.fixture(scope="module")
def reference(image_folders, tmp_path_factory):
    """An uninterrupted quick-mode run on the ImageFolder tree: its results and out folder."""
    out_dir = tmp_path_factory.mktemp("reference")
    results = cifar10.main([*QUICK, "--data-dir", str(image_folders), "--out-dir", str(out_dir)])
    return results, out_dir


def test_learns_from_cifar10_batches(data, tmp_path, monkeypatch, capsys):
    md5 = write_cifar10_batches(tmp_path, data)
    # torchvision checks each file against the md5 of the real CIFAR-10; generated files cannot
    # match those, so the test declares its own files' sums where torchvision keeps them. The
    # check itself, the unpickling and the reshaping run unchanged, through
    # CIFAR10(root, download=False), on files in the real format.
    dataset = torchvision.datasets.CIFAR10
    train_list = [[name, md5[name]] for name, _ in dataset.train_list]
    monkeypatch.setattr(dataset, "train_list", train_list)
    monkeypatch.setattr(dataset, "test_list", [["test_batch", md5["test_batch"]]])
    monkeypatch.setattr(dataset, "meta", {**dataset.meta, "md5": md5["batches.meta"]})
    out_dir = tmp_path / "out"
    results = cifar10.main([*QUICK, "--data-dir", str(tmp_path), "--out-dir", str(out_dir)])
    assert results["test_accuracy"] > 0.6  # chance is 0.1
    assert "(torchvision)" in results["data"]
    assert SUMMARY.fullmatch(capsys.readouterr().out.splitlines()[-1])


def test_learns_from_image_folders(reference):
    results, out_dir = reference
    assert results["test_accuracy"] > 0.6
    assert results["history"]["test_accuracy"][-1] > results["history"]["test_accuracy"][0]
    assert "(ImageFolder)" in results["data"]
    assert sorted(results["per_class_accuracy"]) == sorted(cifar10.CIFAR10_CLASSES)
    for plot in ("curves.png", "confusion.png"):
        assert (out_dir / plot).read_bytes().startswith(b"\x89PNG")
    assert (out_dir / "results.json").is_file()


def test_resume_after_a_kill_matches_an_unbroken_run(reference, image_folders, tmp_path):
    results, _ = reference
    flags = [*QUICK, "--data-dir", str(image_folders), "--out-dir", str(tmp_path)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}  # as the reference run
    process = subprocess.Popen([sys.executable, str(SCRIPT), *flags], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    checkpoint = tmp_path / "checkpoint.pt"
    deadline = time.monotonic() + 600
    while not checkpoint.exists():  # the first epoch is done: kill it in the second
        assert process.poll() is None, "the run ended before writing a checkpoint"
        assert time.monotonic() < deadline, "no checkpoint after 10 minutes"
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL
    epochs_done = torch.load(checkpoint, weights_only=True)["epochs_done"]
    assert 1 <= epochs_done < 4
    assert not (tmp_path / "results.json").exists()
    resumed = cifar10.main([*flags, "--resume"])
    assert resumed["history"] == results["history"]
    assert resumed["test_accuracy"] == results["test_accuracy"]


def test_two_processes_under_torchrun(image_folders, tmp_path):
    """Quick mode with DistributedDataParallel on two CPU processes (gloo): each trains on half
    of every batch of 50; rank 0 alone shows progress and writes the summary and the files."""
    out_dir = tmp_path / "out"
    # --log-dir: torchrun's own (empty) folders go under tmp_path, not into /tmp
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone",
                "--nproc_per_node=2", "--log-dir", str(tmp_path / "logs")]  # fmt: skip
    flags = [*QUICK, "--data-dir", str(image_folders), "--out-dir", str(out_dir)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}  # torchrun warns when it has to set it
    finished = subprocess.run([*torchrun, str(SCRIPT), *flags], env=env, capture_output=True,
                              text=True, timeout=600)  # fmt: skip
    assert finished.returncode == 0, finished.stderr
    summaries = [line for line in finished.stdout.splitlines() if "(TTA)" in line]
    assert len(summaries) == 1, finished.stdout
    assert " | cpu (1 thread) x 2 processes | " in summaries[0]
    assert finished.stdout.count("data: ") == 1
    assert finished.stderr.count("epoch  1/4") >= 1  # tqdm's bar, on rank 0 only
    results = json.loads((out_dir / "results.json").read_text())
    assert results["test_accuracy"] > 0.6 and results["processes"] == 2
    assert results["history"]["test_accuracy"][-1] > results["history"]["test_accuracy"][0]
    written = sorted(path.name for path in out_dir.iterdir())
    assert written == ["checkpoint.pt", "confusion.png", "curves.png", "results.json"]
    state = torch.load(out_dir / "checkpoint.pt", weights_only=True)
    assert not any(key.startswith("module.") for key in state["model"])
    assert state["epochs_done"] == 4


def one_line_error(argv, capsys):
    """The program's error for argv: it exits non-zero with exactly one line, no traceback."""
    return one_line_error_of(cifar10.main, argv, capsys)


def one_line_error_of(main, argv, capsys):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    code = exited.value.code
    message = code if isinstance(code, str) else capsys.readouterr().err  # argparse prints
    assert code not in (0, None)
    lines = message.strip().splitlines()
    assert len(lines) == 1, message
    return lines[0]


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["--epochs", "0"], "argument --epochs: 0 is not at least 1"),
        (["--batch-size", "many"], "argument --batch-size: 'many' is not a whole number"),
        (["--device", "tpu0"], "argument --device: 'tpu0' is not a device"),
        (["--epochs"], "argument --epochs: expected one argument"),
        (["--no-such-flag"], "unrecognized arguments: --no-such-flag"),
    ],
)
def test_nonsense_flags(flags, expected, capsys):
    assert expected in one_line_error(flags, capsys)


def test_no_data_and_no_network(tmp_path, monkeypatch, capsys):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("network is unreachable")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    monkeypatch.delenv("CIFAR10_DATA", raising=False)
    monkeypatch.chdir(tmp_path)
    error = one_line_error([*QUICK], capsys)
    assert "could not download CIFAR-10 into data/" in error
    assert "pass --data-dir" in error


def test_no_network_from_the_command_line(offline_command_line):
    _, stderr = offline_command_line.communicate(timeout=600)
    assert offline_command_line.returncode == 1
    assert "Traceback" not in stderr
    [line] = stderr.strip().splitlines()
    assert line.startswith("cifar10.py: error: could not download CIFAR-10")


def test_data_dir_in_neither_layout(tmp_path, capsys):
    error = one_line_error([*QUICK, "--data-dir", str(tmp_path)], capsys)
    assert "holds neither torchvision's CIFAR-10 folder" in error


def test_image_of_the_wrong_size(tmp_path, capsys):
    for split in ("train", "test"):
        (tmp_path / split / "cat").mkdir(parents=True)
        Image.new("RGB", (64, 64)).save(tmp_path / split / "cat" / "big.png")
    error = one_line_error([*QUICK, "--data-dir", str(tmp_path)], capsys)
    assert error.endswith("big.png is 64x64 pixels, not 32x32")


def test_batch_larger_than_the_training_set(image_folders, tmp_path, capsys):
    flags = [*QUICK, "--batch-size", "501", "--data-dir", str(image_folders)]
    error = one_line_error([*flags, "--out-dir", str(tmp_path)], capsys)
    assert "--batch-size 501 exceeds the training set" in error


def test_resume_without_a_checkpoint(image_folders, tmp_path, capsys):
    flags = [*QUICK, "--data-dir", str(image_folders), "--out-dir", str(tmp_path), "--resume"]
    assert "there is no checkpoint" in one_line_error(flags, capsys)


def test_corrupt_checkpoint(image_folders, tmp_path, capsys):
    (tmp_path / "checkpoint.pt").write_bytes(b"not a checkpoint")
    flags = [*QUICK, "--data-dir", str(image_folders), "--out-dir", str(tmp_path), "--resume"]
    assert "is unreadable" in one_line_error(flags, capsys)


def test_checkpoint_of_another_run(reference, image_folders, capsys):
    _, out_dir = reference
    flags = [*QUICK, "--width", "16", "--data-dir", str(image_folders), "--out-dir", str(out_dir)]
    error = one_line_error([*flags, "--resume"], capsys)
    assert "belongs to another run: width 8 (now 16)" in error


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message where CUDA is missing")
def test_cuda_where_there_is_none(image_folders, capsys):
    flags = [*QUICK, "--device", "cuda", "--data-dir", str(image_folders)]
    assert "--device cuda cannot be used here" in one_line_error(flags, capsys)


def test_benchmark_says_what_it_needs(tmp_path, capsys):
    muon = tmp_path / "airbench94_muon.py"
    muon.write_text("")  # found, never imported: the benchmark stops before it would be
    flags = ["--muon", str(muon)]
    if importlib.util.find_spec("airbench") is None:
        assert "pip install airbench" in one_line_error_of(benchmark.main, flags, capsys)
    elif not torch.cuda.is_available():
        assert "needs a CUDA GPU" in one_line_error_of(benchmark.main, flags, capsys)


def test_benchmark_without_airbench94_muon(tmp_path, capsys):
    missing = tmp_path / "airbench94_muon.py"
    error = one_line_error_of(benchmark.main, ["--muon", str(missing)], capsys)
    assert f"airbench94_muon.py is not at {missing}" in error and "pass --muon PATH" in error


@pytest.mark.parametrize("runs", ["0", "-1", "two"])
def test_benchmark_runs_at_least_once(runs, capsys):
    with pytest.raises(SystemExit):
        benchmark.main(["--runs", runs])
    error = capsys.readouterr().err
    assert f"argument --runs: {runs!r} is not a whole number of at least 1" in error


def test_benchmark_writes_our_images_where_both_airbenches_read_them(tmp_path):
    data = cifar10.synthetic_cifar10(train_count=12, test_count=5, seed=3)
    benchmark.write_airbench_data(data, tmp_path)
    for split in ("train", "test"):
        saved = torch.load(tmp_path / "cifar10" / f"{split}.pt", weights_only=True)
        images, labels = getattr(data, f"{split}_images"), getattr(data, f"{split}_labels")
        # uint8 (N, 32, 32, 3), pixels last, which the trainers permute back to (N, 3, 32, 32)
        assert saved["images"].dtype == torch.uint8 and saved["images"].shape[1:] == (32, 32, 3)
        assert torch.equal(saved["images"].permute(0, 3, 1, 2), images)
        assert saved["labels"].dtype == torch.int64 and torch.equal(saved["labels"], labels)
        assert saved["classes"] == cifar10.CIFAR10_CLASSES


def test_benchmark_reads_airbench94_muons_training_time():
    """Its table's last epoch row holds the time of whitening and epochs; the "eval" row after it
    adds the test-time-augmented evaluation, which the benchmark leaves out as for the others."""
    columns = ["run", "epoch", "train_acc", "val_acc", "tta_val_acc", "time_seconds"]
    printed = "\n".join([
        "|     1  |      0  |     0.2500  |   0.3100  |               |        0.9012  |",
        "|        |      7  |     0.9600  |   0.9350  |               |        2.5000  |",
        "|        |   eval  |     0.9600  |   0.9350  |       0.9401  |        2.6100  |",
        "-------------------------------------------------------------------------------",
    ])  # fmt: skip
    assert benchmark.muon_training_seconds(printed, columns) == 2.5
    with pytest.raises(ValueError, match="no epoch rows"):
        benchmark.muon_training_seconds("nothing printed", columns)


class RecordedLoads:
    """Stands for load_torchvision_layout and dist.barrier, recording the calls in order; with
    `offline`, downloading fails, and so does reading what was not downloaded."""

    def __init__(self, offline=False):
        self.calls = []
        self.offline = offline

    def load(self, root, download):
        self.calls.append("download" if download else "read")
        if self.offline:
            raise cifar10.UsageError("could not download" if download else "no such files")
        return "the data"

    def barrier(self):
        self.calls.append("barrier")


@pytest.mark.parametrize(
    ("rank", "world_size", "calls"),
    [(0, 1, ["download"]), (0, 2, ["download", "barrier"]), (1, 2, ["barrier", "read"])],
)
def test_only_rank_0_downloads_while_the_others_wait(rank, world_size, calls, monkeypatch):
    recorded = RecordedLoads()
    monkeypatch.setattr(cifar10, "load_torchvision_layout", recorded.load)
    monkeypatch.setattr(cifar10.dist, "barrier", recorded.barrier)
    assert cifar10.load_data(None, rank, world_size) == "the data"
    assert recorded.calls == calls


@pytest.mark.parametrize(
    ("rank", "calls", "error"),
    [(0, ["download", "barrier"], "could not download"),
     (1, ["barrier", "read"], "rank 0 did not download CIFAR-10 into data/")],
)  # fmt: skip
def test_a_failed_download_releases_and_stops_every_rank(rank, calls, error, monkeypatch):
    recorded = RecordedLoads(offline=True)
    monkeypatch.setattr(cifar10, "load_torchvision_layout", recorded.load)
    monkeypatch.setattr(cifar10.dist, "barrier", recorded.barrier)
    with pytest.raises(cifar10.UsageError, match=error):
        cifar10.load_data(None, rank, world_size=2)
    assert recorded.calls == calls


class RefusingProxy(http.server.BaseHTTPRequestHandler):
    """A web proxy that refuses every request, so the test sees how many the ranks make."""

    def do_CONNECT(self):  # how urllib asks a proxy for an https:// address
        self.server.requests.append(self.path)
        self.send_error(403)

    def log_message(self, format, *args):  # quiet: the test reads the requests instead
        pass


@pytest.fixture
def refusing_proxy():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RefusingProxy)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_two_processes_without_data_download_once(refusing_proxy, tmp_path):
    """Under torchrun with no --data-dir, only rank 0 tries to download CIFAR-10; here it fails
    (the proxy refuses), says so in one line, and releases rank 1, which stops too."""
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone",
                "--nproc_per_node=2", "--log-dir", str(tmp_path / "logs")]  # fmt: skip
    proxy = f"http://127.0.0.1:{refusing_proxy.server_port}"
    env = {key: value for key, value in os.environ.items() if key != "CIFAR10_DATA"}
    env |= {"OMP_NUM_THREADS": "1", "http_proxy": proxy, "https_proxy": proxy}
    finished = subprocess.run([*torchrun, str(SCRIPT), *QUICK], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=600)  # fmt: skip
    assert finished.returncode != 0
    assert "cifar10.py: error: could not download CIFAR-10 into data/" in finished.stderr
    assert refusing_proxy.requests == ["www.cs.toronto.edu:443"]  # one request: rank 0's


def test_page_shows_a_full_gpu_run():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    outputs = [output for cell in notebook.cells for output in cell.get("outputs", [])]
    text = "".join(output.get("text", "") for output in outputs)
    assert f"epoch {cifar10.EPOCHS}/{cifar10.EPOCHS}: 100%" in text
    summary = re.search(r"\(TTA\) \| .+ training \| .+ images/s \| (?P<device>.+) \| torch", text)
    assert summary and not summary["device"].startswith("cpu")
    plots = [output for output in outputs if "image/png" in output.get("data", {})]
    assert len(plots) == 2  # the curves and the confusion matrix


def test_weight_decay_through_the_momentum():
    """make_optimizer's figures: at the peak rate a tensor whose loss gradient is zero shrinks
    0.37% at the first step and 1.435% per step once its momentum buffer has filled, seven times
    the 0.2% of WEIGHT_DECAY alone, in every parameter group alike."""
    data = cifar10.synthetic_cifar10(train_count=64, test_count=1)
    model = cifar10.make_model(data, width=4, device=torch.device("cpu"))
    optimizer = cifar10.make_optimizer(model)
    total_steps = 100
    peak = round(cifar10.LR_PEAK_AT * total_steps)
    cifar10.set_rates(optimizer, peak, total_steps, epoch=0)
    assert optimizer.param_groups[0]["lr"] == cifar10.LEARNING_RATE
    tensors = [tensor for group in optimizer.param_groups for tensor in group["params"]]
    with torch.no_grad():
        for tensor in tensors:
            tensor.fill_(1.0)  # batch-norm biases start at zero; any other start shrinks alike

    def shrink_of_one_step():
        before = torch.stack([tensor.detach().norm() for tensor in tensors])
        for tensor in tensors:
            tensor.grad = torch.zeros_like(tensor)
        optimizer.step()
        return 1 - torch.stack([tensor.detach().norm() for tensor in tensors]) / before

    first = shrink_of_one_step()
    for _ in range(200):
        steady = shrink_of_one_step()
    assert torch.allclose(first, torch.tensor(0.0037), atol=1e-5)
    assert torch.allclose(steady, torch.tensor(0.01435), atol=5e-5)
    assert round(steady.mean().item() / cifar10.WEIGHT_DECAY) == 7


def test_dry_run_fails_when_the_network_does_not_learn(monkeypatch, capsys):
    monkeypatch.setattr(cifar10, "learning_rate", lambda step, total_steps: 0.0)
    with pytest.raises(AssertionError, match="it did not learn"):
        cifar10.main(["--dry-run", "--device", "cpu"])


def test_compiled_bfloat16_gradients_are_finite():
    """The model compiled and under bfloat16 autocast, as it trains on a GPU, has finite gradients.

    With torch.amax in its head they were NaN (pytorch/pytorch#186799), which only a GPU run
    showed: on a CPU the program neither compiles nor autocasts by default.
    """
    data = cifar10.synthetic_cifar10(train_count=64, test_count=1)
    model = cifar10.make_model(data, width=4, device=torch.device("cpu"))
    cifar10.init_whitening(model.whiten, model.normalize(data.train_images))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        logits = torch.compile(model)(data.train_images)
        torch.nn.functional.cross_entropy(logits, data.train_labels).backward()
    gradients = [p.grad for p in model.parameters() if p.requires_grad]
    assert all(gradient.isfinite().all() for gradient in gradients)
