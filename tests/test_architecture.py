"""The design card's import rules: scheduler -> service -> variation, never back; inside the
service, domains in a declared order and each domain's layers (docs/ARCHITECTURE.md)."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections.abc import Iterable, Iterator
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


# --- Where service domains meet ---------------------------------------------------------------

DOMAIN_ORDER = (
    "auth",
    "orgs",
    "reps",
    "posts",
    "rewrite",
    "copies",
    "notifications",
    "plans",
    "tracking",
    "dashboard",
    "rephome",
)
"""The service's domains, lowest first: a domain may import only those before it, so there is
no cycle, and a change to a domain can reach only the ones after it. Read from the code:

- auth: staff credentials and login sessions; needs no other domain, so `service/deps.py`
  (shared plumbing every router uses) may call it.
- orgs: the organisation (brand voice, reminder channels) and its staff administration,
  which ends sessions through auth.
- reps: the sales reps and their personal links (a timezone check, nothing more).
- posts: the master post, its versions and sentence alternatives; a post's voice falls back
  to its organisation's (orgs).
- rewrite: rewrite suggestions for a post's sentences (posts) in the brand voice (orgs).
- copies: a rep's copy of a post (posts x reps) and the diversity meter over given reps.
- notifications: delivery of every kind of message (helper notify's package, placed ahead of
  it): below plans and tracking, which only enqueue into it.
- plans: publishing with a window; creates copies for the targeted reps; the preview, whose
  meter needs the plan's targets.
- tracking: who read a shared copy (copies, plans' targeting, posts, reps).
- dashboard: figures over tracking's data.
- rephome: the rep's home at /r/{token}, composing copies, plan slots and tracking's readers;
  nothing imports it but the app.
"""

SERVICE = ROOT / "service"
# Packages of service/ that are no domain: the tables and the migrations.
SHARED_PACKAGES = {"models", "migrations", "commands"}
# Where the app is assembled: these may import every domain.
COMPOSITION = {"service/app.py", "service/demo.py", "service/commands"}
ROUTE_MODULES = {"router", "pages"}
SQL_CONSTRUCTS = {"select", "insert", "update", "delete", "text", "func", "and_", "or_", "exists"}
SQL_CALLS = {"execute", "scalar", "scalars", "query"}

# Known violations waiting on work in flight elsewhere. The lead removes an entry when that
# work lands; an entry that no longer violates fails `test_pending_entries_still_violate`,
# so this set only shrinks. Nothing else belongs here.
PENDING: set[tuple[str, str]] = set()  # breaches still to mend; it may only shrink


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> Iterator[str]:
    """Every module `path` imports, absolute; `from a import b` yields `a` and `a.b` (b may be
    a module). Imports inside functions count: they are dependencies too."""
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            yield module
            yield from (f"{module}.{alias.name}" for alias in node.names)


def domain_of(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) > 1 and parts[0] == "service" and (SERVICE / parts[1]).is_dir():
        return None if parts[1] in SHARED_PACKAGES else parts[1]
    return None


def domains_on_disk() -> list[str]:
    return sorted(
        p.name
        for p in SERVICE.iterdir()
        if (p / "__init__.py").is_file() and p.name not in SHARED_PACKAGES
    )


def domain_files(domain: str) -> list[Path]:
    return sorted((SERVICE / domain).rglob("*.py"))


def domain_imports() -> set[tuple[str, str, str]]:
    """(file, its domain, the other domain it imports)."""
    found = set()
    for domain in domains_on_disk():
        for path in domain_files(domain):
            for module in imports_of(path):
                other = domain_of(module)
                if other is not None and other != domain:
                    found.add((rel(path), domain, other))
    return found


def domain_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {domain: set() for domain in domains_on_disk()}
    for _, domain, other in domain_imports():
        graph[domain].add(other)
    return graph


def mermaid(graph: dict[str, set[str]]) -> str:
    """The domain graph as a mermaid flowchart, lowest domain at the bottom."""
    placed = [d for d in DOMAIN_ORDER if d in graph]
    edges = [f"    {d} --> {o}" for d in placed for o in sorted(graph[d], key=placed.index)]
    return "\n".join(["flowchart BT", *edges])


def is_repository(module: str) -> bool:
    parts = module.split(".")
    return parts[0] == "service" and any(
        part == "repository" or part.endswith("_repository") for part in parts[2:]
    )


def violations() -> set[tuple[str, str]]:
    """(rule, file) of every breach of the rules below, PENDING or not."""
    return {
        *(("order", path) for path, *_ in order_breaches()),
        *(("repository", path) for path, _ in route_repository_imports()),
        *(("sql", path) for path, _ in sql_outside_repositories()),
    }


def order_breaches() -> list[tuple[str, str, str]]:
    rank = {d: n for n, d in enumerate(DOMAIN_ORDER)}
    return sorted(
        (path, domain, other)
        for path, domain, other in domain_imports()
        if rank.get(other, len(rank)) > rank.get(domain, len(rank))
    )


def route_repository_imports() -> list[tuple[str, str]]:
    found = set()
    for domain in domains_on_disk():
        for path in domain_files(domain):
            if path.stem in ROUTE_MODULES or path.stem.endswith(("_router", "_pages")):
                found |= {(rel(path), m) for m in imports_of(path) if is_repository(m)}
    return sorted(found)


def is_repository_file(path: Path) -> bool:
    return (
        path.stem == "repository"
        or path.stem.endswith("_repository")
        or ("repository" in path.relative_to(SERVICE).parts[:-1])
    )


def sql_outside_repositories() -> list[tuple[str, str]]:
    found = []
    for domain in domains_on_disk():
        for path in domain_files(domain):
            if not is_repository_file(path):
                found += [(rel(path), what) for what in sql_in(path)]
    return found


def sql_in(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            yield from (f"import {a.name}" for a in node.names if a.name in SQL_CONSTRUCTS)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in SQL_CALLS
            and re.search(r"session\b|connection\(\)", ast.unparse(node.func.value))
        ):
            yield f"{ast.unparse(node.func)}(...) line {node.lineno}"


def not_pending(found: Iterable[tuple[str, ...]], rule: str) -> list[tuple[str, ...]]:
    return [item for item in found if (rule, item[0]) not in PENDING]


class TestDomainsMeetInADeclaredOrder:
    def test_every_domain_package_is_placed_in_the_order(self) -> None:
        """A new domain must be placed (and the docstring of DOMAIN_ORDER say why)."""
        assert [d for d in domains_on_disk() if d not in DOMAIN_ORDER] == []

    def test_no_domain_imports_a_later_one(self) -> None:
        assert not_pending(order_breaches(), "order") == []

    def test_the_domain_graph_has_no_cycle(self) -> None:
        graph = domain_graph()
        mutual = [
            (a, b)
            for a in graph
            for b in graph
            if a < b and b in reachable(graph, a) and a in reachable(graph, b)
        ]
        assert mutual == []

    def test_shared_plumbing_imports_only_the_lowest_domain(self) -> None:
        """deps.py, web.py, routing.py...: every router uses them, so whatever they import
        every domain depends on."""
        offenders = [
            f"{rel(path)}: {module}"
            for path in SERVICE.rglob("*.py")
            if domain_of(module_name(path)) is None
            and not any(rel(path).startswith(root) for root in COMPOSITION)
            for module in imports_of(path)
            if domain_of(module) not in {None, DOMAIN_ORDER[0]}
        ]
        assert offenders == []


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for nxt in graph.get(todo.pop(), set()) - seen:
            seen.add(nxt)
            todo.append(nxt)
    return seen


class TestLayersInsideADomain:
    def test_routers_and_pages_import_no_repository(self) -> None:
        """They call their domain's service (and deps); SQL is two layers down."""
        assert not_pending(route_repository_imports(), "repository") == []

    def test_sql_lives_only_in_repository_modules(self) -> None:
        """`repository.py`, `*_repository.py` or a `repository/` package; shared plumbing
        outside the domains (db.py's row lock, migrate.py, app.py's health check, orphans.py)
        is not a domain's and is not checked."""
        assert not_pending(sql_outside_repositories(), "sql") == []

    def test_pending_entries_still_violate(self) -> None:
        """So PENDING only shrinks: an entry whose file was fixed must be removed."""
        assert sorted(PENDING - violations()) == []


# --- One access policy ---------------------------------------------------------------------

# Where the CSRF signer may be asked directly: the one form dependency, and the two tokens that
# are no login's (the login form's pre-login token, the WeChat OAuth state).
CSRF_CHECKERS = {"service/web.py", "service/auth/pages.py", "service/tracking/pages.py"}
CSRF_PARAMETERS = {"csrf", "x_csrf_token"}


def hand_written_access(source: str, *, where: str) -> Iterator[str]:
    """Role comparisons and CSRF checks a handler writes itself instead of naming a policy
    (service/access.py) or taking `web.CsrfForm`; `where` is the file's path from the root."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare) and any(
            isinstance(side, ast.Attribute) and side.attr == "role"
            for side in (node.left, *node.comparators)
        ):
            yield f"role compared by hand line {node.lineno}"
        elif isinstance(node, ast.Call) and _called(node) == "check_csrf":
            bare = isinstance(node.func, ast.Name)
            if bare or where not in CSRF_CHECKERS:
                yield f"check_csrf called by hand line {node.lineno}"
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names = {a.arg for a in (*node.args.args, *node.args.kwonlyargs)}
            yield from (f"a {n!r} parameter line {node.lineno}" for n in names & CSRF_PARAMETERS)


def _called(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def access_breaches() -> list[tuple[str, str]]:
    return [
        (rel(path), what)
        for path in sorted(SERVICE.rglob("*.py"))
        if rel(path) != "service/access.py"
        for what in hand_written_access(path.read_text(encoding="utf-8"), where=rel(path))
    ]


class TestOneAccessPolicy:
    def test_no_handler_checks_roles_or_csrf_by_hand(self) -> None:
        """Roles through service/access.py's policies, CSRF through web.CsrfForm."""
        assert access_breaches() == []

    @pytest.mark.parametrize(
        "source",
        [
            "def f(staff):\n    return staff.role in EDIT_ROLES\n",
            "def f(staff):\n    if staff.role != Role.ADMIN:\n        raise Forbidden('x')\n",
            "def f(request, runtime, token):\n    check_csrf(request, runtime, token)\n",
            "def f(runtime, token):\n    return runtime.signer.check_csrf('s', token)\n",
            "def f(x_csrf_token: str = ''):\n    return x_csrf_token\n",
        ],
        ids=["role in a set", "role compared", "check_csrf", "signer outside web", "header"],
    )
    def test_each_hand_written_check_is_seen(self, source: str) -> None:
        assert len(list(hand_written_access(source, where="service/posts/pages.py"))) == 1


class TestTheCheckerSeesWhatItMustFail:
    """The rules above pass on today's code; these show that each one would catch a breach."""

    def test_sql_in_a_service_module_is_seen(self, tmp_path: Path) -> None:
        module = tmp_path / "service.py"
        module.write_text(
            "from sqlalchemy import select\n"
            "def f(session):\n    return session.scalars(select(1))\n",
            encoding="utf-8",
        )
        assert list(sql_in(module)) == ["import select", "session.scalars(...) line 3"]

    def test_a_repository_import_is_seen_in_every_spelling(self) -> None:
        assert is_repository("service.orgs.repository")
        assert is_repository("service.dashboard.rollup_repository.refresh_post")
        assert not is_repository("service.orgs.service")


if __name__ == "__main__":
    # The domain diagram of docs/ARCHITECTURE.md: python tests/test_architecture.py
    print(mermaid(domain_graph()))
