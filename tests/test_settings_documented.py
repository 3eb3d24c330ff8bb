"""Every setting the code reads is in .env.example and in the README's table, and vice versa."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _read_by_settings():
    text = (ROOT / "config" / "settings.py").read_text()
    names = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z_][A-Z0-9_]*)"', text))
    names |= set(re.findall(r'_required_outside_debug\(\s*"([A-Z_][A-Z0-9_]*)"', text))
    return names


def _in_env_example():
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^#?\s*([A-Z_][A-Z0-9_]*)=", text, re.M))


def _in_readme():
    text = (ROOT / "README.md").read_text()
    section = text.split("## Settings", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([A-Z_][A-Z0-9_]*)` \|", section, re.M))


def test_settings_env_example_and_readme_agree():
    read = _read_by_settings()
    assert read, "found no settings read from the environment"
    assert read - {"ENV_FILE"} <= _in_env_example(), read - _in_env_example()
    assert _in_env_example() <= read, _in_env_example() - read
    assert _in_readme() == read, (read ^ _in_readme())
