"""A tiny HTTP CONNECT proxy for the HTTPS_PROXY test: tunnels to 127.0.0.1 targets only, and counts what it did.

    python3 connect_proxy.py [--port 0] [--lifetime S] [--exit-on-stdin-eof]

`CONNECT 127.0.0.1:PORT` is answered `200 Connection established` and bytes are then copied both ways until both
sides close. Any other CONNECT target is a 403 (nothing here ever leaves the machine). A request that is not
CONNECT (an absolute-form `GET http://...`, as curl sends plain-http requests to a proxy) is a 501: this proxy only
tunnels, so a test can see that a request did not go through a tunnel. Every request it served, allowed or not, is
listed by `GET /__recorded` (origin-form, sent to the proxy itself; `DELETE` clears), and one line per CONNECT is
printed on stdout.
"""

from __future__ import annotations

import asyncio

from common import (
    Recorder,
    base_arguments,
    close_gracefully,
    next_request,
    run,
    send,
    serve_recorder,
)

ALLOWED_HOSTS = ("127.0.0.1",)
CONNECT_TIMEOUT = 5.0
COPY_SLICE = 64 * 1024


class ConnectProxy:
    def __init__(self) -> None:
        self.recorder = Recorder()
        self.connections = 0

    async def handle_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        peer = writer.get_extra_info("peername")
        request = await next_request(reader, writer)
        if request is None:
            return
        if await serve_recorder(self.recorder, request, writer):
            await close_gracefully(writer, reader)
            return
        record = self.recorder.start(request, peer[1] if peer else None, self.connections)
        if request.method != "CONNECT":
            record["status"] = 501
            await send(writer, 501, [("Content-Type", "text/plain")], b"this proxy only tunnels (CONNECT)\n",
                       close=True)
            await close_gracefully(writer, reader)
            return
        host, _, port_text = request.target.rpartition(":")
        record["host"], record["port"] = host, port_text
        if host not in ALLOWED_HOSTS or not port_text.isdigit():
            record["status"] = 403
            print(f"CONNECT {request.target} refused", flush=True)
            await send(writer, 403, [("Content-Type", "text/plain")], b"only 127.0.0.1 targets\n", close=True)
            await close_gracefully(writer, reader)
            return
        try:
            target_reader, target_writer = await asyncio.wait_for(
                asyncio.open_connection(host, int(port_text)), CONNECT_TIMEOUT
            )
        except (OSError, asyncio.TimeoutError) as error:
            record["status"] = 502
            print(f"CONNECT {request.target} failed: {error}", flush=True)
            await send(writer, 502, [("Content-Type", "text/plain")], f"{error}\n".encode(), close=True)
            await close_gracefully(writer, reader)
            return
        record["status"] = 200
        print(f"CONNECT {request.target} tunnelled", flush=True)
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        record["bytes_up"], record["bytes_down"] = 0, 0
        await asyncio.gather(
            self.copy(reader, target_writer, record, "bytes_up"),
            self.copy(target_reader, writer, record, "bytes_down"),
        )
        target_writer.close()

    @staticmethod
    async def copy(source: asyncio.StreamReader, sink: asyncio.StreamWriter, record: dict, counter: str) -> None:
        try:
            while data := await source.read(COPY_SLICE):
                record[counter] += len(data)
                sink.write(data)
                await sink.drain()
            if sink.can_write_eof():
                sink.write_eof()
        except (ConnectionError, OSError):
            sink.close()


def main() -> None:
    arguments = base_arguments(__doc__.split("\n\n")[0]).parse_args()
    run(ConnectProxy().handle_connection, arguments)


if __name__ == "__main__":
    main()
