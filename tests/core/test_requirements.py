"""The production install: pinned with hashes, in step with what the tests ran, and `check --deploy` clean.

Issue 21: "`manage.py check --deploy --fail-level WARNING` passes with the
documented production settings; the pinned dependencies carry hashes and the
production install uses `--require-hashes`."
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import tomllib

from tests.conftest import ROOT

PRODUCTION = ROOT / "requirements" / "production.txt"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._\-]*)==(\S+)", re.MULTILINE)


def normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(text: str) -> dict[str, str]:
    return {normalised(name): version for name, version in PIN.findall(text)}


def requirements() -> list[str]:
    """Each requirement of production.txt with its continuation lines, one string each."""
    return [block for block in re.split(r"\n(?=\S)", PRODUCTION.read_text()) if PIN.match(block)]


def test_the_production_pins_are_the_versions_the_tests_ran_with():
    production = pins(PRODUCTION.read_text())
    tested = pins((ROOT / "constraints.txt").read_text())
    assert production, "requirements/production.txt pins nothing"
    differing = {
        name: (version, tested.get(name)) for name, version in production.items() if tested.get(name) != version
    }
    assert differing == {}, "run `make requirements` after changing constraints.txt"


def test_every_runtime_dependency_is_pinned_with_its_hashes():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"]["sentry"]]
    names = {normalised(re.split(r"[\[<>=!~;\s]", requirement, maxsplit=1)[0]) for requirement in wanted}
    production = pins(PRODUCTION.read_text())
    assert names - set(production) == set(), "run `make requirements` after changing pyproject.toml"
    unhashed = [block.split()[0] for block in requirements() if "--hash=sha256:" not in block]
    assert unhashed == []
    # No development tool in production: they are the tests' (pyproject's dev extra).
    assert not {"pytest", "playwright", "moto", "mypy", "ruff"} & set(production)


def test_the_image_installs_with_require_hashes():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install --require-hashes --no-deps -r requirements/production.txt" in dockerfile
    assert "constraints.txt" not in dockerfile


def documented_environment() -> dict[str, str]:
    """The variables of docs/deploy.md's /etc/comptoir/comptoir.env, as written there."""
    guide = (ROOT / "docs" / "deploy.md").read_text()
    block = guide.split("`/etc/comptoir/comptoir.env`:", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    variables = dict(line.split("=", 1) for line in block.splitlines() if "=" in line and not line.startswith("#"))
    assert variables["SECRET_KEY"].startswith("<"), "the guide shows how to make a secret, not a secret"
    return variables


def test_check_deploy_passes_with_the_documented_production_settings(tmp_path):
    kept = {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}
    env = {
        **kept,
        **documented_environment(),
        "COMPTOIR_ENV_FILE": "",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "COMPTOIR_VAR_DIR": str(tmp_path),
    }
    assert "DEBUG" not in env  # production is DEBUG's default: off

    checked = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "System check identified no issues" in checked.stdout
