"""The CIFAR-10 ablations: the benchmark's dry run writes a complete JSON, and the build hook
turns such a JSON into the page's tables or stops the build with one clear line."""

import json
import re

import ablations  # hooks/ablations.py
import cifar10_ablations  # benchmarks/cifar10_ablations.py
import pytest
import torch
from mkdocs.exceptions import PluginError
from pages import DOCS

PAGE = DOCS / "examples" / "ablations.md"


def variant(label, accuracy, epochs, parameters=1000):
    return {
        "label": label,
        "changes": {},
        "parameters": parameters,
        "test_accuracy": {"mean": accuracy, "std": 0.01, "runs": [accuracy] * 3},
        "epoch_accuracy": [
            {"mean": accuracy * (e + 1) / epochs, "std": 0.0} for e in range(epochs)
        ],
        "train_seconds": {"mean": 12.34, "std": 0.5},
    }


def small_results(device="CPU"):
    """A hand-made JSON in the benchmark's format: two variants, one question, two epochs."""
    return {
        "device": device,
        "threads": 1 if device == "CPU" else None,
        "torch": "2.15.0",
        "date": "2026-01-02",
        "data": "test data",
        "scale": {
            "name": "reduced CPU scale",
            "train_images": 4000,
            "test_images": 2000,
            "epoch_test_images": 2000,
            "epochs": 2,
            "width": 16,
            "batch_size": 128,
        },
        "seeds": 3,
        "questions": {"batch_norm": {"title": "Batch norm", "variants": ["base", "no_bn"]}},
        "variants": {"base": variant("base", 0.6, 2), "no_bn": variant("no batch norm", 0.5, 2)},
    }


def write(folder, name, content):
    path = folder / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return folder


@pytest.fixture(scope="module")
def dry_run(tmp_path_factory):
    threads = torch.get_num_threads()
    out = tmp_path_factory.mktemp("ablations") / "ablations.json"
    try:
        returned = cifar10_ablations.main(["--dry-run", "--threads", "1", "--out", str(out)])
    finally:
        torch.set_num_threads(threads)
    return returned, json.loads(out.read_text())


def test_dry_run_writes_every_variant_with_every_seed(dry_run):
    returned, written = dry_run
    assert written == returned
    assert set(written["variants"]) == set(cifar10_ablations.VARIANTS)
    for name, result in written["variants"].items():
        assert len(result["test_accuracy"]["runs"]) == 3, name
        assert len(result["epoch_accuracy"]) == written["scale"]["epochs"], name
        assert result["parameters"] > 0 and result["train_seconds"]["mean"] > 0, name
    assert written["device"] == "CPU" and written["torch"] == torch.__version__
    assert written["data"].startswith("generated")
    assert written["variants"]["base"]["test_accuracy"]["mean"] > 0.5  # chance is 0.1


def test_variants_change_what_their_question_asks(dry_run):
    _, written = dry_run
    variants = written["variants"]
    assert variants["kernel7"]["changes"] == {"kernel_size": 7}
    assert variants["base"]["changes"] == {}
    assert variants["double_width"]["parameters"] > variants["base"]["parameters"]
    assert variants["flatten"]["parameters"] > variants["base"]["parameters"]


def test_hook_renders_the_dry_run(dry_run, tmp_path):
    _, written = dry_run
    results = ablations.load(write(tmp_path, "cifar10_ablations_cpu.json", written))
    for question in written["questions"]:
        assert ablations.render(results, question, None).count("\n") >= 3
    assert "<svg" in ablations.render(results, "batch_norm", "epochs")


def test_table_rows_from_a_hand_made_json():
    table = ablations.table(small_results(), "batch_norm")
    lines = table.splitlines()
    assert lines[0].startswith("| variant | parameters | test accuracy (mean ± std) |")
    assert lines[2] == "| base | 1,000 | 60.0% ± 1.0 |  | 12.3 s |"
    assert lines[3] == "| no batch norm | 1,000 | 50.0% ± 1.0 | -10.0 points | 12.3 s |"


def test_epochs_table_and_plot():
    rendered = ablations.render(small_results(), "batch_norm", "epochs")
    assert "| epoch | base | no batch norm |" in rendered
    assert "| 2 | 60.0% | 50.0% |" in rendered
    svg = re.search(r"<svg.*</svg>", rendered, re.S)[0]
    assert svg.count("<polyline") == 2 and "http" not in svg  # nothing to fetch


def test_scale_sentence_says_reduced_cpu_scale_and_what_replaces_it():
    sentence = ablations.render(small_results(), "scale", None)
    assert "**reduced CPU scale**: 4,000 training images" in sentence
    assert "on CPU (1 thread) with torch 2.15.0, 2026-01-02" in sentence
    assert "GPU at full scale" in sentence
    assert "replaces" not in ablations.render(small_results("NVIDIA H100"), "scale", None)


def test_gpu_results_replace_the_cpu_ones(tmp_path):
    write(tmp_path, "cifar10_ablations_cpu.json", small_results())
    write(tmp_path, "cifar10_ablations_gpu.json", small_results("NVIDIA H100"))
    assert ablations.load(tmp_path)["device"] == "NVIDIA H100"


def one_line(error):
    message = str(error.value)
    assert "\n" not in message and message.startswith("hooks/ablations.py: ")
    return message


def test_missing_json_is_one_clear_line(tmp_path):
    with pytest.raises(PluginError) as error:
        ablations.load(tmp_path)
    assert "no cifar10_ablations_gpu.json or cifar10_ablations_cpu.json in" in one_line(error)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "is malformed: Expecting property name"),
        ({**small_results(), "scale": {}}, "is malformed: 'name'"),
        ({**small_results(), "device": ""}, "is malformed: 'device' is empty"),
        (
            {**small_results(), "variants": {"base": variant("base", 0.6, 2)}},
            "names the unmeasured variant 'no_bn'",
        ),
        (
            {
                **small_results(),
                "variants": {
                    "base": variant("base", 0.6, 1),
                    "no_bn": variant("no batch norm", 0.5, 2),
                },
            },
            "variant 'base' has 1 epochs of accuracy",
        ),
    ],
)
def test_malformed_json_is_one_clear_line(tmp_path, content, expected):
    with pytest.raises(PluginError) as error:
        ablations.load(write(tmp_path, "cifar10_ablations_cpu.json", content))
    assert expected in one_line(error)


def test_unknown_placeholder_is_one_clear_line(tmp_path, monkeypatch):
    monkeypatch.setattr(ablations, "RESULTS", write(tmp_path, "results.json", small_results()))
    monkeypatch.setattr(ablations, "FILES", ["results.json"])
    markdown = "# Title\n\n{{ ablations:colour }}\n"
    with pytest.raises(PluginError) as error:
        ablations.on_page_markdown(markdown, None, None, None)
    assert "no question 'colour' (known: scale, batch_norm)" in one_line(error)


def test_page_types_no_figure_by_hand():
    """Every figure on the page comes from a placeholder: the prose has no measured numbers."""
    prose = ablations.PLACEHOLDER.sub("", PAGE.read_text())
    assert not re.search(r"\d\s*(%|points?\b|seconds?\b|s\b|x faster)", prose)
    assert "{{ ablations:scale }}" in PAGE.read_text()


def test_page_has_a_table_for_every_question():
    page = PAGE.read_text()
    for question in cifar10_ablations.QUESTIONS:
        assert f"{{{{ ablations:{question} }}}}" in page, question
    rendered = ablations.on_page_markdown(page, None, None, None)
    assert "{{" not in rendered


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["--variants", "kernel5"], "give base and any of"),
        (["--seeds", "1"], "argument --seeds: invalid choice"),
        ([], "--data-dir is required"),
    ],
)
def test_nonsense_flags(flags, expected, capsys):
    with pytest.raises(SystemExit) as exited:
        cifar10_ablations.main([*flags, "--scale", "cpu"])
    assert exited.value.code == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert expected in line
