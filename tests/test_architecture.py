"""The design card's import rules: scheduler -> service -> variation, never back."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN_IN_VARIATION = (
    "service",
    "scheduler",
    "fastapi",
    "sqlalchemy",
    "celery",
    "kombu",
    "redis",
    "starlette",
    "httpx",
    "requests",
)


def imported_modules(package: str) -> set[tuple[str, str]]:
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {(str(path.relative_to(ROOT)), a.name) for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add((str(path.relative_to(ROOT)), node.module))
    return found


class TestVariationIsPure:
    @pytest.mark.parametrize("forbidden", FORBIDDEN_IN_VARIATION)
    def test_no_source_file_imports(self, forbidden: str) -> None:
        offenders = [
            f"{path}: {module}"
            for path, module in imported_modules("variation")
            if module == forbidden or module.startswith(f"{forbidden}.")
        ]
        assert offenders == []

    def test_importing_it_loads_none_of_them(self) -> None:
        probe = (
            "import sys, variation, variation.text, variation.image\n"
            f"bad = [m for m in sys.modules if m.split('.')[0] in {FORBIDDEN_IN_VARIATION!r}]\n"
            "print(','.join(sorted(bad)))"
        )
        result = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
        )
        assert result.stdout.strip() == ""

    def test_no_module_level_random(self) -> None:
        """Only `random.Random(seed)` instances: the global generator breaks determinism."""
        offenders = []
        for path in (ROOT / "variation").rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Attribute)
                    and isinstance(node.value, ast.Name)
                    and node.value.id in {"random", "np_random"}
                    and node.attr != "Random"
                ):
                    offenders.append(f"{path.name}: random.{node.attr}")
        assert offenders == []


def test_service_never_imports_scheduler() -> None:
    offenders = [
        f"{path}: {module}"
        for path, module in imported_modules("service")
        if module == "scheduler" or module.startswith("scheduler.")
    ]
    assert offenders == []
