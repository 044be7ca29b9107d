"""Start Docker Engine on this machine when it is not running, and stop it again only if we started it.

Machines here have no bridge networking: the daemon runs with ``--bridge=none`` and
no iptables rules, and every container uses host networking. Who started the daemon
is recorded in a pid file, so ``make compose-down`` (another process) and the deploy
test stop only a daemon they started, never one that was already running.

    python include/docker/dockerd.py start    # prints "started" or "already running"
    python include/docker/dockerd.py stop     # stops it if the pid file says we started it
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

DOCKERD_FLAGS = ("--bridge=none", "--iptables=false", "--ip6tables=false")
STATE_DIR = Path(os.environ.get("ARXIV_LABELER_DOCKERD_STATE_DIR", "/run/arxiv-labeler"))
PID_FILE = STATE_DIR / "dockerd.pid"
LOG_FILE = Path(os.environ.get("ARXIV_LABELER_DOCKERD_LOG", "/var/log/arxiv-labeler-dockerd.log"))


class DockerdError(RuntimeError):
    """The daemon would not start or stop; the message says where to look."""


def is_running(timeout: float = 10) -> bool:
    """Whether a Docker daemon answers on the default socket."""
    if shutil.which("docker") is None:
        return False
    try:
        probe = subprocess.run(
            ["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return False
    return probe.returncode == 0


def started_pid() -> int | None:
    """The pid of the daemon this helper started, if that process is still alive."""
    try:
        pid = int(PID_FILE.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    return pid


def start(timeout: float = 60) -> bool:
    """Start dockerd unless one is running; True when this call started it.

    Raises:
        DockerdError: dockerd is not installed, or did not answer in time.
    """
    if is_running():
        return False
    dockerd = shutil.which("dockerd")
    if dockerd is None:
        raise DockerdError("dockerd not found: install Debian's docker.io (apt-get install docker.io docker-compose)")
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    with LOG_FILE.open("ab") as log:
        # Its own session: the daemon outlives the shell or test that started it until stop() is called.
        process = subprocess.Popen([dockerd, *DOCKERD_FLAGS], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    PID_FILE.write_text(f"{process.pid}\n")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            PID_FILE.unlink(missing_ok=True)
            raise DockerdError(f"dockerd exited with {process.returncode}; see {LOG_FILE}")
        if is_running(timeout=5):
            return True
        time.sleep(0.5)
    raise DockerdError(f"dockerd did not answer within {timeout:.0f} s; see {LOG_FILE}")


def stop(timeout: float = 60) -> bool:
    """Stop the daemon if this helper started it (pid file); True when it was stopped.

    Raises:
        DockerdError: it did not exit in time.
    """
    pid = started_pid()
    if pid is None:
        PID_FILE.unlink(missing_ok=True)
        return False
    os.kill(pid, signal.SIGTERM)  # dockerd stops its containers and its containerd on SIGTERM
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            PID_FILE.unlink(missing_ok=True)
            return True
        reap(pid)
        time.sleep(0.2)
    raise DockerdError(f"dockerd (pid {pid}) still running {timeout:.0f} s after SIGTERM; see {LOG_FILE}")


def reap(pid: int) -> None:
    """Collect the exit status when dockerd is our own child, so it does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def main(argv: list[str] | None = None) -> int:
    """``start`` | ``stop`` | ``status``."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["start", "stop", "status"])
    args = parser.parse_args(argv)
    try:
        if args.action == "start":
            print("dockerd: started" if start() else "dockerd: already running")
        elif args.action == "stop":
            print("dockerd: stopped" if stop() else "dockerd: not started by this helper, left running")
        else:
            print(f"dockerd: {'running' if is_running() else 'not running'}; started here: {started_pid() is not None}")
    except DockerdError as exc:
        print(f"dockerd: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
