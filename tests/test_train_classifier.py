"""snippets/train_classifier.py in quick mode: on a CPU, offline, on generated data.

Quick mode is the real program with small flags (width 8, 4 epochs of 10 batches) on 640
learnable generated images, written to disk in both layouts it reads.
"""

import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import jupytext
import nbformat
import pytest
import torch
import torchvision
import train_classifier
from fake_cifar10 import write_cifar10_batches, write_image_folders
from PIL import Image

ROOT = Path(__file__).parent.parent
SCRIPT = ROOT / "snippets" / "train_classifier.py"
NOTEBOOK = ROOT / "docs" / "examples" / "classifier.ipynb"
QUICK = ["--epochs", "4", "--batch-size", "64", "--lr", "0.05", "--width", "8", "--workers", "0",
         "--device", "cpu"]  # fmt: skip
SUMMARY = re.compile(
    r"test accuracy \d+\.\d\d% \| \d+\.\d s training, \d epochs \| cpu \(1 thread\) \| torch \S+"
)


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """One thread: the runs are then reproducible bit for bit, and fast on a shared machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def data():
    """The generated samples, also as the tensors that fake_cifar10's writers take."""
    train, test, classes, _ = train_classifier.generated_data(640, 200, seed=1)

    def stacked(samples):
        images, labels = zip(*samples, strict=True)
        return torch.stack(images), torch.tensor(labels)

    (train_images, train_labels), (test_images, test_labels) = stacked(train), stacked(test)
    return SimpleNamespace(train_images=train_images, train_labels=train_labels,
                           test_images=test_images, test_labels=test_labels,
                           classes=classes)  # fmt: skip


@pytest.fixture(scope="module")
def image_folders(data, tmp_path_factory):
    root = tmp_path_factory.mktemp("image-folders")
    write_image_folders(root, data)
    return root


@pytest.fixture(scope="module")
def reference(image_folders, tmp_path_factory):
    """An uninterrupted quick-mode run on the ImageFolder tree: its results and out folder."""
    out_dir = tmp_path_factory.mktemp("reference")
    flags = [*QUICK, "--data-dir", str(image_folders), "--out-dir", str(out_dir)]
    return train_classifier.main(flags), out_dir


def test_learns_from_image_folders(reference, capsys):
    results, out_dir = reference
    assert results["test_accuracy"] > 0.6  # chance is 0.1
    assert "(ImageFolder)" in results["data"] and results["epochs"] == 4
    assert sorted(results["per_class_accuracy"]) == [f"class {label}" for label in range(10)]
    assert sum(map(sum, results["confusion_matrix"])) == 200
    assert sorted(path.name for path in out_dir.iterdir()) == ["checkpoint.pt", "results.json"]


def test_prints_the_confusion_matrix(image_folders, tmp_path, capsys):
    flags = [*QUICK, "--data-dir", str(image_folders), "--out-dir", str(tmp_path)]
    train_classifier.main([*flags, "--epochs", "1"])
    lines = capsys.readouterr().out.splitlines()
    assert re.fullmatch(r"epoch  1/1: train loss \d\.\d{3} \| test loss \d\.\d{3} \| "
                        r"test accuracy \d+\.\d%", lines[1])  # fmt: skip
    assert lines[2].startswith("true class") and lines[2].endswith("     8     9")
    row = re.compile(r" ?\d class \d +\d+\.\d% +(?P<counts>[\d ]+)")
    rows = [row.fullmatch(line) for line in lines[3:13]]
    assert all(rows) and sum(sum(map(int, row["counts"].split())) for row in rows) == 200
    assert SUMMARY.fullmatch(lines[-1])


def test_learns_from_the_torchvision_folder(data, tmp_path, monkeypatch):
    """Without --data-dir, torchvision's CIFAR10(download=True) finds the files already there;
    with it, CIFAR10(download=False) reads them."""
    md5 = write_cifar10_batches(tmp_path / "data", data)
    # torchvision checks each file against the md5 of the real CIFAR-10; generated files cannot
    # match those, so the test declares its own files' sums where torchvision keeps them.
    dataset = torchvision.datasets.CIFAR10
    train_list = [[name, md5[name]] for name, _ in dataset.train_list]
    monkeypatch.setattr(dataset, "train_list", train_list)
    monkeypatch.setattr(dataset, "test_list", [["test_batch", md5["test_batch"]]])
    monkeypatch.setattr(dataset, "meta", {**dataset.meta, "md5": md5["batches.meta"]})
    monkeypatch.chdir(tmp_path)
    results = train_classifier.main(QUICK)
    assert results["test_accuracy"] > 0.6
    assert results["data"] == "CIFAR-10 in data/ (torchvision)"
    assert (tmp_path / "runs" / "classifier" / "results.json").is_file()
    again = train_classifier.main([*QUICK, "--data-dir", "data", "--out-dir", "again"])
    assert again["history"] == results["history"]  # the same files, through --data-dir


def test_resume_after_a_kill_matches_an_unbroken_run(reference, image_folders, tmp_path):
    """Killed in its second epoch, with two loader workers; resumed without workers: the same
    weights and figures as the unbroken run."""
    results, reference_dir = reference
    flags = [*QUICK, "--data-dir", str(image_folders), "--out-dir", str(tmp_path)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}  # one thread, as the reference run
    process = subprocess.Popen([sys.executable, str(SCRIPT), *flags, "--workers", "2"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    checkpoint = tmp_path / "checkpoint.pt"
    deadline = time.monotonic() + 600
    while not checkpoint.exists():  # the first epoch is done: kill it in the second
        assert process.poll() is None, "the run ended before writing a checkpoint"
        assert time.monotonic() < deadline, "no checkpoint after 10 minutes"
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL
    assert 1 <= torch.load(checkpoint, weights_only=True)["epochs_done"] < 4
    assert not (tmp_path / "results.json").exists()
    resumed = train_classifier.main([*flags, "--resume"])
    assert resumed["history"][-1] == results["history"][-1]
    assert resumed["confusion_matrix"] == results["confusion_matrix"]
    final, unbroken = (torch.load(folder / "checkpoint.pt", weights_only=True)
                       for folder in (tmp_path, reference_dir))  # fmt: skip
    assert final["model"].keys() == unbroken["model"].keys()
    assert all(torch.equal(final["model"][key], unbroken["model"][key]) for key in final["model"])
    assert final["scheduler"]["last_epoch"] == unbroken["scheduler"]["last_epoch"] == 40


def test_checkpoint_loads_with_weights_only(reference):
    _, out_dir = reference
    state = torch.load(out_dir / "checkpoint.pt", weights_only=True)
    assert state["program"] == "train_classifier.py" and state["epochs_done"] == 4
    model = train_classifier.Net(width=8, num_classes=10)
    assert not model.load_state_dict(state["model"]).missing_keys
    assert {"optimizer", "scheduler", "rng", "recipe", "history"} <= state.keys()


def one_line_error(argv, capsys):
    """The program's error for argv: it exits non-zero with exactly one line, no traceback."""
    with pytest.raises(SystemExit) as exited:
        train_classifier.main(argv)
    code = exited.value.code
    message = code if isinstance(code, str) else capsys.readouterr().err  # argparse prints
    assert code not in (0, None)
    lines = message.strip().splitlines()
    assert len(lines) == 1, message
    return lines[0]


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["--epochs", "0"], "argument --epochs: '0' is not a whole number of at least 1"),
        (["--batch-size", "many"], "argument --batch-size: 'many' is not a whole number"),
        (["--device", "tpu0"], "argument --device: 'tpu0' is not a device"),
        (["--no-such-flag"], "unrecognized arguments: --no-such-flag"),
    ],
)
def test_nonsense_flags(flags, expected, capsys):
    assert expected in one_line_error(flags, capsys)


def test_missing_data_folder(tmp_path, capsys):
    error = one_line_error([*QUICK, "--data-dir", str(tmp_path / "nowhere")], capsys)
    assert "No such file or directory" in error and "expected train/<class>/*.jpg" in error


def test_data_folder_without_test_images(image_folders, tmp_path, capsys):
    (tmp_path / "train").symlink_to(image_folders / "train")
    error = one_line_error([*QUICK, "--data-dir", str(tmp_path)], capsys)
    assert "expected test/<class>/*.jpg" in error


def test_data_folder_with_other_classes(image_folders, tmp_path, capsys):
    (tmp_path / "train").symlink_to(image_folders / "train")
    (tmp_path / "test" / "owl").mkdir(parents=True)
    Image.new("RGB", (32, 32)).save(tmp_path / "test" / "owl" / "0.png")
    error = one_line_error([*QUICK, "--data-dir", str(tmp_path)], capsys)
    assert "train/ and test/ have other classes" in error


@pytest.mark.parametrize(("content", "expected"), [
    (None, "big.png is 64x64 pixels, not 32x32"),
    (b"not an image", "big.png is not a readable image"),
])  # fmt: skip
def test_bad_image(tmp_path, capsys, content, expected):
    for split in ("train", "test"):
        (tmp_path / split / "cat").mkdir(parents=True)
        image = tmp_path / split / "cat" / "big.png"
        if content is None:
            Image.new("RGB", (64, 64)).save(image)
        else:
            image.write_bytes(content)
    assert one_line_error([*QUICK, "--data-dir", str(tmp_path)], capsys).endswith(expected)


def test_no_data_and_no_network(tmp_path, monkeypatch, capsys):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("network is unreachable")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    monkeypatch.chdir(tmp_path)
    error = one_line_error(QUICK, capsys)
    assert "could not download CIFAR-10 into data/" in error and "pass --data-dir" in error


def test_batch_larger_than_the_training_set(image_folders, tmp_path, capsys):
    flags = [*QUICK, "--batch-size", "641", "--data-dir", str(image_folders)]
    error = one_line_error([*flags, "--out-dir", str(tmp_path)], capsys)
    assert "--batch-size 641 is larger than the 640 training images" in error


def test_resume_without_a_checkpoint(image_folders, tmp_path, capsys):
    flags = [*QUICK, "--data-dir", str(image_folders), "--out-dir", str(tmp_path), "--resume"]
    assert "there is no checkpoint" in one_line_error(flags, capsys)


def test_corrupt_checkpoint(image_folders, tmp_path, capsys):
    (tmp_path / "checkpoint.pt").write_bytes(b"not a checkpoint")
    flags = [*QUICK, "--data-dir", str(image_folders), "--out-dir", str(tmp_path), "--resume"]
    assert "is unreadable" in one_line_error(flags, capsys)


def test_checkpoint_of_another_program(image_folders, tmp_path, capsys):
    torch.save({"model": {}, "config": {"width": 8}}, tmp_path / "checkpoint.pt")
    flags = [*QUICK, "--data-dir", str(image_folders), "--out-dir", str(tmp_path), "--resume"]
    assert "is not a checkpoint of train_classifier.py" in one_line_error(flags, capsys)


def test_checkpoint_of_another_run(reference, image_folders, capsys):
    _, out_dir = reference
    flags = [*QUICK, "--lr", "0.1", "--data-dir", str(image_folders), "--out-dir", str(out_dir)]
    error = one_line_error([*flags, "--resume"], capsys)
    assert "belongs to another run: lr 0.05 (now 0.1)" in error


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message where CUDA is missing")
def test_cuda_where_there_is_none(image_folders, capsys):
    flags = [*QUICK, "--device", "cuda", "--data-dir", str(image_folders)]
    assert "--device cuda cannot be used here" in one_line_error(flags, capsys)


def test_bad_input_from_the_command_line(tmp_path):
    """As a user meets it: one line on stderr, exit status 1, no traceback."""
    flags = [*QUICK, "--data-dir", str(tmp_path)]
    finished = subprocess.run([sys.executable, str(SCRIPT), *flags], capture_output=True,
                              text=True, timeout=600)  # fmt: skip
    assert finished.returncode == 1
    [line] = finished.stderr.strip().splitlines()
    assert line.startswith("train_classifier.py: error: --data-dir ")


def test_page_says_which_run_its_outputs_are_from():
    """A CPU run's outputs are labelled as such at the top, never passed off as a GPU run."""
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    outputs = [output for cell in notebook.cells for output in cell.get("outputs", [])]
    text = "".join(output.get("text", "") for output in outputs)
    summary = re.search(r"training, \d+ epochs \| (?P<device>.+) \| torch", text)
    assert summary, "the page shows no finished run"
    on_cpu = summary["device"].startswith("cpu")
    assert on_cpu == ("outputs below are from a CPU run" in notebook.cells[0].source)


def test_page_links_reach_their_sections():
    """Each link to another page names a page and an H2 that exist (headings get renamed)."""
    text = "".join(cell.source for cell in jupytext.read(SCRIPT).cells)
    links = re.findall(r"\]\(\.\./\.\./(?P<page>[\w/-]+)/(?:#(?P<anchor>[\w-]+))?\)", text)
    assert len(links) > 10
    for page, anchor in links:
        markdown = (ROOT / "docs" / f"{page}.md").read_text()
        headings = re.findall(r"^## (.+)$", markdown, flags=re.M)
        # The slug that Markdown's toc extension gives a heading, as the site's anchors.
        slugs = [
            re.sub(r"[-\s]+", "-", re.sub(r"[^\w\s-]", "", h).strip().lower()) for h in headings
        ]
        assert not anchor or anchor in slugs, f"{page}.md has no section #{anchor}"
