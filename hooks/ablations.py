"""Fill the ablations page from the JSON that benchmarks/cifar10_ablations.py wrote.

A page's `{{ ablations:scale }}` becomes the sentence that says where, on what and at which
scale the figures were measured; `{{ ablations:QUESTION }}` the table of that question's
variants; `{{ ablations:QUESTION:epochs }}` a table and an inline SVG plot of their test
accuracy after each epoch. The full-scale GPU results are used where they exist, else the
reduced CPU ones. No figure on the page is typed by hand.
"""

import json
import math
import os
import re
from html import escape
from pathlib import Path

from mkdocs.exceptions import PluginError

DEFAULT_RESULTS = Path(__file__).parent.parent / "benchmarks" / "results"
RESULTS = Path(os.environ.get("ABLATIONS_RESULTS", DEFAULT_RESULTS))
FILES = ["cifar10_ablations_gpu.json", "cifar10_ablations_cpu.json"]  # the first found is used
PLACEHOLDER = re.compile(r"\{\{ ablations:(?P<question>\w+)(?::(?P<view>\w+))? \}\}")
COLORS = ["#e65100", "#1565c0", "#2e7d32", "#6a1b9a", "#00838f"]  # one per line of a plot


def on_page_markdown(markdown, page, config, files):
    if not PLACEHOLDER.search(markdown):
        return markdown
    results = load(RESULTS)
    return PLACEHOLDER.sub(
        lambda match: render(results, match["question"], match["view"]), markdown
    )


def load(folder):
    """The results to show, checked to hold what the page needs; PluginError if they do not.

    mkdocs reports a PluginError as one line and stops the build, with no traceback.
    """
    path = next((folder / name for name in FILES if (folder / name).is_file()), None)
    if path is None:
        raise PluginError(
            f"hooks/ablations.py: no {' or '.join(FILES)} in {folder}: run "
            "benchmarks/cifar10_ablations.py (see its --help)"
        )
    try:
        results = json.loads(path.read_text())
        check(results)
    except (ValueError, KeyError, TypeError) as error:
        raise PluginError(f"hooks/ablations.py: {path} is malformed: {error}") from None
    return results


def check(results):
    """Raise KeyError, TypeError or ValueError where a figure the page shows is missing."""
    for key in ("device", "torch", "date", "data", "seeds"):
        if not results[key]:
            raise ValueError(f"{key!r} is empty")
    for key in ("name", "train_images", "test_images", "epochs", "width", "batch_size"):
        if key not in results["scale"]:
            raise KeyError(key)
    for key, question in results["questions"].items():
        for name in question["variants"]:
            if name not in results["variants"]:
                raise ValueError(f"question {key!r} names the unmeasured variant {name!r}")
    for name, variant in results["variants"].items():
        epochs = variant["epoch_accuracy"]
        if len(epochs) != results["scale"]["epochs"]:
            raise ValueError(f"variant {name!r} has {len(epochs)} epochs of accuracy")
        figures = [variant["parameters"], variant["train_seconds"]["mean"]]
        figures += [variant["test_accuracy"][key] for key in ("mean", "std")]
        figures += [epoch[key] for epoch in epochs for key in ("mean", "std")]
        if not all(isinstance(figure, int | float) for figure in figures):
            raise TypeError(f"variant {name!r} has a figure that is not a number")


def render(results, question, view):
    if question == "scale" and view is None:
        return scale_sentence(results)
    if question not in results["questions"]:
        known = ", ".join(["scale", *results["questions"]])
        raise PluginError(f"hooks/ablations.py: no question {question!r} (known: {known})")
    if view is None:
        return table(results, question)
    if view == "epochs":
        return epoch_table(results, question) + "\n\n" + plot(results, question)
    raise PluginError(f"hooks/ablations.py: {{{{ ablations:{question}:{view} }}}}: use :epochs")


def scale_sentence(results):
    scale = results["scale"]
    threads = results.get("threads")
    device = results["device"] + (f" ({threads} thread{'s' * (threads > 1)})" if threads else "")
    text = (
        f"Measured at the **{scale['name']}**: {scale['train_images']:,} training images, "
        f"{scale['test_images']:,} test images, {scale['epochs']} epochs, width "
        f"{scale['width']}, batch {scale['batch_size']}, {results['seeds']} seeds per variant; "
        f"on {device} with torch {results['torch']}, {results['date']}. Data: {results['data']}."
    )
    if results["device"] == "CPU":
        text += (
            " These are reduced-scale figures from a CPU: a table measured on a GPU at full scale "
            "(all 50,000 training images) replaces them when a GPU run exists."
        )
    return text


def percent(fraction):
    return f"{100 * fraction:.1f}%"


def table(results, question):
    """One row per variant: parameters, test accuracy, its difference to the base, time."""
    variants = results["variants"]
    base = variants["base"]["test_accuracy"]["mean"] if "base" in variants else None
    rows = [
        "| variant | parameters | test accuracy (mean ± std) | vs base | training time |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name in results["questions"][question]["variants"]:
        variant = variants[name]
        accuracy = variant["test_accuracy"]
        difference = "" if base is None or name == "base" else points(accuracy["mean"] - base)
        seconds = variant["train_seconds"]["mean"]
        rows.append(
            f"| {variant['label']} | {variant['parameters']:,} | {percent(accuracy['mean'])} ± "
            f"{100 * accuracy['std']:.1f} | {difference} | {seconds:.1f} s |"
        )
    return "\n".join(rows)


def points(difference):
    return f"{100 * difference:+.1f} points"


def epoch_table(results, question):
    """Test accuracy after each epoch (mean over the seeds), one column per variant."""
    names = results["questions"][question]["variants"]
    variants = [results["variants"][name] for name in names]
    rows = [
        "| epoch | " + " | ".join(variant["label"] for variant in variants) + " |",
        "| ---: |" + " ---: |" * len(variants),
    ]
    for epoch, accuracies in enumerate(
        zip(*(v["epoch_accuracy"] for v in variants), strict=True), start=1
    ):
        rows.append(f"| {epoch} | " + " | ".join(percent(a["mean"]) for a in accuracies) + " |")
    return "\n".join(rows)


def plot(results, question, width=480, height=240, margin=40):
    """Accuracy per epoch as an inline SVG line chart: nothing to load, in the theme's colors."""
    names = results["questions"][question]["variants"]
    variants = [results["variants"][name] for name in names]
    epochs = results["scale"]["epochs"]
    best = max(accuracy["mean"] for v in variants for accuracy in v["epoch_accuracy"])
    top = max(math.ceil(10 * best), 1) / 10  # the y axis ends at the next 10% above the best
    legend = 16 * len(variants)  # one line per variant, above the axes, so no line crosses it

    def x(epoch):
        return margin + (width - 2 * margin) * (epoch - 1) / max(epochs - 1, 1)

    def y(accuracy):
        return height - margin - (height - 2 * margin - legend) * accuracy / top

    title = results["questions"][question]["title"]
    parts = [
        f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="test accuracy after each epoch: {escape(title)}">',
        f'<g stroke="currentColor" fill="none"><path d="M{margin} {y(top):.1f}V{height - margin}'
        f'H{width - margin}"/></g>',
        f'<g fill="currentColor" font-size="12"><text x="{width / 2}" y="{height - 8}" '
        f'text-anchor="middle">epoch</text>',
    ]
    for epoch in range(1, epochs + 1):
        parts.append(f'<text x="{x(epoch):.1f}" y="{height - margin + 16}" '
                     f'text-anchor="middle">{epoch}</text>')  # fmt: skip
    for tick in (0, top / 2, top):
        parts.append(f'<text x="{margin - 6}" y="{y(tick) + 4:.1f}" '
                     f'text-anchor="end">{100 * tick:.0f}%</text>')  # fmt: skip
    parts.append("</g>")
    for index, variant in enumerate(variants):
        color = COLORS[index % len(COLORS)]
        line = " ".join(
            f"{x(epoch):.1f},{y(accuracy['mean']):.1f}"
            for epoch, accuracy in enumerate(variant["epoch_accuracy"], start=1)
        )
        parts.append(f'<polyline points="{line}" fill="none" stroke="{color}" '
                     f'stroke-width="2"/>')  # fmt: skip
        parts.append(f'<text x="{margin + 8}" y="{margin / 2 + 16 * index}" font-size="12" '
                     f'fill="{color}">{escape(variant["label"])}</text>')  # fmt: skip
    parts.append("</svg>")
    return '<figure class="ablations-plot">\n' + "".join(parts) + "\n</figure>"
