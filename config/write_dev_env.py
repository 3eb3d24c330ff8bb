"""Write a development .env: .env.example with config/dev.env's values and freshly generated
SECRET_KEY and ENCRYPTION_KEYS. An existing .env keeps every value it has; settings added to
.env.example since are appended. Plain Python, no dependencies: `make` runs it before the
virtualenv exists. Usage: python3 config/write_dev_env.py [target]"""

import pathlib
import secrets
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def values(text):
    pairs = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            pairs[key.strip()] = value.strip()
    return pairs


def render():
    overrides = values((ROOT / "config" / "dev.env").read_text())
    overrides["SECRET_KEY"] = secrets.token_urlsafe(40)
    overrides["ENCRYPTION_KEYS"] = secrets.token_urlsafe(32)
    lines = []
    for line in (ROOT / ".env.example").read_text().splitlines():
        key = line.split("=", 1)[0].strip() if "=" in line and not line.startswith("#") else None
        if key in overrides:
            line = f"{key}={overrides.pop(key)}"
        lines.append(line)
    missing = sorted(overrides)
    if missing:
        raise SystemExit(f"config/dev.env sets {missing}, which .env.example does not list")
    return "\n".join(lines) + "\n"


def update(target):
    """Append to an existing .env the settings it lacks; change nothing it has."""
    have = values(target.read_text())
    fresh = {k: v for k, v in values(render()).items() if k not in have}
    if fresh:
        text = target.read_text()
        text += ("" if text.endswith("\n") else "\n") + "# added by make\n"
        text += "".join(f"{k}={v}\n" for k, v in fresh.items())
        target.write_text(text)
        print(f"added to {target.name}: {', '.join(fresh)}")


if __name__ == "__main__":
    target = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / ".env"
    if target.exists():
        update(target)
    else:
        target.write_text(render())
        print(f"wrote {target.name} for development (sandbox providers, fresh keys)")
