"""pytest fixtures that run the test upstreams as subprocesses: recording, faulty, CONNECT proxy, TLS material.

Use from a test module or conftest.py (Tests/ on sys.path, so this is `upstreams.fixtures`):

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # .../Tests
    from upstreams.fixtures import UPSTREAM_KEY, closed_port, connect_proxy, session_upstreams, tls_material, upstreams
    from upstreams.fixtures import header_values, unanswered_port

(importing a fixture function into a module or conftest makes it available there). Then:

    def test_x(upstreams):
        up = upstreams.recording("azure-legacy", seed_examples=True)   # Upstream: .base_url, .recorded(), ...
        ... a filegate backend at up.base_url with the key UPSTREAM_KEY, driven by a client with its gateway key ...
        for entry in up.recorded():
            assert header_values(entry, "api-key") == [UPSTREAM_KEY]
            assert header_values(entry, "cookie") == [] and header_values(entry, "authorization") == []

Every server is started with the proxy variables removed from its environment, on 127.0.0.1 port 0; its
`listening on` line gives its URL. It stops when the fixture's scope ends (stdin closed, then SIGTERM, then
SIGKILL), and on its own after `lifetime` seconds or as soon as the test process dies (its stdin closes).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import pytest

from .tls import TLSMaterial, make_tls_material

HERE = Path(__file__).resolve().parent
RECORDING = HERE / "recording_upstream.py"
FAULTY = HERE / "faulty_upstream.py"
PROXY = HERE / "connect_proxy.py"

# The key the recording upstreams accept: what filegate's remote backends are configured with. No client key.
UPSTREAM_KEY = "up-secret-0123456789abcdef0123"
UPSTREAM_DIALECTS = ("openai", "azure-v1", "azure-legacy")
START_TIMEOUT = 15.0
STOP_TIMEOUT = 5.0
# A bound on every server, whatever happens to the test process: an hour.
LIFETIME_SECONDS = 3600
LISTENING = re.compile(r"listening on (https?://\S+)")
# unanswered_port: a connect that takes longer than this means the accept queue is full.
FILLER_CONNECT_TIMEOUT = 0.3
FILLER_LIMIT = 16
PROXY_VARIABLES = {"http_proxy", "https_proxy", "all_proxy", "no_proxy", "ftp_proxy"}


def environment_without_proxies() -> dict[str, str]:
    """The process environment less every proxy variable: all traffic here is to 127.0.0.1."""
    return {name: value for name, value in os.environ.items() if name.lower() not in PROXY_VARIABLES}


def closed_port() -> int:
    """A 127.0.0.1 port nothing listens on (bound, then released): connecting to it is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def unanswered_port() -> Iterator[int]:
    """A 127.0.0.1 port that listens but never accepts, its accept queue filled: the kernel drops further SYNs, so a
    connect there times out (the connect-timeout test) instead of being refused."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    fillers: list[socket.socket] = []
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        address = listener.getsockname()
        while len(fillers) < FILLER_LIMIT:
            filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            filler.settimeout(FILLER_CONNECT_TIMEOUT)
            fillers.append(filler)
            try:
                filler.connect(address)
            except TimeoutError:
                break
        else:
            raise RuntimeError(f"the accept queue of {address} did not fill after {FILLER_LIMIT} connections")
        yield address[1]
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


@dataclass
class Upstream:
    """One running test server: where it listens, what it printed, and its recording endpoints."""

    name: str
    base_url: str
    process: subprocess.Popen
    ca_file: Path | None = None
    lines: list[str] = field(default_factory=list)

    @property
    def port(self) -> int:
        return int(self.base_url.rsplit(":", 1)[1])

    def log_text(self) -> str:
        return "".join(self.lines)

    def _call(self, method: str, path: str) -> bytes:
        context = ssl.create_default_context(cafile=str(self.ca_file)) if self.ca_file else None
        opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context)
        )
        with opener.open(urllib.request.Request(self.base_url + path, method=method), timeout=10) as answer:
            return answer.read()

    def recorded(self) -> list[dict]:
        """Every request the server saw so far (GET /__recorded): method, target, headers as [name, value] pairs
        in order, declared_length, body_bytes, body_complete, chunked, status, and per server extras."""
        return json.loads(self._call("GET", "/__recorded"))

    def clear(self) -> None:
        """Forgets what was recorded (DELETE /__recorded)."""
        self._call("DELETE", "/__recorded")

    def stored_files(self) -> list[dict]:
        """Recording upstream only: what it stores (GET /__files), with sha256 of each file's bytes."""
        return json.loads(self._call("GET", "/__files"))

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                assert self.process.stdin is not None
                self.process.stdin.close()
                self.process.wait(timeout=STOP_TIMEOUT)
            except (subprocess.TimeoutExpired, OSError):
                self.process.send_signal(signal.SIGTERM)
                try:
                    self.process.wait(timeout=STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(timeout=STOP_TIMEOUT)


def header_values(entry: dict, name: str) -> list[str]:
    """The values of header `name` (any case) in one recorded request, in the order received."""
    return [value for key, value in entry["headers"] if key.lower() == name.lower()]


def start_server(name: str, script: Path, arguments: Iterable[str], ca_file: Path | None = None) -> Upstream:
    process = subprocess.Popen(
        [sys.executable, "-u", str(script), *arguments, "--exit-on-stdin-eof", "--lifetime", str(LIFETIME_SECONDS)],
        env=environment_without_proxies(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    )
    upstream = Upstream(name=name, base_url="", process=process, ca_file=ca_file)
    bound = threading.Event()

    def drain() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            upstream.lines.append(line)
            match = LISTENING.search(line)
            if match and not bound.is_set():
                upstream.base_url = match.group(1)
                bound.set()
        bound.set()

    threading.Thread(target=drain, name=f"{name}-log", daemon=True).start()
    if not bound.wait(START_TIMEOUT) or not upstream.base_url:
        upstream.stop()
        raise RuntimeError(
            f"{name} did not print 'listening on ...' within {START_TIMEOUT}s (exit code {process.poll()}); "
            f"its output:\n{upstream.log_text()}"
        )
    return upstream


class Upstreams:
    """Starts test servers on demand and stops all of them at the end of the owning fixture's scope."""

    def __init__(self) -> None:
        self.running: list[Upstream] = []

    def _start(self, name: str, script: Path, arguments: list[str], ca_file: Path | None = None) -> Upstream:
        upstream = start_server(name, script, arguments, ca_file)
        self.running.append(upstream)
        return upstream

    def recording(
        self,
        dialect: str,
        *,
        key: str = UPSTREAM_KEY,
        api_version: str | None = None,
        seed_examples: bool = False,
        bare_errors: bool = False,
        tls: TLSMaterial | None = None,
    ) -> Upstream:
        """A recording upstream in `dialect` (openai, azure-v1, azure-legacy); see recording_upstream.py.

        `api_version` (azure-legacy): the dated version requests must carry, or "any" (server default 2024-06-01);
        `seed_examples`: answer as the 2024-06-01 seed's examples; `bare_errors`: azure-v1 errors not wrapped;
        `tls`: serve https with tls.server_cert (then Upstream.ca_file is tls.ca_cert).
        """
        if dialect not in UPSTREAM_DIALECTS:
            raise ValueError(dialect)
        arguments = ["--dialect", dialect, "--key", key]
        if api_version is not None:
            arguments += ["--api-version", api_version]
        if seed_examples:
            arguments.append("--seed-examples")
        if bare_errors:
            arguments.append("--v1-bare-errors")
        if tls is not None:
            arguments += ["--tls-cert", str(tls.server_cert), "--tls-key", str(tls.server_key)]
        return self._start(f"recording-{dialect}", RECORDING, arguments, tls.ca_cert if tls else None)

    def faulty(
        self,
        fault: str | None = None,
        *,
        length: int | None = None,
        sent: int | None = None,
        read_rate: int | None = None,
        redirect_to: str | None = None,
        gather: int | None = None,
    ) -> Upstream:
        """A faulty upstream acting out `fault` (or, per request, the fault named by a `/fault/NAME/` path)."""
        arguments = ["--fault", fault] if fault else []
        for option, value in (("--length", length), ("--sent", sent), ("--read-rate", read_rate),
                              ("--redirect-to", redirect_to), ("--gather", gather)):
            if value is not None:
                arguments += [option, str(value)]
        return self._start(f"faulty-{fault or 'by-path'}", FAULTY, arguments)

    def proxy(self) -> Upstream:
        """A CONNECT proxy that tunnels to 127.0.0.1 only; recorded() lists the CONNECTs it served."""
        return self._start("connect-proxy", PROXY, [])

    def stop_all(self) -> None:
        while self.running:
            self.running.pop().stop()


@pytest.fixture
def upstreams() -> Iterator[Upstreams]:
    """Starts servers for one test; all stop when the test ends."""
    started = Upstreams()
    try:
        yield started
    finally:
        started.stop_all()


@pytest.fixture(scope="session")
def session_upstreams() -> Iterator[Upstreams]:
    """Starts servers shared by the whole session (call .clear() on one before asserting on its recording)."""
    started = Upstreams()
    try:
        yield started
    finally:
        started.stop_all()


@pytest.fixture
def connect_proxy(upstreams: Upstreams) -> Upstream:
    """A CONNECT proxy for one test (HTTPS_PROXY=connect_proxy.base_url)."""
    return upstreams.proxy()


@pytest.fixture(scope="session")
def tls_material(tmp_path_factory: pytest.TempPathFactory) -> TLSMaterial:
    """A test CA, a server certificate for 127.0.0.1/localhost signed by it, and an unrelated CA."""
    return make_tls_material(tmp_path_factory.mktemp("tls"))
