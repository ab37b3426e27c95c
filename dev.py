#!/usr/bin/env python3
"""The README's two commands: `python3 dev.py run` and `python3 dev.py test`.

Needs only Python 3.11 and the package registries. The first call creates `.venv/` and
installs momentcast with its dev extras; later calls reinstall only when pyproject.toml
changed. Everything after the command name is passed on (`python3 dev.py test -k text`).
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


def _ensure_venv() -> None:
    if sys.version_info[:2] != (3, 11):
        sys.exit(f"momentcast needs Python 3.11, this is {sys.version.split()[0]}")
    if not (BIN / "python").exists():
        print("Creating .venv (first run only) ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    print("Installing momentcast and its dependencies into .venv ...", flush=True)
    pip = [str(BIN / "python"), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-e", f"{ROOT}[dev]"], check=True)
    STAMP.write_text(wanted)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"run", "test"}:
        print("usage: python3 dev.py run [momentcast run options] | test [pytest options]")
        return 2
    _ensure_venv()
    command, rest = argv[0], argv[1:]
    if command == "run":
        args = [str(BIN / "momentcast"), "run", *rest]
    else:
        args = [str(BIN / "python"), "-m", "pytest", *rest]
    if os.name != "posix":
        return subprocess.run(args, cwd=ROOT).returncode
    # Become the command rather than wait for it: a process manager's SIGTERM or SIGINT then
    # reaches momentcast run (or pytest) itself, which stops everything it started.
    os.chdir(ROOT)
    os.execv(args[0], args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
