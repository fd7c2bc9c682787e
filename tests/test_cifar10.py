"""The CIFAR-10 example, snippets/cifar10.py, in quick mode: on a CPU, offline, on generated data.

Quick mode is the real program with small flags (--width 8, 4 epochs of 10 batches) on 500
learnable generated images, written to disk in both layouts the program reads.
"""

import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import cifar10
import jupytext
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


def test_benchmark_says_what_it_needs(capsys):
    import cifar10_vs_airbench as benchmark  # imports airbench only when it runs

    if importlib.util.find_spec("airbench") is None:
        assert "pip install airbench" in one_line_error_of(benchmark.main, [], capsys)
    elif not torch.cuda.is_available():
        assert "needs a CUDA GPU" in one_line_error_of(benchmark.main, [], capsys)


def test_page_is_the_script():
    """The page's notebook holds the script's cells, nothing else; outputs come from a run."""
    script = jupytext.read(SCRIPT)
    notebook = nbformat.read(NOTEBOOK, as_version=4)

    def cells(document):
        return [(cell.cell_type, cell.source) for cell in document.cells]

    assert cells(notebook) == cells(script), (
        "docs/examples/cifar10.ipynb is stale: on a GPU run `nox -s cifar10`; if only prose or "
        "comments changed, `jupytext --update --to ipynb snippets/cifar10.py "
        "-o docs/examples/cifar10.ipynb` keeps the outputs"
    )


def test_page_shows_a_full_gpu_run():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    outputs = [output for cell in notebook.cells for output in cell.get("outputs", [])]
    text = "".join(output.get("text", "") for output in outputs)
    assert f"epoch {cifar10.EPOCHS}/{cifar10.EPOCHS}: 100%" in text
    summary = re.search(r"\(TTA\) \| .+ training \| .+ images/s \| (?P<device>.+) \| torch", text)
    assert summary and not summary["device"].startswith("cpu")
    plots = [output for output in outputs if "image/png" in output.get("data", {})]
    assert len(plots) == 2  # the curves and the confusion matrix


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
