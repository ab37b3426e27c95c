#!/usr/bin/env python3
"""The README's two commands: `python3 dev.py run` and `python3 dev.py test`.

Needs only Python 3.11 and the package registries. The first call creates `.venv/` and
installs momentcast with its dev extras at the versions pinned in requirements.lock; later
calls reinstall only when pyproject.toml or the lock changed. Everything after the command
name is passed on (`python3 dev.py test -k text`).

For developers:
- `python3 dev.py test --fast`: the edit-test loop — SQLite only, no browser, no killed
  processes, two workers in parallel.
- `python3 dev.py check`: ruff (lint and format) and mypy, as CI runs them.
- `python3 dev.py lock`: re-resolve requirements.lock after changing pyproject.toml.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".momentcast-installed"
LOCK = ROOT / "requirements.lock"
FAST = ["-m", "not slow", "-q"]  # and two workers, as every test run
CHECKS = [
    ["ruff", "check", "."],
    ["ruff", "format", "--check", "."],
    ["mypy", "."],
]


def _ensure_venv() -> None:
    if sys.version_info[:2] != (3, 11):
        sys.exit(f"momentcast needs Python 3.11, this is {sys.version.split()[0]}")
    if not (BIN / "python").exists():
        print("Creating .venv (first run only) ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    inputs = (ROOT / "pyproject.toml").read_bytes() + LOCK.read_bytes()
    wanted = hashlib.sha256(inputs).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    print("Installing momentcast and its dependencies into .venv ...", flush=True)
    pip = [str(BIN / "python"), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    # The lock pins every package (direct and transitive) to the versions CI passed with.
    subprocess.run([*pip, "-c", str(LOCK), "-e", f"{ROOT}[dev]"], check=True)
    STAMP.write_text(wanted)


def _command(name: str, rest: list[str]) -> tuple[list[list[str]], dict[str, str]]:
    """The commands to run for `dev.py NAME REST...`, and extra environment for them."""
    if name == "run":
        return [[str(BIN / "momentcast"), "run", *rest]], {}
    if name == "check":
        return [[str(BIN / tool), *args] for tool, *args in CHECKS], {}
    if name == "lock":
        compile_ = [
            str(BIN / "pip-compile"),
            "--quiet",
            "--extra",
            "dev",
            "--strip-extras",
            "--no-emit-index-url",
            "--no-emit-find-links",
        ]
        return [[*compile_, "--output-file", str(LOCK), "pyproject.toml", *rest]], {}
    env = {}
    if "--fast" in rest:
        rest = [*FAST, *(arg for arg in rest if arg != "--fast")]
        env = {"MOMENTCAST_TEST_DATABASES": "sqlite"}
    if not any(arg.startswith(("-n", "--numprocesses")) for arg in rest):
        # Two workers: the whole suite (browsers, killed processes, both databases) in about
        # 9 minutes on two cores instead of about 20; `-n 0` runs it in one process.
        rest = ["-n", "2", *rest]
    return [[str(BIN / "python"), "-m", "pytest", *rest]], env


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"run", "test", "check", "lock"}:
        print(
            "usage: python3 dev.py run [momentcast run options] | test [--fast] [pytest options]"
            " | check | lock"
        )
        return 2
    _ensure_venv()
    commands, extra_env = _command(argv[0], argv[1:])
    if argv[0] in {"run", "test"} and os.name == "posix":
        # Become the command rather than wait for it: a process manager's SIGTERM or SIGINT
        # then reaches momentcast run (or pytest) itself, which stops everything it started.
        (args,) = commands
        os.chdir(ROOT)
        os.execve(args[0], args, os.environ | extra_env)
    for args in commands:
        code = subprocess.run(args, cwd=ROOT, env=os.environ | extra_env).returncode
        if code:
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
