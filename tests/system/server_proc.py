"""Run a real OneWindow server process on loopback for system tests.

    with ServerProcess(env={...}, cwd=tmp_path, log_path=tmp_path / "server.log") as srv:
        httpx.get(srv.base_url + "/healthz")
        srv.kill()        # SIGKILL: a crash, nothing gets to clean up
        srv.stop()        # SIGTERM, then wait: a graceful shutdown

The child gets a clean environment: only what the test passes plus the few
variables a process needs (PATH, HOME, locale), so no ``ONEWINDOW_*`` setting
of the developer's shell leaks in. Its stdout and stderr go to one log file,
which is attached to every failure the helper reports.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

import httpx

STARTUP_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 10.0
_INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PYTHONPATH", "SYSTEMROOT")


class ServerError(AssertionError):
    """The server did not start, died, or did not stop; the message carries its log."""


def free_port() -> int:
    """A port nothing listens on right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def child_env(extra: Mapping[str, str]) -> dict[str, str]:
    env = {k: os.environ[k] for k in _INHERITED if k in os.environ}
    env.update(extra)
    return env


class ServerProcess:
    """``python -m server serve`` on 127.0.0.1 and a free port; a context manager.

    ``command`` runs another program instead of ``python -m server``, e.g. the
    ``onewindow`` script of a virtual environment the package was installed into.
    """

    def __init__(
        self,
        *,
        env: Mapping[str, str],
        cwd: Path,
        log_path: Path,
        demo: bool = False,
        extra_args: Sequence[str] = (),
        startup_timeout: float = STARTUP_TIMEOUT_S,
        command: Sequence[str] = (),
    ) -> None:
        self.env = child_env(env)
        self.command = tuple(command) or (sys.executable, "-m", "server")
        self.cwd = Path(cwd)
        self.log_path = Path(log_path)
        self.demo = demo
        self.extra_args = tuple(extra_args)
        self.startup_timeout = startup_timeout
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.startup_s = 0.0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def returncode(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def output(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def _fail(self, why: str) -> ServerError:
        return ServerError(f"{why}\n--- server log {self.log_path} ---\n{self.output()}")

    # --- lifecycle ---------------------------------------------------------------------

    def start(self) -> ServerProcess:
        if self.running():
            raise RuntimeError("the server is already running")
        self.port = self.port or free_port()  # a restart keeps its port: clients come back to it
        cmd = [*self.command, "serve", "--host", "127.0.0.1"]
        cmd += ["--port", str(self.port), *(["--demo"] if self.demo else []), *self.extra_args]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        with self.log_path.open("ab") as log:
            log.write(f"$ {' '.join(cmd)}\n".encode())
            log.flush()
            # The child holds its own copy of the descriptor; ours can close now.
            self.proc = subprocess.Popen(
                cmd,
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a Ctrl-C on pytest is not also sent to the server
            )
        try:
            self._wait_ready(started)
        except BaseException:
            self._reap_hard()
            raise
        self.startup_s = time.monotonic() - started
        return self

    def _wait_ready(self, started: float) -> None:
        deadline = started + self.startup_timeout
        last = "no answer yet"
        with httpx.Client(timeout=2.0) as client:
            while True:
                code = self.returncode
                if code is not None:
                    raise self._fail(f"the server exited with code {code} while starting")
                try:
                    r = client.get(self.base_url + "/healthz")
                    if r.status_code == 200:
                        return
                    last = f"HTTP {r.status_code}: {r.text[:200]}"
                except httpx.TransportError as exc:
                    last = repr(exc)
                if time.monotonic() > deadline:
                    raise self._fail(
                        f"GET /healthz did not answer 200 within {self.startup_timeout:.0f} s"
                        f" (last: {last})"
                    )
                time.sleep(0.05)

    def kill(self) -> int:
        """SIGKILL: the process gets no chance to flush or close anything."""
        assert self.proc is not None, "the server was never started"
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        return self.proc.wait()

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> int:
        """SIGTERM, then wait for a graceful exit; returns the exit code."""
        assert self.proc is not None, "the server was never started"
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self._reap_hard()
            raise self._fail(f"the server did not exit within {timeout:.0f} s of SIGTERM") from None

    def _reap_hard(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        if self.proc is not None:
            self.proc.wait()

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self.running():
            return
        if exc_type is not None:
            self._reap_hard()  # the test already failed; do not hide that behind a stop error
            return
        self.stop()
