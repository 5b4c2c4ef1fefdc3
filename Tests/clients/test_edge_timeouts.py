"""Timeouts and lingering close at the edge (issue 5 points 3 and 4), raw bytes on a socket.

filegate runs with one-second timeouts from its config (so the rows also show the keys are read) in front of a
recording upstream, which must see nothing of a request that timed out. Each case checks the status, whether the
connection closed, and what reached the upstream. Waiting for a timeout to run out is the point of these tests; the
socket timeouts only guard against hangs, and filegate's own log says when it acted.

The stalled reader runs against a filegate on its local backend with a file far larger than the socket buffers:
what filegate holds for a client that reads nothing stays under its bound, read from the `connection closed` log
line's `peak_outbound_bytes` (a gauge, not a timing).
"""

from __future__ import annotations

import re
import select
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest

from conftest import Server, default_config, front_config, start_filegate, start_front, stop_filegate
from rawhttp import PROBE, PROBE_PATH, EdgeFront, RawConnection, auth_line, edge_front, request
from support import OPENAI, WRONG_KEY, create_with_curl, created_id

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from upstreams.fixtures import Upstreams, upstreams  # noqa: E402,F401

AUTH = auth_line()
SECONDS = 1
LINGER_SECONDS = 2
LINGER_BYTES = 3 * 1024 * 1024
TIMEOUTS = {
    "client_header_timeout_seconds": SECONDS,
    "client_body_timeout_seconds": SECONDS,
    "keepalive_timeout_seconds": SECONDS,
    "send_timeout_seconds": SECONDS,
    "lingering_close_seconds": LINGER_SECONDS,
    "lingering_close_bytes": LINGER_BYTES,
}
# How long a test waits for filegate to act on a timeout before calling it a hang.
GUARD = 10.0
BOUNDARY = "edge"
MULTIPART = f"Content-Type: multipart/form-data; boundary={BOUNDARY}"
PEAK = re.compile(r"peak_outbound_bytes=(\d+)")


@pytest.fixture(scope="module")
def front(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EdgeFront]:
    yield from edge_front(tmp_path_factory.mktemp("edge-timeouts"), **TIMEOUTS)


def wait_for_close(server: Server, connection: RawConnection) -> str:
    """Waits until filegate has logged that it closed `connection`; returns that log line."""
    host, port = connection.sock.getsockname()[:2]
    peer = f"filegate.peer={host}:{port} "
    deadline = time.monotonic() + GUARD
    while True:
        for line in list(server.lines):
            if peer in line and "connection closed" in line:
                return line
        assert time.monotonic() < deadline, f"filegate never closed {peer}:\n{server.log_text()[-3000:]}"
        time.sleep(0.02)


def assert_timeout_answer(connection: RawConnection) -> None:
    """A 408 in OpenAI's error shape with `Connection: close`, then the connection closed."""
    answer = connection.read_answer()
    assert answer is not None and answer.status == 408, answer and answer.describe()
    assert answer.header("connection") == "close", answer.describe()
    body = answer.json()
    assert isinstance(body, dict) and body["error"]["type"] == "invalid_request_error", answer.describe()
    assert connection.after_answer().closed


def create_head(length: int, key_line: str = AUTH) -> bytes:
    return request("POST", "/v1/files", [key_line, MULTIPART, f"Content-Length: {length}"])


def field(name: str, value: str) -> bytes:
    return f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()


FILE_PART_HEAD = (
    f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.jsonl"\r\n'
    "Content-Type: application/octet-stream\r\n\r\n"
).encode()


# Point 3: timeouts.


def test_a_head_cut_short_gets_408_then_the_connection_closes(front: EdgeFront) -> None:
    front.upstream.clear()
    with RawConnection.to(front.base) as connection:
        connection.send(b"GET /v1/files HTTP/1.1\r\nHost: 127.0.0.1\r\n" + AUTH.encode() + b"\r\n")
        assert_timeout_answer(connection)
    assert front.upstream.recorded() == []


def test_a_later_head_cut_short_gets_408_after_an_answered_request(front: EdgeFront) -> None:
    with RawConnection.to(front.base) as connection:
        connection.send(PROBE)
        answer = connection.read_answer()
        assert answer is not None and answer.status == 404, answer and answer.describe()
        connection.send(b"GET " + PROBE_PATH.encode() + b" HTTP/1.1\r\n")
        assert_timeout_answer(connection)


def test_a_connection_that_sends_nothing_is_closed_without_an_answer(front: EdgeFront) -> None:
    with RawConnection.to(front.base) as connection:
        assert connection.read_answer() is None
        assert connection.eof and not connection.reset


def test_an_idle_keep_alive_connection_is_closed_silently(front: EdgeFront) -> None:
    with RawConnection.to(front.base) as connection:
        connection.send(PROBE)
        answer = connection.read_answer()
        assert answer is not None and answer.status == 404, answer and answer.describe()
        assert answer.header("connection") is None, answer.describe()
        assert connection.read_answer() is None
        assert connection.eof and not connection.reset


@pytest.mark.parametrize(
    "sent",
    [
        pytest.param(field("purpose", "fine-tune")[:30], id="inside-a-field"),
        pytest.param(field("purpose", "fine-tune") + FILE_PART_HEAD + b'{"a": 1}\n', id="inside-the-file-part"),
    ],
)
def test_a_stalled_body_gets_408_and_nothing_is_stored(front: EdgeFront, sent: bytes) -> None:
    front.upstream.clear()
    with RawConnection.to(front.base) as connection:
        connection.send(create_head(100_000) + sent)
        assert_timeout_answer(connection)
    assert front.upstream.stored_files() == []
    for entry in front.upstream.recorded():
        assert not entry["body_complete"], entry


def test_a_stalled_chunked_body_gets_408(front: EdgeFront) -> None:
    head = request("POST", "/v1/files", [AUTH, MULTIPART, "Transfer-Encoding: chunked"])
    chunk = field("purpose", "fine-tune")
    with RawConnection.to(front.base) as connection:
        connection.send(head + f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        assert_timeout_answer(connection)
    assert front.upstream.stored_files() == []


def test_a_body_trickling_within_the_body_timeout_is_stored(front: EdgeFront) -> None:
    """A body sent in pieces, each well within the body timeout, is stored whole however long it takes."""
    body = field("purpose", "fine-tune") + FILE_PART_HEAD + b'{"a": 1}\n' + f"\r\n--{BOUNDARY}--\r\n".encode()
    pieces = [body[i : i + 20] for i in range(0, len(body), 20)]
    with RawConnection.to(front.base) as connection:
        connection.send(create_head(len(body)))
        for piece in pieces:
            connection.send(piece)
            time.sleep(SECONDS / 4)
        answer = connection.read_answer()
        assert answer is not None and answer.status == 200, answer and answer.describe()
    assert len(front.upstream.stored_files()) >= 1


def test_a_slow_upstream_never_runs_the_body_timer(upstreams: Upstreams, tmp_path: Path) -> None:  # noqa: F811
    """The upstream reads at 512 KiB/s, so filegate stops reading the client for seconds at a time (its inbound
    buffer full): that is filegate waiting for the upstream, not for the client, and the upload succeeds."""
    slow = upstreams.faulty("slow-reader", read_rate=512 * 1024)
    config = front_config("openai", slow.base_url)
    config.update(TIMEOUTS, max_upload_bytes=8 * 1024 * 1024)
    server = start_front(tmp_path, config)
    try:
        path = tmp_path / "upload.jsonl"
        path.write_bytes(b"\0" * (2 * 1024 * 1024))
        response = create_with_curl(server.base_url, OPENAI, path, file_first=False)
        assert response.status == 200, response.describe()
        assert "client timed out" not in server.log_text(), server.log_text()[-2000:]
    finally:
        stop_filegate(server)


# Point 4: lingering close.


def send_body_until_answered(connection: RawConnection, total: int, piece: int = 65536) -> int:
    """Sends `total` zero bytes in pieces until an answer is readable; returns how many went."""
    return connection.send_while_open(b"\0" * min(piece, total - sent) for sent in range(0, total, piece))


def test_an_early_401_reaches_a_client_still_sending_its_body(front: EdgeFront) -> None:
    total = 2 * 1024 * 1024
    front.upstream.clear()
    with RawConnection.to(front.base) as connection:
        connection.send(create_head(total, auth_line(WRONG_KEY)))
        sent = send_body_until_answered(connection, total)
        answer = connection.read_answer()
        assert answer is not None and answer.status == 401, answer and answer.describe()
        assert answer.header("connection") == "close", answer.describe()
        assert connection.send(b"\0" * (total - sent)), "filegate reset the connection while lingering"
        assert connection.read_to_end() == b""
        assert connection.eof and not connection.reset
    assert front.upstream.recorded() == []


def test_lingering_stops_reading_past_lingering_close_bytes(front: EdgeFront) -> None:
    """Without the byte limit filegate would drain all 64 MiB within its lingering seconds; with it the client's
    sending fails early."""
    total = 64 * 1024 * 1024
    with RawConnection.to(front.base) as connection:
        connection.send(create_head(total, auth_line(WRONG_KEY)))
        sent = send_body_until_answered(connection, total)
        answer = connection.read_answer()
        assert answer is not None and answer.status == 401, answer and answer.describe()
        piece = b"\0" * 65536
        while sent < total and connection.send(piece):
            sent += len(piece)
        assert sent < total
        connection.read_to_end()
        assert connection.eof


def test_a_silent_client_is_closed_after_lingering_close_seconds(front: EdgeFront) -> None:
    with RawConnection.to(front.base) as connection:
        connection.send(create_head(1_000_000, auth_line(WRONG_KEY)) + b"\0" * 1000)
        answer = connection.read_answer()
        answered = time.monotonic()
        assert answer is not None and answer.status == 401, answer and answer.describe()
        assert connection.read_to_end() == b"" and not connection.reset
        assert connection.send(b"\0" * 1000), "filegate closed before lingering"
        wait_for_close(front.server, connection)
        assert time.monotonic() - answered >= LINGER_SECONDS - 0.5


# Slow clients cost a bounded amount and never hold up others.


def test_slowloris_heads_are_cut_while_a_normal_client_is_served(front: EdgeFront) -> None:
    """300 connections dribble their heads a byte every half second; each is closed by the header timeout while
    a keep-alive client's requests are all answered."""
    head = b"GET /v1/files HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"s" * 40 + b"\r\n\r\n"
    sockets = []
    for _ in range(300):
        # Each head begins as its connection opens: one opened early never sits silent (closed without an answer,
        # which is right for a connection that sent nothing) while later ones connect.
        sock = socket.create_connection(urllib_host_port(front.base))
        sock.send(head[:1])
        sockets.append(sock)
    received = {sock: b"" for sock in sockets}
    open_sockets = set(sockets)
    served: list[int] = []
    stop = threading.Event()

    def normal_client() -> None:
        with RawConnection.to(front.base) as connection:
            while not stop.is_set():
                connection.send(request("GET", "/v1/files", [AUTH]))
                answer = connection.read_answer()
                assert answer is not None and answer.status == 200, answer and answer.describe()
                served.append(answer.status)
                connection.send(PROBE)
                answer = connection.read_answer()
                assert answer is not None and answer.status == 404, answer and answer.describe()
                served.append(answer.status)

    errors: list[BaseException] = []

    def run_normal_client() -> None:
        try:
            normal_client()
        except BaseException as error:  # noqa: BLE001 - handed to the test thread
            errors.append(error)

    client = threading.Thread(target=run_normal_client)
    client.start()
    try:
        deadline = time.monotonic() + 15
        position = 1
        while open_sockets and time.monotonic() < deadline:
            for sock in list(open_sockets):
                try:
                    sock.send(head[position : position + 1])
                except OSError:
                    pass
            position = min(position + 1, len(head) - 1)
            wake = time.monotonic() + 0.5
            while open_sockets and (left := wake - time.monotonic()) > 0:
                readable, _, _ = select.select(list(open_sockets), [], [], left)
                for sock in readable:
                    try:
                        chunk = sock.recv(65536)
                    except ConnectionResetError:
                        chunk = b""
                    received[sock] += chunk
                    if not chunk:
                        open_sockets.discard(sock)
    finally:
        stop.set()
        client.join(GUARD)
        for sock in sockets:
            sock.close()
    assert errors == []
    assert open_sockets == set(), f"{len(open_sockets)} slowloris connections still open"
    assert all(answer.startswith(b"HTTP/1.1 408 ") for answer in received.values()), {
        answer[:40] for answer in received.values()
    }
    assert served.count(200) >= 2 and served.count(404) >= 2


def urllib_host_port(base: str) -> tuple[str, int]:
    host, port = base.removeprefix("http://").rsplit(":", 1)
    return host, int(port)


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """filegate on its local backend, with one-second timeouts and room for a 64 MiB upload."""
    config = default_config()
    config.update(TIMEOUTS, max_upload_bytes=80 * 1024 * 1024)
    server = start_filegate(tmp_path_factory.mktemp("edge-timeouts-local"), config)
    try:
        yield server
    finally:
        stop_filegate(server)


def test_a_client_that_reads_nothing_of_a_download_is_cut_with_bounded_buffering(
    local: Server, tmp_path: Path
) -> None:
    size = 64 * 1024 * 1024
    path = tmp_path / "big.jsonl"
    with path.open("wb") as file:
        line = b'{"prompt": "' + b"p" * 1000 + b'", "completion": "c"}\n'
        while file.tell() < size:
            file.write(line)
    size = path.stat().st_size
    file_id = created_id(create_with_curl(local.base_url, OPENAI, path, file_first=False), OPENAI)
    with RawConnection.to(local.base_url) as connection:
        connection.send(request("GET", f"/v1/files/{file_id}/content", [AUTH]))
        closed = wait_for_close(local, connection)
        received = len(connection.read_to_end())
        assert connection.eof
    assert received < size
    match = PEAK.search(closed)
    assert match, closed
    # The write buffer's high mark (1 MiB) plus the one 256 KiB chunk being written; with a 2 MiB mark it was 2.25 MiB.
    assert 256 * 1024 <= int(match.group(1)) <= 1536 * 1024, closed
    assert "filegate.timeout=send" in local.log_text()
