"""Size limits at the edge (issue 5 point 2): `max_request_line_bytes` → 414, `max_header_bytes` and
`max_header_count` → 431, `max_upload_bytes` → 413, raw bytes on a socket.

One filegate runs with small limits set in its config (so the rows also show the keys are read), one with the
defaults (8192 / 32768 / 100); both sit in front of a recording upstream that must see nothing of a refused request.
"""

from __future__ import annotations

from typing import Iterator

import pytest

from rawhttp import EdgeFront, RawConnection, auth_line, edge_front, request
from support import MAX_UPLOAD_BYTES

AUTH = auth_line()
LINE_LIMIT, HEADER_LIMIT, COUNT_LIMIT = 1024, 4096, 20
DEFAULT_LINE_LIMIT, DEFAULT_HEADER_LIMIT, DEFAULT_COUNT_LIMIT = 8192, 32768, 100
MULTIPART = "Content-Type: multipart/form-data; boundary=edge"


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EdgeFront]:
    """filegate with small head limits from its config."""
    yield from edge_front(
        tmp_path_factory.mktemp("edge-limits"),
        max_request_line_bytes=LINE_LIMIT,
        max_header_bytes=HEADER_LIMIT,
        max_header_count=COUNT_LIMIT,
    )


@pytest.fixture(scope="module")
def default(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EdgeFront]:
    """filegate with the default head limits (none of the keys set)."""
    yield from edge_front(tmp_path_factory.mktemp("edge-defaults"))


def line_of(length: int) -> bytes:
    """A GET whose request line (CRLF excluded) is `length` bytes, on a path no API serves (404 when accepted)."""
    fixed = len("GET / HTTP/1.1")
    return request("GET", "/" + "p" * (length - fixed), [AUTH])


def head_of(size: int) -> bytes:
    """A list whose header section (every field line with its CRLF, and the empty line) is `size` bytes."""
    fixed = ["Host: 127.0.0.1", AUTH]
    used = sum(len(line) + 2 for line in fixed) + 2 + len("X-Pad: \r\n")
    return request("GET", "/v1/files", [AUTH, "X-Pad: " + "p" * (size - used)])


def fields(count: int) -> bytes:
    """A list with `count` header fields in all (Host and Authorization included)."""
    return request("GET", "/v1/files", [AUTH] + [f"X-Field-{n}: {n}" for n in range(count - 2)])


def limit_rows(line: int, header: int, count: int) -> list:
    # (id, bytes, status, close, forwarded)
    return [
        ("request-line-at-limit", line_of(line), 404, False, False),
        ("request-line-one-over", line_of(line + 1), 414, True, False),
        ("request-line-far-over", line_of(line * 8), 414, True, False),
        ("request-line-over-without-end", b"GET /" + b"p" * (line + 10), 414, True, False),
        ("header-section-at-limit", head_of(header), 200, False, True),
        ("header-section-one-over", head_of(header + 1), 431, True, False),
        ("one-huge-header", request("GET", "/v1/files", [AUTH, "X-Big: " + "b" * header * 2]), 431, True, False),
        ("header-count-at-limit", fields(count), 200, False, True),
        ("header-count-one-over", fields(count + 1), 431, True, False),
        ("header-count-far-over", fields(count * 3), 431, True, False),
    ]


SMALL = limit_rows(LINE_LIMIT, HEADER_LIMIT, COUNT_LIMIT)
DEFAULT = limit_rows(DEFAULT_LINE_LIMIT, DEFAULT_HEADER_LIMIT, DEFAULT_COUNT_LIMIT)


@pytest.mark.parametrize(
    ("raw_request", "status", "close", "forwarded"), [r[1:] for r in SMALL], ids=[r[0] for r in SMALL]
)
def test_configured_limits(small: EdgeFront, raw_request: bytes, status: int, close: bool, forwarded: bool) -> None:
    small.check(raw_request, status, close, forwarded)


@pytest.mark.parametrize(
    ("raw_request", "status", "close", "forwarded"), [r[1:] for r in DEFAULT], ids=[r[0] for r in DEFAULT]
)
def test_default_limits(default: EdgeFront, raw_request: bytes, status: int, close: bool, forwarded: bool) -> None:
    default.check(raw_request, status, close, forwarded)


@pytest.mark.parametrize("declared", [MAX_UPLOAD_BYTES + 1, 10**15])
def test_a_declared_length_over_max_upload_bytes_is_413_before_the_body(default: EdgeFront, declared: int) -> None:
    """No body byte is sent: the answer can only come from the declared length."""
    raw = request("POST", "/v1/files", [AUTH, MULTIPART, f"Content-Length: {declared}"])
    default.upstream.clear()
    with RawConnection.to(default.base) as connection:
        connection.send(raw)
        answer = connection.read_answer()
        assert answer is not None and answer.status == 413, answer
        assert answer.header("Connection") == "close", answer.describe()
        assert connection.after_sending_ends() == b""
    assert default.upstream.recorded() == []


def test_expect_continue_over_max_upload_bytes_gets_413_and_no_100(default: EdgeFront) -> None:
    raw = request(
        "POST", "/v1/files", [AUTH, MULTIPART, f"Content-Length: {MAX_UPLOAD_BYTES + 1}", "Expect: 100-continue"]
    )
    default.upstream.clear()
    with RawConnection.to(default.base) as connection:
        connection.send(raw)
        answer = connection.read_answer(skip_interim=False)
        assert answer is not None and answer.status == 413, answer
        assert connection.after_answer().closed
    assert default.upstream.recorded() == []


def test_a_chunked_body_is_413_as_it_passes_max_upload_bytes(default: EdgeFront) -> None:
    """The body never ends (no last chunk): the 413 can only come from counting it as it arrives."""
    head = request("POST", "/v1/files", [AUTH, MULTIPART, "Transfer-Encoding: chunked"])
    part_head = b'--edge\r\nContent-Disposition: form-data; name="file"; filename="big.jsonl"\r\n\r\n'
    piece = b"x" * 65536
    chunks = [f"{len(data):x}\r\n".encode() + data + b"\r\n" for data in [part_head] + [piece] * 20]
    default.upstream.clear()
    with RawConnection.to(default.base) as connection:
        connection.send(head)
        sent = connection.send_while_open(chunks)
        assert sent > MAX_UPLOAD_BYTES, sent
        answer = connection.read_answer()
        assert answer is not None and answer.status == 413, answer
        assert connection.after_answer().closed
    assert default.upstream.recorded() == []
