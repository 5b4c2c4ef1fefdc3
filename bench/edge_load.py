"""make load's edge figures (issue 5): a normal client's latency under slowloris, and RSS under a stalled reader.

    python3 bench/edge_load.py --base http://127.0.0.1:PORT --key KEY --pid PID [--slowloris 500] [--seconds 20]
        [--stalled-mib 1024]

Slowloris: --slowloris connections each send a request line, then one header byte a second, and open again when
filegate closes them (its `client_header_timeout_seconds`), for --seconds; meanwhile one normal keep-alive client
retrieves a file 50 times a second. Reported: the normal calls' p50/p99/max and any error, and how many slowloris
connections filegate closed.

Stalled reader: a --stalled-mib file is uploaded, then downloaded by a client that reads the answer's head and then
nothing. filegate's RSS (VmRSS) is read before the download and again once it has stopped growing (10 s); the growth
is what a reader that stops costs. The connection is then closed.

Prints one JSON object. Sockets only, no HTTP library, so what is timed is filegate.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import urllib.parse

from load_client import rss_kib

BOUNDARY = "----filegate-edge-load"
NORMAL_RATE = 50


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """One answer with a Content-Length body: its status and body."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    return status, await reader.readexactly(length)


async def upload(host: str, port: int, key: str, size: int) -> str:
    """Uploads `size` bytes of a repeating pattern as a fine-tune file; returns its id."""
    reader, writer = await asyncio.open_connection(host, port)
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nfine-tune\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="stalled.jsonl"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    writer.write(
        (
            f"POST /v1/files HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n"
            f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
            f"Content-Length: {len(head) + size + len(tail)}\r\n\r\n"
        ).encode()
        + head
    )
    block = b'{"prompt": "p", "completion": "c"}\n' * 29127
    sent = 0
    while sent < size:
        piece = block[: size - sent]
        writer.write(piece)
        sent += len(piece)
        await writer.drain()
    writer.write(tail)
    status, body = await read_answer(reader)
    writer.close()
    if status != 200:
        raise RuntimeError(f"upload answered {status}: {body[:200]!r}")
    return json.loads(body)["id"]


async def slowloris_connection(host: str, port: int, stop: float, closed: list[int]) -> None:
    """A request line, then a header byte a second; opened again whenever filegate closes it."""
    while time.monotonic() < stop:
        try:
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(b"GET /v1/files HTTP/1.1\r\nHost: slow\r\nX-Slow: ")
            while time.monotonic() < stop:
                await asyncio.sleep(1)
                if reader.at_eof():
                    closed[0] += 1
                    break
                writer.write(b"a")
                await writer.drain()
            writer.close()
        except (ConnectionError, OSError):
            closed[0] += 1
        await asyncio.sleep(0.1)


async def normal_client(host: str, port: int, key: str, file_id: str, stop: float) -> tuple[list[float], int]:
    """Retrieves `file_id` NORMAL_RATE times a second on one keep-alive connection; latencies in ms, and errors."""
    latencies: list[float] = []
    errors = 0
    reader, writer = await asyncio.open_connection(host, port)
    request = f"GET /v1/files/{file_id} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n\r\n".encode()
    next_at = time.monotonic()
    while time.monotonic() < stop:
        next_at += 1 / NORMAL_RATE
        started = time.monotonic()
        try:
            writer.write(request)
            status, _ = await read_answer(reader)
            if status != 200:
                errors += 1
        except (ConnectionError, OSError, asyncio.IncompleteReadError):
            errors += 1
            reader, writer = await asyncio.open_connection(host, port)
        latencies.append((time.monotonic() - started) * 1000)
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
    writer.close()
    return latencies, errors


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))], 2)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--slowloris", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--stalled-mib", type=int, default=1024)
    options = parser.parse_args()
    url = urllib.parse.urlsplit(options.base)
    host, port = url.hostname or "127.0.0.1", url.port or 80

    small_id = await upload(host, port, options.key, 1024)
    stop = time.monotonic() + options.seconds
    closed = [0]
    dribblers = [
        asyncio.create_task(slowloris_connection(host, port, stop, closed)) for _ in range(options.slowloris)
    ]
    latencies, errors = await normal_client(host, port, options.key, small_id, stop)
    await asyncio.gather(*dribblers)

    big_id = await upload(host, port, options.key, options.stalled_mib * 1024 * 1024)
    await asyncio.sleep(2)
    before = rss_kib(options.pid)
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(
        f"GET /v1/files/{big_id}/content HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {options.key}\r\n\r\n".encode()
    )
    await reader.readuntil(b"\r\n\r\n")
    peak = before
    for _ in range(10):
        await asyncio.sleep(1)
        peak = max(peak, rss_kib(options.pid))
    writer.close()

    print(
        json.dumps(
            {
                "slowloris": {
                    "connections": options.slowloris,
                    "seconds": options.seconds,
                    "closed_by_filegate": closed[0],
                    "normal_calls": len(latencies),
                    "normal_errors": errors,
                    "normal_p50_ms": percentile(latencies, 0.5),
                    "normal_p99_ms": percentile(latencies, 0.99),
                    "normal_max_ms": round(max(latencies), 2),
                    "normal_mean_ms": round(statistics.fmean(latencies), 2),
                },
                "stalled_reader": {
                    "file_mib": options.stalled_mib,
                    "rss_before_kib": before,
                    "rss_peak_kib": peak,
                    "growth_kib": peak - before,
                },
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
