"""Shared code never names a provider: a provider is its own folders, one registry line and its
settings. This test reads every file of the product (code, templates, the Makefile) outside the
places a provider may be named and fails on any registered provider's key, name or alias.

Allowed: `integrations/providers/<key>/`, `sandbox/<key>/`, the registry lines
(`integrations/providers/__init__.py` `_BUILTIN`, `sandbox/registry.py` imports and list),
`config/settings.py`, `.env.example`, `config/dev.env`, migrations, locale files and tests.
Benchmarks (`bench/`) measure one named provider against its simulator, as tests do.
"""

import re
from pathlib import Path

import pytest

from integrations.providers import registry

ROOT = Path(__file__).resolve().parent.parent
SCANNED = ["config", "accounting", "contracts", "integrations", "sandbox", "templates",
           "Makefile", "manage.py", ".ci"]
SUFFIXES = {".py", ".html", ".txt", ".js", ".css", ".json", ".cfg", ".toml", ""}
ALLOWED_FILES = {"config/settings.py", ".env.example", "config/dev.env"}
REGISTRY_LINES = {
    "integrations/providers/__init__.py": re.compile(r'^\s+"\w+": "integrations\.providers\.'),
    "sandbox/registry.py": re.compile(r"^(from sandbox\.\w+\.simulator import simulator as \w+"
                                      r"|SIMULATORS = \[[\w, ]*\])$"),
}


def spellings(cls):
    words = {cls.key, cls.key.replace("_", ""), cls.name.lower(),
             cls.name.lower().replace(" ", ""), *cls.aliases}
    return {w.lower() for w in words if len(w) >= 4}


def product_files():
    keys = registry.keys()
    own = [f"integrations/providers/{k}/" for k in keys] + [f"sandbox/{k}/" for k in keys]
    for top in SCANNED:
        path = ROOT / top
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for file in files:
            rel = file.relative_to(ROOT).as_posix()
            if (rel in ALLOWED_FILES or any(rel.startswith(prefix) for prefix in own)
                    or "/migrations/" in rel or "/locale/" in rel or "__pycache__" in rel
                    or file.suffix not in SUFFIXES):
                continue
            yield rel, file


def offending_lines(rel, text, words):
    allowed_line = REGISTRY_LINES.get(rel)
    for number, line in enumerate(text.splitlines(), start=1):
        lowered = line.lower()
        found = sorted(w for w in words if w in lowered)
        if found and not (allowed_line and allowed_line.match(line)):
            yield f"{rel}:{number}: {', '.join(found)}: {line.strip()[:90]}"


def test_shared_code_names_no_provider():
    words = set().union(*(spellings(cls) for cls in registry.all()))
    assert words, "no provider is registered"
    found = [hit for rel, file in product_files()
             for hit in offending_lines(rel, file.read_text(errors="replace"), words)]
    assert not found, "Provider names in shared code:\n" + "\n".join(found)


@pytest.mark.parametrize("line, hit", [
    ('    "fortnox": "integrations.providers.fortnox.provider:Fortnox",', False),
    ('def fortnox_thing(): pass', True),
    ('{% url "pogo:settings" %}', True),
])
def test_the_scan_catches_a_name_and_spares_the_registry_line(line, hit):
    words = set().union(*(spellings(cls) for cls in registry.all()))
    rel = "integrations/providers/__init__.py" if "integrations.providers." in line else "x.py"
    assert bool(list(offending_lines(rel, line, words))) is hit
