"""Raw HTTP/1.1 on a plain socket, for the edge tests (issue 5): no HTTP library between the test and filegate.

A test writes exact bytes, however malformed, and reads back exactly what filegate did about them:

    with RawConnection.to(base) as connection:
        connection.send(b"GET /v1/files HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
        answer = connection.read_answer()      # None: closed without an answer (HTTP/0.9)
        after = connection.after_answer()      # closed? a second answer?

`exchange()` does that in one call and tells whether filegate closed the connection without waiting for a timeout:
after the answer it sends a probe request filegate answers by itself (`PROBE`, a 404 on a path no API has). On a
connection still open the probe's answer comes back; on a closed one the socket reaches end of file (or a reset).
Anything else that comes back is a second answer to the first request's bytes: something was smuggled. Socket
timeouts only guard against hangs.

`EdgeFront` runs one filegate in front of one recording upstream (Tests/upstreams/recording_upstream.py) and checks
what reached the upstream: nothing for a refused request, and for a served one no client key and no header DESIGN.md's
allowlist keeps back. Test modules share one per module through `edge_front()`.
"""

from __future__ import annotations

import json
import select
import socket
import sys
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from conftest import Server, front_config, sha256_hex, start_front, stop_filegate
from support import DEMO_KEY, OTHER_KEY, SENT_KEYS, Response

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from upstreams.fixtures import UPSTREAM_KEY, Upstream, Upstreams, header_values  # noqa: E402

# Guards against hangs only; nothing waits on it to synchronise.
SOCKET_TIMEOUT = 10.0
# A path no dialect serves: filegate answers it 404 by itself, without the upstream.
PROBE_PATH = "/edge-probe"
PROBE = f"GET {PROBE_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
# Headers that never reach an upstream, whatever the client sends (DESIGN.md "Headers, both ways"; issue 5 point 5).
# `authorization` is checked apart: the upstream sees the backend's own credential there.
NEVER_FORWARDED = (
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "upgrade",
    "http2-settings",
    "proxy-authorization",
    "api-key",
    "cookie",
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-host",
    "sec-websocket-key",
    "sec-websocket-version",
    "expect",
    "transfer-encoding",
)


@dataclass
class Answer:
    """One answer read off the socket: status line, header fields in order (names as sent) and body."""

    version: str
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes

    def header_values(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]

    def header(self, name: str) -> str | None:
        values = self.header_values(name)
        return ", ".join(values) if values else None

    def json(self) -> object:
        return json.loads(self.body)

    def describe(self) -> str:
        return f"{self.version} {self.status} {self.reason} {self.headers} {self.body[:300]!r}"

    def as_response(self, sent: bytes = b"") -> Response:
        """The answer in support.py's shape, for `assert_error` and `assert_no_key`."""
        headers: dict[str, list[str]] = {}
        for name, value in self.headers:
            headers.setdefault(name.lower(), []).append(value)
        return Response(self.status, [self.status], headers, self.body, ["raw", repr(sent[:200])])


class RawConnection:
    """One TCP connection to filegate: send bytes, read answers, see how the connection ended."""

    def __init__(self, host: str, port: int, timeout: float = SOCKET_TIMEOUT) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buffer = b""
        # Set once the peer closed (end of file) or reset the connection.
        self.eof = False
        self.reset = False

    @classmethod
    def to(cls, base: str, timeout: float = SOCKET_TIMEOUT) -> "RawConnection":
        parsed = urllib.parse.urlsplit(base)
        assert parsed.hostname and parsed.port, base
        return cls(parsed.hostname, parsed.port, timeout)

    def __enter__(self) -> "RawConnection":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self.sock.close()

    def send(self, data: bytes) -> bool:
        """Sends all of `data`; False when the peer had already closed or reset the connection."""
        try:
            self.sock.sendall(data)
            return True
        except (BrokenPipeError, ConnectionResetError):
            return False

    def send_while_open(self, pieces: Iterable[bytes]) -> int:
        """Sends the pieces in order until an answer is readable or the peer stops reading; returns bytes sent."""
        sent = 0
        for piece in pieces:
            readable, _, _ = select.select([self.sock], [], [], 0)
            if readable or not self.send(piece):
                break
            sent += len(piece)
        return sent

    def _receive(self) -> bool:
        """Reads once into the buffer; False at end of file or reset."""
        if self.eof:
            return False
        try:
            chunk = self.sock.recv(65536)
        except ConnectionResetError:
            self.eof = self.reset = True
            return False
        except socket.timeout as error:
            raise AssertionError(f"nothing within {SOCKET_TIMEOUT}s; received so far: {self.buffer[:500]!r}") from error
        if not chunk:
            self.eof = True
            return False
        self.buffer += chunk
        return True

    def _take_line(self) -> bytes:
        while b"\r\n" not in self.buffer:
            if not self._receive():
                raise AssertionError(f"connection closed inside a line: {self.buffer[:500]!r}")
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def _take(self, length: int) -> bytes:
        while len(self.buffer) < length:
            if not self._receive():
                raise AssertionError(f"connection closed with {len(self.buffer)} of {length} body bytes")
        taken, self.buffer = self.buffer[:length], self.buffer[length:]
        return taken

    def read_answer(self, *, head_only: bool = False, skip_interim: bool = True) -> Answer | None:
        """The next answer, interim ones (100 Continue) skipped unless `skip_interim` is false; None when the
        connection ends before any byte of one. A body is read by Content-Length or chunked; `head_only` for an
        answer to HEAD (or one whose body the caller reads)."""
        while not self.buffer:
            if not self._receive():
                return None
        while b"\r\n\r\n" not in self.buffer:
            if not self._receive():
                raise AssertionError(f"connection closed inside an answer head: {self.buffer[:500]!r}")
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        version, status, *reason = lines[0].split(" ", 2)
        headers = []
        for line in lines[1:]:
            name, colon, value = line.partition(":")
            assert colon, f"answer header line without a colon: {line!r}"
            headers.append((name, value.strip()))
        answer = Answer(version, int(status), reason[0] if reason else "", headers, b"")
        if 100 <= answer.status < 200:
            return self.read_answer(head_only=head_only) if skip_interim else answer
        if not head_only and answer.status not in (204, 304):
            answer.body = self._read_body(answer)
        return answer

    def _read_body(self, answer: Answer) -> bytes:
        if (answer.header("transfer-encoding") or "").lower() == "chunked":
            body = b""
            while size := int(self._take_line().split(b";")[0], 16):
                body += self._take(size)
                assert self._take_line() == b"", "chunk data longer than its size"
            while self._take_line():
                pass
            return body
        length = answer.header("content-length")
        if length is None:
            while self._receive():
                pass
            body, self.buffer = self.buffer, b""
            return body
        return self._take(int(length))

    def read_to_end(self) -> bytes:
        """Everything until the peer closes (bounded by the socket timeout)."""
        while self._receive():
            pass
        rest, self.buffer = self.buffer, b""
        return rest

    def after_sending_ends(self) -> bytes:
        """Half-closes the client's side (it sends nothing more) and returns what comes until filegate closes.

        For an early answer to a request whose body never comes: filegate discards what still arrives before it
        closes, so a probe would be taken as body; the client's end of input is what lets it close at once."""
        self.sock.shutdown(socket.SHUT_WR)
        return self.read_to_end()

    def after_answer(self) -> "Ending":
        """Sends `PROBE` and reads what follows: the probe's answer on an open connection, end of file on a closed
        one. Every other answer is one the first request's bytes produced (`extra`)."""
        extra: list[Answer] = []
        if self.buffer or not self.eof:
            self.send(PROBE)
            while (answer := self.read_answer()) is not None:
                if answer.status == 404 and answer.body and b"Unknown path" in answer.body and not self.buffer:
                    return Ending(closed=False, extra=extra)
                extra.append(answer)
        return Ending(closed=True, extra=extra, reset=self.reset)


@dataclass
class Ending:
    """How a connection went on after the answer under test."""

    closed: bool
    # Answers nobody asked for: a sign the request's bytes were read as more than one request.
    extra: list[Answer] = field(default_factory=list)
    reset: bool = False


@dataclass
class Outcome:
    """What one raw exchange produced: the answer (None: closed without one) and how the connection ended."""

    sent: bytes
    answer: Answer | None
    ending: Ending

    @property
    def status(self) -> int | None:
        return self.answer.status if self.answer else None

    def describe(self) -> str:
        answer = self.answer.describe() if self.answer else "no answer"
        extra = [a.describe() for a in self.ending.extra]
        return f"sent {self.sent[:300]!r} -> {answer}; closed={self.ending.closed} extra={extra}"


def exchange(base: str, raw: bytes, *, head_only: bool = False) -> Outcome:
    """Sends `raw` on a new connection, reads one answer, then finds out whether the connection stayed open."""
    with RawConnection.to(base) as connection:
        connection.send(raw)
        answer = connection.read_answer(head_only=head_only)
        ending = connection.after_answer() if answer is not None else Ending(closed=True, extra=[])
        if answer is None:
            assert connection.buffer == b"", connection.buffer
        return Outcome(raw, answer, ending)


def request(
    method: str,
    target: str,
    headers: Iterable[str] = (),
    body: bytes = b"",
    *,
    version: str = "HTTP/1.1",
    host: str | None = "127.0.0.1",
) -> bytes:
    """A well-formed request's bytes: request line, `Host` (unless None), `headers` as given, the body as given
    (the caller writes its framing headers)."""
    lines = [f"{method} {target} {version}"]
    if host is not None:
        lines.append(f"Host: {host}")
    lines += list(headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def chunked(*chunks: bytes) -> bytes:
    """A chunked body of `chunks`, then the last chunk and an empty trailer section."""
    return b"".join(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" for chunk in chunks) + b"0\r\n\r\n"


def edge_config(upstream: Upstream, **settings: object) -> dict:
    """A front whose backend is `upstream` (openai dialect), with the demo client and a second one (`OTHER_KEY`)
    on the same backend, and top-level `settings` (the limits) added."""
    config = front_config("openai", upstream.base_url)
    config["clients"].append(
        {"name": "other", "key_sha256": sha256_hex(OTHER_KEY), "backends": ["up"], "default_backend": "up"}
    )
    config.update(settings)
    return config


@dataclass
class EdgeFront:
    """One filegate in front of one recording upstream, and the checks on what reached the upstream."""

    server: Server
    upstream: Upstream

    @property
    def base(self) -> str:
        return self.server.base_url

    @property
    def authority(self) -> str:
        return urllib.parse.urlsplit(self.base).netloc

    def run(self, raw: bytes, *, head_only: bool = False) -> tuple[Outcome, list[dict]]:
        """One exchange on a fresh connection, and every request the upstream saw because of it."""
        self.upstream.clear()
        outcome = exchange(self.base, raw, head_only=head_only)
        return outcome, self.upstream.recorded()

    def check(
        self,
        raw: bytes,
        status: int | None,
        close: bool,
        forwarded: bool,
        *,
        head_only: bool = False,
    ) -> tuple[Outcome, list[dict]]:
        """Runs `raw` and asserts the status (None: no answer at all), whether the connection closed, no second
        answer, and that exactly one request reached the upstream when `forwarded`, none otherwise, carrying no
        key and no forbidden header."""
        outcome, recorded = self.run(raw, head_only=head_only)
        assert outcome.status == status, outcome.describe()
        assert outcome.ending.closed == close, outcome.describe()
        assert outcome.ending.extra == [], outcome.describe()
        if outcome.answer is not None:
            for key in SENT_KEYS:
                assert key.encode() not in outcome.answer.body, outcome.describe()
                assert key not in repr(outcome.answer.headers), outcome.describe()
        assert len(recorded) == (1 if forwarded else 0), (outcome.describe(), recorded)
        for entry in recorded:
            assert_clean_upstream_request(entry)
        return outcome, recorded


def assert_clean_upstream_request(entry: dict, also_forbidden: Iterable[str] = ()) -> None:
    """No client key anywhere in what the upstream got, the backend's own credential only, no forbidden header."""
    everything = repr(entry)
    for key in SENT_KEYS:
        assert key not in everything, (key, entry)
    for name in (*NEVER_FORWARDED, *also_forbidden):
        assert header_values(entry, name) == [], (name, entry)
    for name, _ in entry["headers"]:
        assert not name.lower().startswith("x-filegate-"), (name, entry)
    assert header_values(entry, "authorization") == [f"Bearer {UPSTREAM_KEY}"], entry


def edge_front(directory: Path, **settings: object) -> Iterator[EdgeFront]:
    """Generator for a module fixture: a recording upstream and a filegate in front of it, stopped afterwards."""
    upstreams = Upstreams()
    try:
        upstream = upstreams.recording("openai")
        server = start_front(directory, edge_config(upstream, **settings))
        try:
            yield EdgeFront(server, upstream)
        finally:
            stop_filegate(server)
    finally:
        upstreams.stop_all()


def auth_line(key: str = DEMO_KEY) -> str:
    return f"Authorization: Bearer {key}"

