"""make load's client: many keep-alive connections on raw asyncio sockets against one filegate, for a set time.

    python3 bench/load_client.py --base http://127.0.0.1:PORT --key KEY --pid PID [--connections 2000]
        [--seconds 300] [--workers 2] [--think-ms 1000] [--stream-percent 4] [--stream-mib 4] [--upstream-port N]

Each connection, after a random think time (uniform over 0.5..1.5 x --think-ms), makes one call: mostly small ones
(retrieve, list with limit=10) on files made at start, and --stream-percent streaming transfers: half uploads of
--stream-mib MiB (each deleted afterwards, a small call too), half downloads of a file that size. Every answer is
checked (status, length); anything else (an error status, a cut body, a closed connection) is an error. The
connections are split over --workers processes so the client's own event loop lag stays small.

Prints one JSON object: calls and errors per kind, small-call latency percentiles, filegate's RSS (VmRSS) and open
descriptors at start (before any load connection), peak, and end (after every load connection closed).

With --upstream-port (filegate forwarding to an upstream on 127.0.0.1 at that port), filegate's connections to it
are counted apart from its other descriptors, since curl keeps them open for reuse: their number at the peak and at
the end, and how many were opened during the run (the machine's TCP active opens, less the client's own).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import resource
import time
import urllib.parse

SMALL_KINDS = ("retrieve", "list", "delete")
BOUNDARY = "----filegate-load-boundary"


class LoadError(Exception):
    pass


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise LoadError("no VmRSS")


def upstream_socket_inodes(pid: int, port: int | None) -> set[str]:
    """The inodes of the TCP sockets in pid's network namespace connected to 127.0.0.1:`port` (none without one)."""
    inodes: set[str] = set()
    if port is None:
        return inodes
    for table in ("tcp", "tcp6"):
        with open(f"/proc/{pid}/net/{table}") as lines:
            next(lines)
            for line in lines:
                fields = line.split()
                if int(fields[2].rsplit(":", 1)[1], 16) == port:
                    inodes.add(fields[9])
    return inodes


def fd_kinds(pid: int, upstream_port: int | None = None) -> dict[str, int]:
    """Open descriptors by what they point at (`socket`, `anon_inode:[eventfd]`, a file path with digits dropped);
    connections to the upstream as `upstream`."""
    upstream = upstream_socket_inodes(pid, upstream_port)
    kinds: dict[str, int] = {}
    for name in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{name}")
        except OSError:
            continue
        if target.startswith("socket:"):
            kind = "upstream" if target[len("socket:["):-1] in upstream else "socket"
        else:
            kind = target.rsplit("/", 1)[-1].rstrip("0123456789")
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


def descriptor_counts(kinds: dict[str, int]) -> tuple[int, int]:
    """From `fd_kinds`: the descriptors other than connections to the upstream, and those connections."""
    return sum(count for kind, count in kinds.items() if kind != "upstream"), kinds.get("upstream", 0)


def open_fds(pid: int, upstream_port: int | None = None) -> tuple[int, int]:
    return descriptor_counts(fd_kinds(pid, upstream_port))


def tcp_active_opens() -> int:
    """Connections this machine has opened (`Tcp: ActiveOpens` in /proc/net/snmp)."""
    with open("/proc/net/snmp") as snmp:
        names, values = [line.split() for line in snmp if line.startswith("Tcp:")][:2]
    return int(values[names.index("ActiveOpens")])


def fd_difference(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {kind: after.get(kind, 0) - before.get(kind, 0) for kind in sorted(set(before) | set(after))
            if after.get(kind, 0) != before.get(kind, 0)}


class Connection:
    """One keep-alive HTTP/1.1 connection: send a request, read its whole answer."""

    def __init__(self, host: str, port: int, key: str) -> None:
        self.host, self.port, self.key = host, port, key
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port, limit=1 << 20)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()

    async def call(self, method: str, target: str, body_parts: tuple[bytes, ...] = (), length: int = 0,
                   content_type: str | None = None) -> tuple[int, int, bytes]:
        """Sends one request (the body given in parts) and returns status, body length and the body if small."""
        assert self.reader is not None and self.writer is not None
        lines = [f"{method} {target} HTTP/1.1", f"Host: {self.host}", f"Authorization: Bearer {self.key}"]
        if body_parts or method in ("POST", "PUT"):
            lines.append(f"Content-Length: {length}")
        if content_type:
            lines.append(f"Content-Type: {content_type}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        for part in body_parts:
            self.writer.write(part)
            await self.writer.drain()
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ")[1])
        headers = {}
        for line in header_lines:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        if headers.get("connection", "").lower() == "close":
            raise LoadError(f"{method} {target}: answered with Connection: close ({status})")
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = bytearray()
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readuntil(b"\r\n")
                    break
                body += await self.reader.readexactly(size + 2)
                del body[-2:]
            return status, len(body), bytes(body)
        declared = int(headers.get("content-length", "0"))
        if declared <= 65536:
            body = await self.reader.readexactly(declared)
            return status, declared, body
        left = declared
        while left:
            chunk = await self.reader.read(min(left, 1 << 20))
            if not chunk:
                raise LoadError(f"{method} {target}: body cut at {declared - left} of {declared}")
            left -= len(chunk)
        return status, declared, b""


def multipart(size: int) -> tuple[tuple[bytes, ...], int]:
    prefix = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n"
              f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"load.jsonl\"\r\n"
              "Content-Type: application/octet-stream\r\n\r\n").encode()
    suffix = f"\r\n--{BOUNDARY}--\r\n".encode()
    piece = b'{"prompt": "p", "completion": "c"}\n' * 7490
    parts = [prefix]
    left = size
    while left:
        parts.append(piece[:left])
        left -= len(parts[-1])
    parts.append(suffix)
    return tuple(parts), sum(len(part) for part in parts)


async def create(connection: Connection, size: int) -> str:
    parts, length = multipart(size)
    status, _, body = await connection.call("POST", "/v1/files", parts, length,
                                            f"multipart/form-data; boundary={BOUNDARY}")
    if status != 200:
        raise LoadError(f"create answered {status}: {body[:200]!r}")
    return json.loads(body)["id"]


class Worker:
    def __init__(self, arguments: argparse.Namespace, small_ids: list[str], big_id: str) -> None:
        self.arguments = arguments
        parsed = urllib.parse.urlsplit(arguments.base)
        self.host, self.port = parsed.hostname, parsed.port
        self.small_ids, self.big_id = small_ids, big_id
        self.latencies: list[float] = []
        self.calls = {kind: 0 for kind in (*SMALL_KINDS, "upload", "download")}
        self.errors: list[str] = []
        self.stream_bytes = arguments.stream_mib * 1024 * 1024
        self.upload = multipart(self.stream_bytes)

    async def small(self, connection: Connection, kind: str, method: str, target: str, expect: int = 200) -> None:
        started = time.perf_counter()
        status, _, body = await connection.call(method, target)
        self.latencies.append(time.perf_counter() - started)
        self.calls[kind] += 1
        if status != expect:
            raise LoadError(f"{kind} answered {status}: {body[:200]!r}")

    async def one_call(self, connection: Connection) -> None:
        roll = random.uniform(0, 100)
        if roll < self.arguments.stream_percent / 2:
            parts, length = self.upload
            status, _, body = await connection.call("POST", "/v1/files", parts, length,
                                                    f"multipart/form-data; boundary={BOUNDARY}")
            self.calls["upload"] += 1
            if status != 200:
                raise LoadError(f"upload answered {status}: {body[:200]!r}")
            await self.small(connection, "delete", "DELETE", f"/v1/files/{json.loads(body)['id']}")
        elif roll < self.arguments.stream_percent:
            status, length, _ = await connection.call("GET", f"/v1/files/{self.big_id}/content")
            self.calls["download"] += 1
            if status != 200 or length != self.stream_bytes:
                raise LoadError(f"download answered {status} with {length} bytes")
        elif roll < 50 + self.arguments.stream_percent / 2:
            await self.small(connection, "retrieve", "GET", f"/v1/files/{random.choice(self.small_ids)}")
        else:
            await self.small(connection, "list", "GET", "/v1/files?limit=10")

    async def run_connection(self, index: int, deadline: float) -> None:
        connection = Connection(self.host, self.port, self.arguments.key)
        think = self.arguments.think_ms / 1000
        try:
            # Ramp up: spread the opens over the first few seconds.
            await asyncio.sleep(index * self.arguments.ramp_seconds / max(1, self.arguments.connections))
            await connection.open()
            while time.monotonic() < deadline:
                await asyncio.sleep(random.uniform(0.5 * think, 1.5 * think))
                if time.monotonic() >= deadline:
                    break
                await self.one_call(connection)
        except (LoadError, OSError, asyncio.IncompleteReadError, ValueError) as error:
            self.errors.append(f"{type(error).__name__}: {error}")
        finally:
            connection.close()

    async def run(self, count: int, first_index: int, deadline: float) -> dict:
        await asyncio.gather(*(self.run_connection(first_index + i * self.arguments.workers, deadline)
                               for i in range(count)))
        return {"latencies": self.latencies, "calls": self.calls, "errors": self.errors}


def worker_main(arguments: argparse.Namespace, small_ids: list[str], big_id: str, count: int, index: int,
                deadline_wall: float, queue: multiprocessing.Queue) -> None:
    deadline = time.monotonic() + (deadline_wall - time.time())
    result = asyncio.run(Worker(arguments, small_ids, big_id).run(count, index, deadline))
    queue.put(result)


async def prepare(arguments: argparse.Namespace) -> tuple[list[str], str]:
    """The files the load reads, then a short concurrent warm-up, so that what filegate opens lazily and keeps (its
    SQLite readers) is open before the start figures are taken."""
    parsed = urllib.parse.urlsplit(arguments.base)
    connection = Connection(parsed.hostname, parsed.port, arguments.key)
    await connection.open()
    small_ids = [await create(connection, 4096) for _ in range(20)]
    big_id = await create(connection, arguments.stream_mib * 1024 * 1024)
    connection.close()

    async def warm(index: int) -> None:
        warm_connection = Connection(parsed.hostname, parsed.port, arguments.key)
        await warm_connection.open()
        for call in range(20):
            target = f"/v1/files/{small_ids[(index + call) % len(small_ids)]}" if call % 2 else "/v1/files?limit=10"
            status, _, body = await warm_connection.call("GET", target)
            if status != 200:
                raise LoadError(f"warm-up answered {status}: {body[:200]!r}")
        warm_connection.close()

    await asyncio.gather(*(warm(index) for index in range(50)))
    await asyncio.sleep(2)
    return small_ids, big_id


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--connections", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--think-ms", type=float, default=1000)
    parser.add_argument("--stream-percent", type=float, default=4)
    parser.add_argument("--stream-mib", type=int, default=4)
    parser.add_argument("--ramp-seconds", type=float, default=10)
    parser.add_argument("--upstream-port", type=int, help="filegate forwards to an upstream on 127.0.0.1 at this port")
    arguments = parser.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = arguments.connections + 256
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, wanted), hard))

    small_ids, big_id = asyncio.run(prepare(arguments))
    port = arguments.upstream_port
    start_kinds = fd_kinds(arguments.pid, port)
    start_fds, start_upstream = descriptor_counts(start_kinds)
    start = {"rss_kib": rss_kib(arguments.pid), "fds": start_fds}
    start_opens = tcp_active_opens()
    peak_rss = start["rss_kib"]
    peak_fds, peak_upstream = start_fds, start_upstream
    deadline_wall = time.time() + arguments.ramp_seconds + arguments.seconds
    queue: multiprocessing.Queue = multiprocessing.Queue()
    processes = []
    for index in range(arguments.workers):
        count = len(range(index, arguments.connections, arguments.workers))
        process = multiprocessing.Process(target=worker_main, args=(arguments, small_ids, big_id, count, index,
                                                                    deadline_wall, queue))
        process.start()
        processes.append(process)
    results = []
    # The highest RSS in each tenth of the run (ramp included), to show whether it stays flat or creeps up.
    run_start = time.monotonic()
    tenth = (arguments.ramp_seconds + arguments.seconds) / 10
    rss_by_tenth = [0] * 10
    while len(results) < len(processes):
        try:
            results.append(queue.get(timeout=1))
        except Exception:  # noqa: BLE001 - queue.Empty: sample while waiting
            pass
        rss = rss_kib(arguments.pid)
        peak_rss = max(peak_rss, rss)
        slot = min(9, int((time.monotonic() - run_start) / tenth))
        rss_by_tenth[slot] = max(rss_by_tenth[slot], rss)
        fds, upstream = open_fds(arguments.pid, port)
        peak_fds, peak_upstream = max(peak_fds, fds), max(peak_upstream, upstream)
    for process in processes:
        process.join()
    upstream_opens = tcp_active_opens() - start_opens - arguments.connections
    # filegate sees each close on its next read: let the descriptors settle (at most 15 s).
    settle_deadline = time.monotonic() + 15
    while open_fds(arguments.pid, port)[0] != start["fds"] and time.monotonic() < settle_deadline:
        time.sleep(0.2)
    end_kinds = fd_kinds(arguments.pid, port)
    end_fds, end_upstream = descriptor_counts(end_kinds)
    end = {"rss_kib": rss_kib(arguments.pid), "fds": end_fds}

    latencies = [value for result in results for value in result["latencies"]]
    calls = {kind: sum(result["calls"][kind] for result in results) for kind in results[0]["calls"]}
    errors = [error for result in results for error in result["errors"]]
    print(json.dumps({
        "connections": arguments.connections,
        "seconds": arguments.seconds,
        "calls": calls,
        "errors": len(errors),
        "error_samples": errors[:10],
        "small_calls": len(latencies),
        "small_p50_ms": round(percentile(latencies, 0.50) * 1000, 2),
        "small_p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "small_max_ms": round(max(latencies, default=float("nan")) * 1000, 2),
        "rss_kib": {"start": start["rss_kib"], "peak": peak_rss, "end": end["rss_kib"], "by_tenth": rss_by_tenth},
        "fds": {"start": start["fds"], "peak": peak_fds, "end": end["fds"]},
        "fds_changed": {kind: change for kind, change in fd_difference(start_kinds, end_kinds).items()
                        if kind != "upstream"},
        **({"upstream": {"start": start_upstream, "peak": peak_upstream, "end": end_upstream,
                         "opened": upstream_opens}} if port is not None else {}),
    }))


if __name__ == "__main__":
    main()
