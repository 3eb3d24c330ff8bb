"""A newcomer's path, for real: a fresh copy of the project with no .env and no database (and
the suite's own virtualenv); `make run` sets everything up and serves the login page; the demo
admin logs in and finds the mapping editor and the sync monitor; Ctrl-C stops every process it
started."""

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.e2e


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _fresh_copy(target):
    """What a clone has: tracked files plus new files git does not ignore."""
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split("\n")
    for name in filter(None, files):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def _port_open(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def running_stack(tmp_path):
    project = tmp_path / "hub"
    project.mkdir()
    _fresh_copy(project)
    # CI's own `make test` already built this venv from a clean clone, which proves the install
    # from nothing; sharing it keeps this test about what only it shows.
    if (ROOT / ".venv" / ".installed").exists():
        (project / ".venv").symlink_to(ROOT / ".venv")
    port, sandbox_port = _free_port(), _free_port()
    # The copy must read its own fresh .env: leave out every setting this process may carry,
    # including those django-environ loaded from this checkout's .env (ports 8000/8001).
    settings_names = {line.split("=", 1)[0].strip().lstrip("# ")
                      for name in (".env", ".env.example") if (ROOT / name).exists()
                      for line in (ROOT / name).read_text().splitlines() if "=" in line}
    env = {k: v for k, v in os.environ.items()
           if k not in settings_names
           and not k.startswith(("DJANGO", "DATABASE_URL", "ENCRYPTION", "SECRET_KEY", "SANDBOX",
                                 "VIRTUAL_ENV", "PYTEST"))}
    log = open(tmp_path / "make-run.log", "w+")
    proc = subprocess.Popen(["make", "run", f"PORT={port}", f"SANDBOX_PORT={sandbox_port}"],
                            cwd=project, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 600
    try:
        while time.time() < deadline:
            if proc.poll() is not None:
                break
            # Ready when both servers answer: the app and the sandbox its providers point at
            # (the app may come up first; a click before the sandbox is up would fail).
            try:
                if (requests.get(f"{base}/login/", timeout=2).status_code == 200
                        and requests.get(f"http://127.0.0.1:{sandbox_port}/sandbox/",
                                         timeout=2).status_code == 200):
                    break
            except requests.ConnectionError:
                pass
            time.sleep(1)
        log.seek(0)
        output = log.read()
        assert proc.poll() is None, f"make run exited early:\n{output[-4000:]}"
        yield {"base": base, "output": output, "proc": proc, "ports": (port, sandbox_port),
               "log": log, "project": project}
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        for pid in _processes_in(project):
            os.kill(pid, signal.SIGKILL)
        log.close()


def test_make_run_serves_the_app_and_ctrl_c_stops_it(running_stack):
    base, output = running_stack["base"], running_stack["output"]
    # The banner names the URL and the demo logins.
    assert base in output
    logins = re.findall(r"(nordbil-admin|nordbil-staff|frost-admin|frost-staff)", output)
    assert {"nordbil-admin", "nordbil-staff", "frost-admin", "frost-staff"} <= set(logins)
    assert "demo1234" in output

    session = requests.Session()
    page = session.get(f"{base}/login/", timeout=10)
    assert page.status_code == 200 and 'name="password"' in page.text
    token = session.cookies["csrftoken"]
    signed_in = session.post(f"{base}/login/", timeout=10, headers={"Referer": f"{base}/login/"},
                             data={"username": "nordbil-admin", "password": "demo1234",
                                   "csrfmiddlewaretoken": token})
    assert signed_in.status_code == 200 and "Nordbil" in signed_in.text

    admin = session.get(f"{base}/admin/", timeout=10)
    assert admin.status_code == 200
    assert "/admin/integrations/synclogentry/" in admin.text, "no sync monitor in the admin"
    assert "/admin/integrations/vatmapping/" in admin.text, "no mapping editor in the admin"
    monitor = session.get(f"{base}/admin/integrations/synclogentry/", timeout=10)
    assert monitor.status_code == 200
    mappings = session.get(f"{base}/admin/integrations/vatmapping/", timeout=10)
    assert mappings.status_code == 200 and "addon" in mappings.text
    sandbox = requests.get(f"http://127.0.0.1:{running_stack['ports'][1]}/sandbox/", timeout=10)
    assert sandbox.status_code == 200

    # Ctrl-C: the terminal sends SIGINT to the foreground process group.
    proc = running_stack["proc"]
    os.killpg(proc.pid, signal.SIGINT)
    proc.wait(timeout=60)
    for port in running_stack["ports"]:
        assert not _port_open(port), f"port {port} still served after Ctrl-C"
    leftover = _processes_in(running_stack["project"])
    assert not leftover, f"processes left running after Ctrl-C: {leftover}"


def _processes_in(directory):
    """PIDs of processes whose working directory is inside the project copy."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if cwd.startswith(str(directory)):
            found.append(int(entry.name))
    return found
