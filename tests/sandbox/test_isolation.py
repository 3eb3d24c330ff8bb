"""The sandbox stands in for the outside world: it must not share code with the clients it
tests, so nothing under sandbox/ imports the hub's own apps."""

import ast
from pathlib import Path

import sandbox

FORBIDDEN = {"accounting", "contracts", "integrations", "config"}
SANDBOX_DIR = Path(sandbox.__file__).parent


def _dynamic_import_target(node):
    """The module named by `import_module("x")` / `__import__("x")`, else None."""
    name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
    if name not in {"import_module", "__import__"} or not node.args:
        return None
    first = node.args[0]
    return first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None


def imported_top_level_modules(source):
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0]
        elif isinstance(node, ast.Call) and (target := _dynamic_import_target(node)):
            yield target.split(".")[0]


def test_the_scan_sees_every_kind_of_import():
    source = ("import config.settings\nfrom integrations import x\n"
              "importlib.import_module('accounting.models')\nfrom . import contracts\n")

    assert set(imported_top_level_modules(source)) == {"config", "integrations", "accounting"}


def test_nothing_in_sandbox_imports_the_hubs_apps():
    files = sorted(SANDBOX_DIR.rglob("*.py"))
    offenders = {
        str(path.relative_to(SANDBOX_DIR.parent)): sorted(found)
        for path in files
        if (found := set(imported_top_level_modules(path.read_text())) & FORBIDDEN)
    }

    assert len(files) > 10
    assert offenders == {}
