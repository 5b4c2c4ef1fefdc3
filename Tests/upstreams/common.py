"""What the test upstreams share: a small HTTP/1.1 request reader on asyncio streams, answers with exact lengths,
the request recorder behind `/__recorded`, and the start-up/shut-down contract.

Start-up contract (the same as filegate's): bind 127.0.0.1 on the given port (0 by default), then print one line
`listening on http://127.0.0.1:PORT` (https when serving TLS) on stdout. Every server is bounded: it stops on
SIGTERM/SIGINT, after `--lifetime` seconds, and, with `--exit-on-stdin-eof`, as soon as its stdin closes (the test
process that started it went away, however it ended).

Stdlib only (Python 3.11). Nothing here binds anything but 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import http
import json
import signal
import socket
import ssl
import struct
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import AsyncIterator, Awaitable, Callable

HOST = "127.0.0.1"
# A request head larger than this is refused (431); also the asyncio stream buffer limit.
MAX_HEAD_BYTES = 64 * 1024
# Body bytes are read from the socket in slices of at most this size: memory never grows with the body.
READ_SLICE = 256 * 1024
# How long an idle keep-alive connection, or a peer that stopped sending a body, is waited for.
IDLE_TIMEOUT = 60.0
DEFAULT_LIFETIME = 3600.0
# Connections the kernel queues before the upstream accepts them (asyncio's default is 100): a wave of connections
# at once, as the gather fault waits for, never waits on a dropped SYN.
BACKLOG = 1024


class HTTPError(Exception):
    """A request this server refuses; the handler turns it into an answer in its dialect's error shape."""

    def __init__(self, status: int, message: str, *, param: str | None = None, headers: list | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.headers = headers or []


class PeerGone(Exception):
    """The peer closed the connection (or stopped sending) before the whole request body arrived."""


@dataclass
class Request:
    """One request head as received: method, target, version and every header in order, names as sent."""

    method: str
    target: str
    version: str
    headers: list[tuple[str, str]]
    record: dict = field(default_factory=dict)

    @property
    def path(self) -> str:
        return urllib.parse.urlsplit(self.target).path

    @property
    def query(self) -> list[tuple[str, str]]:
        return urllib.parse.parse_qsl(urllib.parse.urlsplit(self.target).query, keep_blank_values=True)

    def query_values(self, name: str) -> list[str]:
        return [value for key, value in self.query if key == name]

    def header_values(self, name: str) -> list[str]:
        lowered = name.lower()
        return [value for key, value in self.headers if key.lower() == lowered]

    def header(self, name: str) -> str | None:
        values = self.header_values(name)
        return values[0] if values else None

    @property
    def chunked(self) -> bool:
        return any("chunked" in value.lower() for value in self.header_values("transfer-encoding"))

    @property
    def content_length(self) -> int | None:
        values = self.header_values("content-length")
        if not values:
            return None
        if len(set(values)) != 1 or not values[0].strip().isdigit():
            raise HTTPError(400, f"bad Content-Length: {values!r}")
        return int(values[0])

    @property
    def expects_continue(self) -> bool:
        return any(value.strip().lower() == "100-continue" for value in self.header_values("expect"))

    @property
    def wants_close(self) -> bool:
        connection = ",".join(self.header_values("connection")).lower()
        return "close" in connection or self.version == "HTTP/1.0"


async def read_request(reader: asyncio.StreamReader) -> Request | None:
    """Reads one request head; None when the peer closed (or idled out) between requests."""
    try:
        raw = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), IDLE_TIMEOUT)
    except (asyncio.IncompleteReadError, asyncio.TimeoutError, ConnectionError):
        return None
    except asyncio.LimitOverrunError as error:
        raise HTTPError(431, "request head too large") from error
    lines = raw[:-4].decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise HTTPError(400, f"bad request line: {lines[0][:200]!r}")
    headers = []
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon or not name or name != name.strip():
            raise HTTPError(400, f"bad header line: {line[:200]!r}")
        headers.append((name, value.strip()))
    return Request(parts[0], parts[1], parts[2], headers)


async def _read_some(reader: asyncio.StreamReader, limit: int) -> bytes:
    try:
        data = await asyncio.wait_for(reader.read(limit), IDLE_TIMEOUT)
    except (asyncio.TimeoutError, ConnectionError) as error:
        raise PeerGone("the body stopped arriving") from error
    if not data:
        raise PeerGone("the peer closed the connection inside the body")
    return data


async def _read_line(reader: asyncio.StreamReader) -> bytes:
    try:
        line = await asyncio.wait_for(reader.readuntil(b"\r\n"), IDLE_TIMEOUT)
    except (asyncio.IncompleteReadError, asyncio.TimeoutError, ConnectionError) as error:
        raise PeerGone("the chunked body stopped") from error
    except asyncio.LimitOverrunError as error:
        raise HTTPError(400, "chunk line too long") from error
    return line[:-2]


async def body_chunks(
    reader: asyncio.StreamReader, request: Request, *, slice_size: int = READ_SLICE
) -> AsyncIterator[bytes]:
    """The request body, slice by slice, by Content-Length or chunked; counts into `request.record`.

    Raises PeerGone when the body ends early: `record["body_complete"]` stays false and `record["body_bytes"]`
    says how far it got.
    """
    record = request.record
    if request.chunked:
        while True:
            size_text = (await _read_line(reader)).split(b";")[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError as error:
                raise HTTPError(400, f"bad chunk size {size_text[:40]!r}") from error
            if size == 0:
                while await _read_line(reader):
                    pass
                break
            remaining = size
            while remaining:
                data = await _read_some(reader, min(remaining, slice_size))
                remaining -= len(data)
                record["body_bytes"] += len(data)
                yield data
            if await _read_line(reader):
                raise HTTPError(400, "chunk data longer than its size")
    else:
        # What a handler left unread (it stopped at a refusal) can be drained by a second call.
        remaining = (request.content_length or 0) - record["body_bytes"]
        while remaining:
            data = await _read_some(reader, min(remaining, slice_size))
            remaining -= len(data)
            record["body_bytes"] += len(data)
            yield data
    record["body_complete"] = True


async def drain_body(reader: asyncio.StreamReader, request: Request) -> None:
    async for _ in body_chunks(reader, request):
        pass


def status_line(status: int) -> bytes:
    try:
        reason = http.HTTPStatus(status).phrase
    except ValueError:
        reason = "Status"
    return f"HTTP/1.1 {status} {reason}\r\n".encode()


def response_head(status: int, headers: list[tuple[str, str]]) -> bytes:
    lines = [status_line(status)]
    lines += [f"{name}: {value}\r\n".encode("latin-1") for name, value in headers]
    return b"".join(lines) + b"\r\n"


async def send(
    writer: asyncio.StreamWriter,
    status: int,
    headers: list[tuple[str, str]],
    body: bytes = b"",
    *,
    close: bool = False,
) -> None:
    """One whole answer with an exact Content-Length (none on 204/304)."""
    headers = list(headers)
    if status not in (204, 304):
        headers.append(("Content-Length", str(len(body))))
    if close:
        headers.append(("Connection", "close"))
    writer.write(response_head(status, headers) + body)
    await writer.drain()


def json_bytes(value: object) -> bytes:
    return json.dumps(value).encode()


async def flush(writer: asyncio.StreamWriter) -> None:
    """Waits until everything written has left the process (not merely dropped below the high-water mark)."""
    writer.transport.set_write_buffer_limits(high=0)
    await writer.drain()


def abort_with_reset(writer: asyncio.StreamWriter) -> None:
    """Closes with SO_LINGER 0: the kernel sends RST, not FIN, so the peer sees a reset connection."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def close_gracefully(writer: asyncio.StreamWriter, reader: asyncio.StreamReader | None = None) -> None:
    """Half-closes, then discards what the peer still sends for a moment, so an unread body never turns our
    close into a RST that would hide the answer from the peer."""
    try:
        await flush(writer)
        if writer.can_write_eof():
            writer.write_eof()
        if reader is not None:
            deadline = time.monotonic() + 2.0
            while time.monotonic() < deadline:
                data = await asyncio.wait_for(reader.read(READ_SLICE), max(0.01, deadline - time.monotonic()))
                if not data:
                    break
    except (ConnectionError, asyncio.TimeoutError, OSError):
        pass
    finally:
        writer.close()


class Recorder:
    """Every request this server saw, in arrival order, as JSON-ready dicts (served at GET /__recorded).

    An entry is added when the head arrives and updated while its body streams in, so a test can also see a body
    that stopped half way (`body_complete` false) or a request that was never answered (`status` null).
    """

    def __init__(self) -> None:
        self.entries: list[dict] = []

    def start(self, request: Request, peer_port: int | None, connection: int) -> dict:
        try:
            declared = request.content_length
        except HTTPError:
            declared = None
        has_body = request.chunked or bool(declared)
        record = {
            "method": request.method,
            "target": request.target,
            "path": request.path,
            "version": request.version,
            "headers": [[name, value] for name, value in request.headers],
            "declared_length": declared,
            "chunked": request.chunked,
            "body_bytes": 0,
            "body_complete": not has_body,
            "peer_port": peer_port,
            "connection": connection,
            "received_at": time.time(),
            "status": None,
        }
        request.record = record
        self.entries.append(record)
        return record

    def clear(self) -> None:
        self.entries.clear()


def plain_error(error: HTTPError) -> tuple[str, bytes]:
    """A request that could not be read, answered as text."""
    return "text/plain", error.message.encode()


async def next_request(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    error_body: Callable[[HTTPError], tuple[str, bytes]] = plain_error,
) -> Request | None:
    """The connection's next request; None when the peer closed it, or sent one that cannot be read (answered with
    `error_body`'s content type and body, then the connection closed)."""
    try:
        return await read_request(reader)
    except HTTPError as error:
        content_type, body = error_body(error)
        await send(writer, error.status, [("Content-Type", content_type)], body, close=True)
        await close_gracefully(writer, reader)
        return None


async def serve_recorder(recorder: Recorder, request: Request, writer: asyncio.StreamWriter) -> bool:
    """Answers GET/DELETE /__recorded (no key needed; never recorded itself). False if the path is another one."""
    if request.path != "/__recorded":
        return False
    if request.method == "GET":
        await send(writer, 200, [("Content-Type", "application/json")], json_bytes(recorder.entries))
    elif request.method == "DELETE":
        recorder.clear()
        await send(writer, 204, [])
    else:
        await send(writer, 405, [("Allow", "GET, DELETE"), ("Content-Type", "text/plain")], b"GET or DELETE\n")
    return True


def base_arguments(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default 0: any free port)")
    parser.add_argument("--lifetime", type=float, default=DEFAULT_LIFETIME, help="stop after this many seconds")
    parser.add_argument(
        "--exit-on-stdin-eof", action="store_true", help="stop when stdin closes (the parent test process ended)"
    )
    return parser


ConnectionHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def run(
    handler: ConnectionHandler,
    arguments: argparse.Namespace,
    *,
    ssl_context: ssl.SSLContext | None = None,
    on_listening: Callable[[int], None] | None = None,
) -> None:
    """Serves until a signal, the lifetime or stdin EOF; prints the `listening on` line once bound."""
    asyncio.run(_serve(handler, arguments, ssl_context, on_listening))


async def _serve(
    handler: ConnectionHandler,
    arguments: argparse.Namespace,
    ssl_context: ssl.SSLContext | None,
    on_listening: Callable[[int], None] | None,
) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    connections: set[asyncio.Task] = set()

    async def tracked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        connections.add(task)
        try:
            await handler(reader, writer)
        except (ConnectionError, asyncio.CancelledError, ssl.SSLError, OSError):
            pass
        finally:
            connections.discard(task)
            writer.close()

    server = await asyncio.start_server(
        tracked, HOST, arguments.port, ssl=ssl_context, limit=MAX_HEAD_BYTES, backlog=BACKLOG
    )
    port = server.sockets[0].getsockname()[1]
    if on_listening is not None:
        on_listening(port)
    scheme = "https" if ssl_context else "http"
    print(f"listening on {scheme}://{HOST}:{port}", flush=True)

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    loop.call_later(arguments.lifetime, stop.set)
    if arguments.exit_on_stdin_eof:

        def watch_stdin() -> None:
            while sys.stdin.buffer.read(4096):
                pass
            loop.call_soon_threadsafe(stop.set)

        threading.Thread(target=watch_stdin, name="stdin-eof", daemon=True).start()

    await stop.wait()
    server.close()
    for task in list(connections):
        task.cancel()
    await asyncio.gather(*connections, return_exceptions=True)
    print("stopped", flush=True)
