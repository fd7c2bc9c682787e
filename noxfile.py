"""Check and build the torch cheat sheet: `nox` runs doctest, tests, docs and lint."""

from pathlib import Path

import nox

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_venv = "yes"

PYPROJECT = nox.project.load_toml("pyproject.toml")


def install(session, group):
    session.install(*nox.project.dependency_groups(PYPROJECT, group))


@nox.session
def doctest(session):
    """Run every snippet on every page, then the snippets/ programs in quick mode."""
    install(session, "doctest")
    session.run("pytest", *(session.posargs or ["docs"]))
    if not session.posargs:
        for program in sorted(Path("snippets").glob("*.py")):
            session.run("python", str(program), "--dry-run")


@nox.session
def tests(session):
    """Test the machinery: fence guard, copyable sections, the built site."""
    install(session, "tests")
    session.run("pytest", "tests", *session.posargs)


@nox.session
def docs(session):
    """Build the site with mkdocs --strict into site/."""
    install(session, "docs")
    session.run("mkdocs", "build", "--strict")


@nox.session(default=False)
def serve(session):
    """Build the site and serve it on http://127.0.0.1:8000."""
    install(session, "docs")
    session.run("mkdocs", "serve", "--strict", "--dev-addr", "127.0.0.1:8000")


@nox.session
def lint(session):
    """Check style with ruff: lint rules and formatting."""
    install(session, "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
