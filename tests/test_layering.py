"""The layers import downwards only. Every import in `ismartsync/` is read with `ast`, those inside functions too,
so a lazy import cannot hide a dependency that runs back up.

- nothing in `ismartsync/` imports `jobs` (jobs are enqueued by dotted path after the commit);
- services (flush, never commit) import neither views nor pipelines;
- FBR's wire (`fiscal/`) and the Shopify client (`shopify/`) import no services, pipelines or views;
- models import no services, pipelines or views;
- pipelines import no views;
- only entry points (views, the request hooks in `access.py`, CLI commands) and pipelines commit.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
UPPER = ("ismartsync.services", "ismartsync.pipelines", "ismartsync.views")


@dataclass(frozen=True)
class Rule:
    layer: str  # a package (or "ismartsync" for all of it)
    forbidden: tuple[str, ...]  # modules it may not import, nor anything under them
    why: str


RULES = (
    Rule("ismartsync", ("jobs",), "jobs depend on ismartsync, never the reverse: enqueue them by dotted path"),
    Rule("ismartsync.services", UPPER[1:], "services flush and never commit; views and pipelines call them"),
    Rule("ismartsync.fiscal", UPPER, "FBR's wire knows nothing of the layers that use it"),
    Rule("ismartsync.shopify", UPPER, "the Shopify client knows nothing of the layers that use it"),
    Rule("ismartsync.models", UPPER, "models hold columns and small derived values; operations live above them"),
    Rule("ismartsync.pipelines", UPPER[2:], "pipelines are called by views and jobs, not the other way round"),
)


def module_name(root: Path, path: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(root: Path, path: Path) -> Iterator[tuple[str, int]]:
    """Every module `path` imports, with its line: absolute, relative and inside functions. `from a import b`
    counts as importing `a` and `a.b` (b may be a module: `from ismartsync import services`)."""
    module = module_name(root, path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parent = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{parent}.{base}" if base else parent
            yield base, node.lineno
            for alias in node.names:
                yield f"{base}.{alias.name}", node.lineno


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def violations(root: Path, rules: tuple[Rule, ...] = RULES) -> list[str]:
    """Each import in `root/ismartsync` that a rule forbids, as `path:line imports name (why)`."""
    found: dict[tuple[str, int, str], str] = {}
    for path in sorted((root / "ismartsync").rglob("*.py")):
        module = module_name(root, path)
        for rule in (r for r in rules if _within(module, r.layer)):
            for name, line in imports_of(root, path):
                if any(_within(name, forbidden) for forbidden in rule.forbidden):
                    key = (str(path.relative_to(root)), line, rule.why)
                    found[key] = max(found.get(key, ""), name, key=len)  # `from a import b`: the longer name
    return [f"{where}:{line} imports {name} ({why})" for (where, line, why), name in sorted(found.items())]


# Entry points and pipelines; jobs commit too, outside `ismartsync/`.
COMMITTING = ("ismartsync.views", "ismartsync.pipelines", "ismartsync.cli", "ismartsync.access")


def commits(root: Path) -> list[str]:
    """Each `.commit()` in `root/ismartsync` outside the modules that may commit, as `path:line`."""
    found = []
    for path in sorted((root / "ismartsync").rglob("*.py")):
        if any(_within(module_name(root, path), allowed) for allowed in COMMITTING):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "commit":
                found.append(f"{path.relative_to(root)}:{node.lineno}")
    return found


def test_the_layers_import_downwards_only():
    assert violations(REPO) == []


def test_only_entry_points_and_pipelines_commit():
    assert commits(REPO) == []


# The checker itself, on a made-up tree: each rule catches what it forbids, however the import is written.


def _tree(root: Path, files: dict[str, str]) -> Path:
    for relative, source in files.items():
        path = root / relative
        for parent in reversed(path.relative_to(root).parents[:-1]):
            (root / parent).mkdir(exist_ok=True)
            (root / parent / "__init__.py").touch()
        path.write_text(source)
    return root


@pytest.mark.parametrize(
    ("path", "source", "imported"),
    [
        ("ismartsync/queue.py", "import jobs\n", "jobs"),
        ("ismartsync/services/stock/push.py", "def later():\n    from jobs.sync import sweep\n", "jobs.sync"),
        ("ismartsync/services/cart.py", "from ismartsync.views import cart\n", "ismartsync.views"),
        ("ismartsync/services/cart.py", "from ismartsync import pipelines\n", "ismartsync.pipelines"),
        ("ismartsync/services/cart.py", "from ..pipelines.fbr_report import report\n", "ismartsync.pipelines"),
        ("ismartsync/fiscal/payload.py", "from ..services.fiscal import documents\n", "ismartsync.services.fiscal"),
        ("ismartsync/fiscal/payload.py", "from ismartsync.pipelines import fbr_report\n", "ismartsync.pipelines"),
        ("ismartsync/shopify/client.py", "import ismartsync.services.stock.ledger\n", "ismartsync.services.stock"),
        (
            "ismartsync/shopify/importer.py",
            "def store(rows):\n    from ismartsync.services.shopify_store import catalog_import\n",
            "ismartsync.services.shopify_store",
        ),
        ("ismartsync/models/sale.py", "from ismartsync.services.stock.ledger import Move\n", "ismartsync.services"),
        ("ismartsync/models/sale.py", "from ..views import counter\n", "ismartsync.views"),
        ("ismartsync/pipelines/stock_push.py", "from ismartsync.views.shifts import bp\n", "ismartsync.views.shifts"),
    ],
)
def test_the_checker_finds_an_import_running_back_up(tmp_path, path, source, imported):
    root = _tree(tmp_path, {path: source})

    found = violations(root)

    assert found and all(f.startswith(f"{path}:") for f in found)
    assert any(f" imports {imported}" in f for f in found), found


@pytest.mark.parametrize("path", ["ismartsync/services/cart.py", "ismartsync/models/sale.py", "ismartsync/web.py"])
def test_the_checker_finds_a_commit_outside_entry_points_and_pipelines(tmp_path, path):
    root = _tree(tmp_path, {path: "def settle(session):\n    session.flush()\n    session.commit()\n"})

    assert commits(root) == [f"{path}:3"]


def test_the_checker_lets_views_and_pipelines_commit(tmp_path):
    source = "def act(session):\n    session.commit()\n"
    files = {"ismartsync/views/counter/pay.py": source, "ismartsync/pipelines/stock_push.py": source}

    assert commits(_tree(tmp_path, files)) == []


@pytest.mark.parametrize(
    ("path", "source"),
    [
        ("ismartsync/services/stock/sync_outbox.py", 'PUSH_JOB = "jobs.sync.push_stock"\n'),  # a path, not an import
        ("ismartsync/services/stock/inbound.py", "from ismartsync.services.stock.ledger import record_movement\n"),
        ("ismartsync/services/stock/inbound.py", "from .ledger import record_movement\n"),
        ("ismartsync/views/checkout.py", "from ismartsync.pipelines.fbr_report import report_after_checkout\n"),
        ("ismartsync/pipelines/fbr_report.py", "from ismartsync.fiscal import circuit\n"),
        ("ismartsync/pipelines/webhooks.py", "from ismartsync.services.shopify_store import webhooks\n"),
        ("ismartsync/jobsite.py", "import jobsite_helpers\n"),  # only `jobs` itself is forbidden, not its prefix
    ],
)
def test_the_checker_lets_downward_imports_through(tmp_path, path, source):
    assert violations(_tree(tmp_path, {path: source})) == []
