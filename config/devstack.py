"""`make run`'s supervisor: the web app, the task queue, the dispatcher and the sandbox, stopped
together by one Ctrl-C.

Each child runs in its own process group, so the terminal's Ctrl-C reaches only this supervisor,
which then stops the children in the order they can handle: a plain group-wide SIGTERM kills
django-q2's sentinel before the cluster can stop it, and leaves the cluster hanging.
"""

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

GRACE_SECONDS = 15


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default="8000")
    parser.add_argument("--sandbox-port", default="8001")
    parser.add_argument("--production", action="store_true")
    args = parser.parse_args()
    manage = [args.python, "manage.py"]
    commands = {
        "sandbox": [*manage, "runserver", f"{args.host}:{args.sandbox_port}", "--noreload",
                    "--skip-checks"],
        "web": [*manage, "runserver", f"{args.host}:{args.port}"],
        "queue": [*manage, "qcluster"],
        # Clicks on their own cluster and workers (settings.Q_CLUSTER["ALT_CLUSTERS"]).
        "interactive": [*manage, "qcluster"],
        "dispatcher": [*manage, "run_dispatcher"],
    }
    if args.production:  # `make serve`: gunicorn instead of runserver, no sandbox
        os.environ.setdefault("HOST", args.host)
        os.environ.setdefault("PORT", args.port)
        del commands["sandbox"]
        commands["web"] = [str(Path(args.python).with_name("gunicorn")), "-c",
                           "config/gunicorn.conf.py", "config.wsgi"]
    environments = {"interactive": {**os.environ, "Q_CLUSTER_NAME": "interactive"}}
    children = {name: subprocess.Popen(cmd, start_new_session=True, env=environments.get(name))
                for name, cmd in commands.items()}
    stopping = False

    def request_stop(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    exit_code = 0
    while not stopping:
        for name, proc in children.items():
            if proc.poll() is not None:
                print(f"devstack: {name} exited with {proc.returncode}; stopping the rest",
                      file=sys.stderr)
                exit_code, stopping = proc.returncode or 1, True
                break
        time.sleep(0.3)
    stop_all(children)
    return exit_code


def stop_all(children):
    for proc in children.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # the leader: qcluster stops its sentinel and workers
    deadline = time.time() + GRACE_SECONDS
    for proc in children.values():
        try:
            proc.wait(timeout=max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            pass
    for proc in children.values():
        try:  # whatever is left in each child's group, including runserver's reloader child
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    print("devstack: stopped", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
