"""nginx in front of server processes, set up as docs/deploy.md says, for system tests.

The site config is deploy/nginx/onewindow.conf itself: render_site() swaps its
literal ports, certificate and log paths for the test's, and fails when one of
them is no longer in the file, so the file the doc shows is the file tested.
nginx runs in the foreground as the test's own process, on free ports, with
every path it writes inside the test's folder. site() starts two server processes
and nginx in front of them; Site.api() talks through nginx, direct() to one process.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import ipaddress
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.realtime.conftest import running, server_env
from tests.realtime.ws_helpers import Api
from tests.system.server_proc import ServerProcess, free_port

REPO = Path(__file__).resolve().parents[2]
SITE = REPO / "deploy" / "nginx" / "onewindow.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
START_TIMEOUT_S = 10.0


def make_cert(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1, valid for a day."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    san = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(san), critical=False)
        # Its own trust anchor: clients load it as their only CA.
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    crt, pem = folder / "onewindow.crt", folder / "onewindow.key"
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return crt, pem


def client_tls(cert: Path) -> ssl.SSLContext:
    """What a client that trusts the test certificate (and nothing else) uses."""
    return ssl.create_default_context(cafile=str(cert))


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def render_site(
    text: str,
    *,
    https_port: int,
    http_port: int,
    upstreams: list[int],
    cert: Path,
    key: Path,
    access_log: Path,
) -> str:
    """The site config with the test's ports and paths in place of the doc's."""
    v6 = _ipv6_loopback()
    swaps = [
        # Loopback only: a test opens nothing to the network.
        ("listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;"),
        ("listen [::]:443 ssl;", f"listen [::1]:{https_port} ssl;" if v6 else ""),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen [::]:80;", f"listen [::1]:{http_port};" if v6 else ""),
        ("/etc/nginx/ssl/onewindow.crt", str(cert)),
        ("/etc/nginx/ssl/onewindow.key", str(key)),
        ("/var/log/nginx/onewindow.access.log", str(access_log)),
    ]
    doc_ports = ["8001", "8002"]
    assert len(upstreams) == len(doc_ports), "the doc's config has two server processes"
    swaps += [
        (f"server 127.0.0.1:{old} ", f"server 127.0.0.1:{new} ")
        for old, new in zip(doc_ports, upstreams, strict=True)
    ]
    for old, new in swaps:
        assert old in text, f"{SITE} no longer has {old!r}: update tests/system/nginx_helpers.py"
        text = text.replace(old, new)
    return text


class Nginx:
    """Debian's nginx in the foreground, owned by the test; a context manager."""

    def __init__(self, folder: Path, upstreams: list[int], cert: Path, key: Path) -> None:
        self.folder = folder
        self.https_port = free_port()
        self.http_port = free_port()
        self.error_log = folder / "error.log"
        self.access_log = folder / "access.log"
        self.proc: subprocess.Popen[bytes] | None = None
        site = render_site(
            SITE.read_text(),
            https_port=self.https_port,
            http_port=self.http_port,
            upstreams=upstreams,
            cert=cert,
            key=key,
            access_log=self.access_log,
        )
        (folder / "onewindow.conf").write_text(site)
        temps = "\n".join(
            f"    {kind}_temp_path {folder / kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        # As root, nginx's workers would drop to "nobody", who cannot enter the test's
        # folder; they stay the test's user instead.
        user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
        (folder / "nginx.conf").write_text(
            f"{user}\nworker_processes 1;\nevents {{ worker_connections 1024; }}\n"
            f"http {{\n{temps}\n    access_log {self.access_log};\n"
            f"    include {folder / 'onewindow.conf'};\n}}\n"
        )

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    @property
    def ws_url(self) -> str:
        return f"wss://127.0.0.1:{self.https_port}/ws"

    def output(self) -> str:
        try:
            return self.error_log.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def start(self) -> Nginx:
        f = self.folder
        cmd = [
            NGINX, "-p", str(f), "-c", str(f / "nginx.conf"), "-e", str(self.error_log),
            "-g", f"daemon off; pid {f / 'nginx.pid'}; error_log {self.error_log} info;",
        ]  # fmt: skip
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"nginx exited with {self.proc.returncode}:\n{self.output()}")
            try:
                socket.create_connection(("127.0.0.1", self.https_port), 0.5).close()
                return self
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise AssertionError(f"nginx did not listen:\n{self.output()}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        # SIGTERM is nginx's fast shutdown: open WebSockets are cut, not waited for.
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def __enter__(self) -> Nginx:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class RoutedApi(Api):
    """The HTTP API from a chosen loopback address; over TLS trusting the test certificate."""

    def __init__(
        self, base: str, *, verify: ssl.SSLContext | bool = True, local_address: str | None = None
    ) -> None:
        transport = httpx.AsyncHTTPTransport(verify=verify, local_address=local_address)
        self.client = httpx.AsyncClient(base_url=base, timeout=30.0, transport=transport)
        self.tokens = {}


def direct(srv: ServerProcess, local_address: str | None = None) -> Api:
    """A process's API without nginx."""
    return RoutedApi(srv.base_url, local_address=local_address)


@dataclass
class Site:
    a: ServerProcess
    b: ServerProcess
    nginx: Nginx
    cert: Path

    def api(self, local_address: str | None = None) -> Api:
        """The API through nginx."""
        return RoutedApi(
            self.nginx.base_url, verify=client_tls(self.cert), local_address=local_address
        )


@contextlib.contextmanager
def site(tmp_path: Path, env: dict[str, str]) -> Iterator[Site]:
    """Two processes on one database and Redis, nginx in front with a fresh certificate."""
    cert, key = make_cert(tmp_path)
    with contextlib.ExitStack() as stack:
        a = stack.enter_context(running(tmp_path, env, "a"))
        b = stack.enter_context(running(tmp_path, env, "b"))
        nginx = stack.enter_context(Nginx(tmp_path, [a.port, b.port], cert, key))
        yield Site(a, b, nginx, cert)


def env_for(pg_url: str, **extra: str) -> dict[str, str]:
    # nginx reaches the processes from 127.0.0.1: the one proxy whose word they take.
    return server_env(pg_url, redis=True, **{"ONEWINDOW_TRUSTED_PROXIES": "127.0.0.1", **extra})


async def ws_count(srv: ServerProcess) -> int:
    async with direct(srv) as api:
        return int(await api.metric("onewindow_ws_connections"))


async def holder(s: Site, n: int, timeout: float = 10.0) -> tuple[ServerProcess, ServerProcess]:
    """(the process holding n of our WebSockets, the other), once one holds n."""
    deadline = time.monotonic() + timeout
    while True:
        counts = (await ws_count(s.a), await ws_count(s.b))
        if counts == (n, 0):
            return s.a, s.b
        if counts == (0, n):
            return s.b, s.a
        assert time.monotonic() < deadline, f"WebSockets per process: {counts}, wanted {n} on one"
        await asyncio.sleep(0.05)


async def holder_is(srv: ServerProcess, n: int, deadline: float) -> None:
    while (got := await ws_count(srv)) != n:
        assert time.monotonic() < deadline, f"{got} WebSockets on the survivor, wanted {n}"
        await asyncio.sleep(0.05)


async def wait_until(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)
