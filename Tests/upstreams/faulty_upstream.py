"""An upstream for the tests that misbehaves on request: the fault tests of filegate's remote backends.

    python3 faulty_upstream.py [--fault NAME] [--length N] [--sent N] [--read-rate BYTES_PER_S]
        [--redirect-to URL] [--gather N] [--port 0] [--lifetime S] [--exit-on-stdin-eof]

Each request's behaviour is its path's first segments `/fault/NAME/...` when they name a fault (so one server can
stand behind several backends, each configured with its own endpoint path), else `--fault`. Faults:

- `ok`               200 with an OpenAI-shaped file object (bytes = the request body's length)
- `reset-mid-body`   reads the request, sends a 200 head with `Content-Length: --length`, `--sent` bytes of body,
                     then resets the connection (SO_LINGER 0: RST, not FIN)
- `stall`            reads the request, never answers (until the peer closes or the server stops)
- `stall-after-head` reads the request, sends a 200 head with `Content-Length: --length`, never sends the body
- `garbage`          200, `Content-Type: application/json`, a body that is not JSON
- `short-body`       200 head with `Content-Length: 1000`, 10 bytes, then a clean close (FIN)
- `redirect`         302 with `Location: --redirect-to`
- `html-503`         503 with an HTML body, as a load balancer answers
- `slow-reader`      reads the request body at `--read-rate` bytes per second from a small receive buffer
                     (for backpressure tests), then answers as `ok`
- `latin1-header`    200 with the body of `ok` (a file object, or 64 bytes of content on `/content` paths), a
                     `Content-Disposition` whose filename is Latin-1 (byte 0xE9, not UTF-8) and an
                     `x-ratelimit-remaining-requests: 7`
- `gather`           holds each answer (as `ok`) until `--gather N` requests are held, then answers them all: N
                     transfers in flight at once, on N connections

A refused connection needs no server: use fixtures.closed_port(). Bodies are `application/octet-stream` on paths
ending in `/content`, JSON elsewhere. `GET /__recorded` / `DELETE /__recorded` work as on the recording upstream
(each entry also names its `fault`; `peer_gone` is true when the peer went away first). A peer's close shows only
once the bytes its kernel still held have been read: at slow-reader's rate that can take a while, so a test that
waits for `peer_gone` polls with a timeout rather than expecting it at once.
"""

from __future__ import annotations

import asyncio
import json
import socket

from common import (
    PeerGone,
    Recorder,
    Request,
    abort_with_reset,
    base_arguments,
    body_chunks,
    close_gracefully,
    drain_body,
    flush,
    json_bytes,
    next_request,
    response_head,
    run,
    send,
    serve_recorder,
)

FAULTS = ("ok", "reset-mid-body", "stall", "stall-after-head", "garbage", "short-body", "redirect", "html-503",
          "slow-reader", "latin1-header", "gather")
# Written as Latin-1 by `send`, so the 0xE9 byte goes out as it is.
LATIN1_DISPOSITION = 'attachment; filename="caf\xe9.jsonl"'
LATIN1_CONTENT_BYTES = 64
GARBAGE = b"this is { not JSON <html>"
HTML_503 = (b"<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n"
            b"<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n</body>\r\n</html>\r\n")
SHORT_DECLARED, SHORT_SENT = 1000, 10
# slow-reader reads in slices this large; its socket's receive buffer is kept this small (the asyncio stream
# above it holds at most 2 x common.MAX_HEAD_BYTES more before it stops reading the socket).
SLOW_SLICE = 16 * 1024
SLOW_RECEIVE_BUFFER = 32 * 1024


class FaultyUpstream:
    def __init__(self, arguments) -> None:
        self.default_fault: str | None = arguments.fault
        self.length: int = arguments.length
        self.sent: int = min(arguments.sent, arguments.length)
        self.read_rate: int = arguments.read_rate
        self.redirect_to: str = arguments.redirect_to
        self.gather: int = arguments.gather
        # The held `gather` requests, each released when its wave is full.
        self.gathered: list[asyncio.Future[None]] = []
        self.recorder = Recorder()
        self.connections = 0

    def fault_for(self, request: Request) -> str | None:
        segments = request.path.split("/")
        if len(segments) > 2 and segments[1] == "fault" and segments[2] in FAULTS:
            return segments[2]
        return self.default_fault

    def payload(self, request: Request, size: int) -> tuple[str, bytes]:
        """`size` bytes of body: octet-stream for content, else the start of a JSON file object padded to size."""
        if request.path.endswith("/content"):
            return "application/octet-stream", (b"0123456789abcdef" * (size // 16 + 1))[:size]
        text = json.dumps({"id": "file-faulty", "object": "file", "padding": "x" * size}).encode()
        return "application/json", text[:size]

    @staticmethod
    def file_object(record: dict) -> dict:
        """The file object `ok` answers: `bytes` is the request body's length."""
        return {"id": "file-faulty0000000000000000000000", "object": "file", "bytes": record["body_bytes"],
                "created_at": int(record["received_at"]), "filename": "upload.jsonl", "purpose": "fine-tune",
                "status": "processed"}

    async def handle_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        connection = self.connections
        peer = writer.get_extra_info("peername")
        while True:
            request = await next_request(reader, writer)
            if request is None:
                return
            if await serve_recorder(self.recorder, request, writer):
                continue
            record = self.recorder.start(request, peer[1] if peer else None, connection)
            fault = self.fault_for(request)
            record["fault"] = fault
            try:
                keep_alive = await self.answer(fault, request, reader, writer, record)
            except PeerGone:
                record["peer_gone"] = True
                return
            if not keep_alive:
                return

    async def answer(self, fault: str | None, request: Request, reader, writer, record: dict) -> bool:
        """Acts out one fault; True when the connection may serve another request."""
        if fault == "slow-reader":
            await self.read_slowly(reader, writer, request)
        else:
            await drain_body(reader, request)

        if fault is None:
            body = f"no fault chosen: use --fault or a path /fault/NAME/... with NAME in {', '.join(FAULTS)}\n"
            record["status"] = 400
            await send(writer, 400, [("Content-Type", "text/plain")], body.encode())
            return True
        if fault == "gather":
            await self.wait_for_wave()
        if fault in ("ok", "slow-reader", "gather"):
            record["status"] = 200
            await send(writer, 200, [("Content-Type", "application/json")], json_bytes(self.file_object(record)))
            return True
        if fault == "latin1-header":
            record["status"] = 200
            headers = [("Content-Disposition", LATIN1_DISPOSITION), ("x-ratelimit-remaining-requests", "7")]
            if request.path.endswith("/content"):
                content_type, body = self.payload(request, LATIN1_CONTENT_BYTES)
            else:
                content_type, body = "application/json", json_bytes(self.file_object(record))
            await send(writer, 200, [("Content-Type", content_type), *headers], body)
            return True
        if fault == "garbage":
            record["status"] = 200
            await send(writer, 200, [("Content-Type", "application/json")], GARBAGE)
            return True
        if fault == "html-503":
            record["status"] = 503
            await send(writer, 503, [("Content-Type", "text/html")], HTML_503)
            return True
        if fault == "redirect":
            record["status"] = 302
            await send(writer, 302, [("Location", self.redirect_to), ("Content-Type", "text/plain")],
                       b"moved elsewhere\n")
            return True
        if fault == "short-body":
            record["status"] = 200
            content_type, body = self.payload(request, SHORT_SENT)
            writer.write(response_head(200, [("Content-Type", content_type),
                                             ("Content-Length", str(SHORT_DECLARED))]) + body)
            await close_gracefully(writer)
            return False
        if fault == "reset-mid-body":
            record["status"] = 200
            content_type, body = self.payload(request, self.length)
            writer.write(response_head(200, [("Content-Type", content_type), ("Content-Length", str(self.length))]))
            writer.write(body[: self.sent])
            await flush(writer)
            abort_with_reset(writer)
            return False
        if fault == "stall-after-head":
            record["status"] = 200
            content_type, _ = self.payload(request, self.length)
            writer.write(response_head(200, [("Content-Type", content_type), ("Content-Length", str(self.length))]))
            await flush(writer)
        # stall, stall-after-head: wait for the peer to give up (or the server to stop); never answer more.
        while await reader.read(65536):
            pass
        record["peer_gone"] = True
        return False

    async def wait_for_wave(self) -> None:
        held = asyncio.get_running_loop().create_future()
        self.gathered.append(held)
        if len(self.gathered) >= self.gather:
            for waiting in self.gathered:
                waiting.set_result(None)
            self.gathered.clear()
        await held

    async def read_slowly(self, reader: asyncio.StreamReader, writer, request: Request) -> None:
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SLOW_RECEIVE_BUFFER)
        pause = SLOW_SLICE / self.read_rate
        async for _ in body_chunks(reader, request, slice_size=SLOW_SLICE):
            await asyncio.sleep(pause)


def main() -> None:
    parser = base_arguments(__doc__.split("\n\n")[0])
    parser.add_argument("--fault", choices=FAULTS, help="the fault for paths that do not name one")
    parser.add_argument("--length", type=int, default=1_048_576,
                        help="Content-Length announced by reset-mid-body and stall-after-head")
    parser.add_argument("--sent", type=int, default=65_536, help="body bytes reset-mid-body sends before the reset")
    parser.add_argument("--read-rate", type=int, default=262_144, help="slow-reader: bytes per second it reads")
    parser.add_argument("--redirect-to", default="http://127.0.0.1:9/redirected", help="redirect: the Location")
    parser.add_argument("--gather", type=int, default=1, help="gather: how many requests each wave holds")
    arguments = parser.parse_args()
    upstream = FaultyUpstream(arguments)
    run(upstream.handle_connection, arguments)


if __name__ == "__main__":
    main()
