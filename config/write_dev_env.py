"""Write a development .env: .env.example with config/dev.env's values and freshly generated
SECRET_KEY and ENCRYPTION_KEYS. An existing .env keeps every value it has; settings added to
.env.example since are appended. Plain Python, no dependencies: `make` runs it before the
virtualenv exists.

With --port/--sandbox-port (`make run PORT=... SANDBOX_PORT=...`) the addresses follow the ports:
APP_BASE_URL and every provider URL that dev.env points at the sandbox are written with them,
also into an existing .env, where only values still pointing at this machine (127.0.0.1 or
localhost) are changed, so a .env aimed at real providers keeps its addresses.

Usage: python3 config/write_dev_env.py [target] [--host H] [--port P] [--sandbox-port S]"""

import argparse
import pathlib
import re
import secrets

ROOT = pathlib.Path(__file__).resolve().parent.parent


def values(text):
    pairs = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            pairs[key.strip()] = value.strip()
    return pairs


# dev.env's sandbox address; `addresses()` swaps in the requested host and port.
DEV_SANDBOX = "http://127.0.0.1:8001"
LOOPBACK = re.compile(r"^http://(127\.0\.0\.1|localhost|\[::1\]):\d+(?=/|$)")


def addresses(host="127.0.0.1", port=8000, sandbox_port=8001):
    """{setting: value} of the addresses that follow the ports: APP_BASE_URL and dev.env's
    sandbox URLs."""
    result = {"APP_BASE_URL": f"http://{host}:{port}"}
    for key, value in values((ROOT / "config" / "dev.env").read_text()).items():
        if value.startswith(DEV_SANDBOX):
            result[key] = f"http://{host}:{sandbox_port}{value[len(DEV_SANDBOX):]}"
    return result


def render(ports=None):
    overrides = values((ROOT / "config" / "dev.env").read_text())
    overrides.update(addresses(**(ports or {})))
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


def follow_ports(text, ports):
    """`text` (a .env) with the port-bearing addresses that still point at this machine moved
    to `ports`; anything else untouched."""
    wanted = addresses(**ports)
    lines = []
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        key = key.strip()
        if sep and not line.lstrip().startswith("#") and key in wanted \
                and LOOPBACK.match(value.strip()):
            line = f"{key}={wanted[key]}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def update(target, ports=None):
    """Append to an existing .env the settings it lacks; with `ports`, move its local
    addresses to them; change nothing else."""
    text = target.read_text()
    have = values(text)
    fresh = {k: v for k, v in values(render(ports)).items() if k not in have}
    if fresh:
        text += ("" if text.endswith("\n") else "\n") + "# added by make\n"
        text += "".join(f"{k}={v}\n" for k, v in fresh.items())
        print(f"added to {target.name}: {', '.join(fresh)}")
    if ports:
        text = follow_ports(text, ports)
    if text != target.read_text():
        target.write_text(text)


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("target", nargs="?", default=str(ROOT / ".env"))
    parser.add_argument("--host", default=None)
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--sandbox-port", type=int, default=None)
    args = parser.parse_args(argv)
    ports = None
    if args.port or args.sandbox_port or args.host:
        ports = {"host": args.host or "127.0.0.1", "port": args.port or 8000,
                 "sandbox_port": args.sandbox_port or 8001}
    target = pathlib.Path(args.target)
    if target.exists():
        update(target, ports)
    else:
        target.write_text(render(ports))
        print(f"wrote {target.name} for development (sandbox providers, fresh keys)")


if __name__ == "__main__":
    main()
