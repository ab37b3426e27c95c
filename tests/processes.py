"""Processes as Linux's /proc shows them: who is whose child, who is still running, and who
carries a marker in its environment (what tests use to find every process they started)."""

from __future__ import annotations

from pathlib import Path

PROC = Path("/proc")


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state, ppid, pgrp, ...)."""
    try:
        return (PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def pids() -> set[int]:
    return {int(entry.name) for entry in PROC.iterdir() if entry.name.isdigit()}


def alive(pid: int) -> bool:
    """Running: exists and is not a zombie waiting to be reaped."""
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"


def children_of(pid: int) -> set[int]:
    return {child for child in pids() if (fields := _stat(child)) and int(fields[1]) == pid}


def descendants_of(roots: set[int]) -> set[int]:
    """`roots` and everything below them, zombies left out."""
    found, frontier = set(), set(roots)
    while frontier:
        found |= frontier
        frontier = {child for pid in frontier for child in children_of(pid)} - found
    return {pid for pid in found if alive(pid)}


def carrying(variable: str, value: str) -> set[int]:
    """Living processes whose environment has `variable=value` (children inherit it)."""
    wanted = f"{variable}={value}".encode()
    found = set()
    for pid in pids():
        try:
            environ = (PROC / str(pid) / "environ").read_bytes()
        except OSError:
            continue
        if wanted in environ.split(b"\0") and alive(pid):
            found.add(pid)
    return found


def command_line(pid: int) -> str:
    try:
        return (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return "?"
