"""Strict framing at the edge (issue 5 point 1): raw bytes on a socket, filegate in front of a recording upstream.

Every row is one request as bytes: the status filegate must answer (None: close without an answer), whether it
must close the connection, and whether the request may reach the upstream. A refused request reaches nothing, leaves
no second answer behind (a smuggled request would make one) and closes the connection; a served one reaches the
upstream once, without the client's key or a forbidden header (`EdgeFront.check`).
"""

from __future__ import annotations

from typing import Iterator

import pytest

from rawhttp import EdgeFront, auth_line, chunked, edge_front, request
from support import DEMO_KEY

AUTH = auth_line()
LIST = "/v1/files"
# A whole request that must never be seen: what a smuggling attempt hides in a body.
SMUGGLED = f"GET /v1/files?purpose=smuggled HTTP/1.1\r\nHost: 127.0.0.1\r\n{AUTH}\r\n\r\n".encode()


@pytest.fixture(scope="module")
def front(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EdgeFront]:
    """filegate with the default limits in front of an openai recording upstream."""
    yield from edge_front(tmp_path_factory.mktemp("edge-framing"))


def post(*headers: str, body: bytes = b"", version: str = "HTTP/1.1") -> bytes:
    """A create (POST /v1/files) with the demo key, `headers` as given, `body` as given."""
    return request("POST", LIST, [AUTH, *headers], body, version=version)


def listing(*headers: str, version: str = "HTTP/1.1", host: str | None = "127.0.0.1", target: str = LIST) -> bytes:
    """A list (GET /v1/files) with the demo key and `headers`."""
    return request("GET", target, [AUTH, *headers], version=version, host=host)


def raw(text: str) -> bytes:
    return text.encode("latin-1")


HEAD_OK = f"Host: 127.0.0.1\r\n{AUTH}\r\n"
CHUNKED = "Transfer-Encoding: chunked"

# (id, bytes, status, close, forwarded)
FRAMING = [
    # Served as they are: the baseline, and what RFC 9112 allows.
    ("plain-list", listing(), 200, False, True),
    ("empty-lines-before-request", b"\r\n\r\n" + listing(), 200, False, True),
    ("content-length-zero", listing("Content-Length: 0"), 200, False, True),
    ("content-length-leading-ows", listing("Content-Length:  0"), 200, False, True),
    ("http10-without-host", listing(version="HTTP/1.0", host=None), 200, True, True),
    # A body holding a request is only a body: one answer, one upstream request, and the unread body closes.
    ("body-holding-a-request", listing(f"Content-Length: {len(SMUGGLED)}") + SMUGGLED, 200, True, True),
    # Content-Length and Transfer-Encoding.
    ("cl-and-te", post("Content-Length: 5", CHUNKED, body=b"0\r\n\r\n" + SMUGGLED), 400, True, False),
    ("te-and-cl", post(CHUNKED, "Content-Length: 5", body=b"0\r\n\r\n" + SMUGGLED), 400, True, False),
    ("cl-and-te-identity", post("Content-Length: 5", "Transfer-Encoding: identity", body=b"hello"), 400, True, False),
    ("two-cl-equal", post("Content-Length: 5", "Content-Length: 5", body=b"hello"), 400, True, False),
    ("two-cl-different", post("Content-Length: 5", "Content-Length: 50", body=b"hello" + SMUGGLED), 400, True, False),
    ("cl-plus", post("Content-Length: +5", body=b"hello"), 400, True, False),
    ("cl-nbsp", post("Content-Length: \xa05", body=b"hello"), 400, True, False),
    ("cl-vertical-tab", post("Content-Length:\x0b5", body=b"hello"), 400, True, False),
    ("cl-space-inside", post("Content-Length: 5 5", body=b"hello"), 400, True, False),
    ("cl-hex", post("Content-Length: 0x5", body=b"hello"), 400, True, False),
    ("cl-list", post("Content-Length: 5,5", body=b"hello"), 400, True, False),
    ("cl-list-spaced", post("Content-Length: 5, 5", body=b"hello"), 400, True, False),
    ("cl-negative", post("Content-Length: -1"), 400, True, False),
    ("cl-empty", post("Content-Length:"), 400, True, False),
    ("cl-overflow", post("Content-Length: 99999999999999999999", body=b"hello"), 400, True, False),
    # Transfer-Encoding other than a lone chunked, or on HTTP/1.0.
    ("te-gzip", post("Transfer-Encoding: gzip", body=b"hello"), 400, True, False),
    ("te-identity", post("Transfer-Encoding: identity", body=b"hello"), 400, True, False),
    ("te-chunked-not-last", post("Transfer-Encoding: chunked, gzip", body=chunked(b"hello")), 400, True, False),
    ("te-gzip-then-chunked", post("Transfer-Encoding: gzip, chunked", body=chunked(b"hello")), 400, True, False),
    ("te-chunked-twice", post(CHUNKED, "Transfer-Encoding: chunked", body=chunked()), 400, True, False),
    ("te-chunked-list-twice", post("Transfer-Encoding: chunked, chunked", body=chunked()), 400, True, False),
    ("te-on-http10", post(CHUNKED, body=chunked(b"hello"), version="HTTP/1.0"), 400, True, False),
    ("te-empty", post("Transfer-Encoding:", body=b""), 400, True, False),
    # Chunk sizes and extensions.
    ("chunk-size-not-hex", post(CHUNKED, body=b"zz\r\nhello\r\n0\r\n\r\n"), 400, True, False),
    ("chunk-size-empty", post(CHUNKED, body=b"\r\nhello\r\n0\r\n\r\n"), 400, True, False),
    ("chunk-size-negative", post(CHUNKED, body=b"-5\r\nhello\r\n0\r\n\r\n"), 400, True, False),
    ("chunk-size-0x", post(CHUNKED, body=b"0x5\r\nhello\r\n0\r\n\r\n"), 400, True, False),
    ("chunk-size-overflow", post(CHUNKED, body=b"1" + b"0" * 16 + b"\r\nx\r\n"), 400, True, False),
    ("chunk-size-all-f", post(CHUNKED, body=b"f" * 17 + b"\r\nx\r\n"), 400, True, False),
    ("chunk-more-than-declared", post(CHUNKED, body=b"3\r\nhello\r\n0\r\n\r\n"), 400, True, False),
    ("chunk-less-than-declared", post(CHUNKED, body=b"9\r\nhello\r\n0\r\n\r\n" + SMUGGLED), 400, True, False),
    (
        "chunk-extension-over-4k",
        post(CHUNKED, body=b"5;a=" + b"x" * 4200 + b"\r\nhello\r\n0\r\n\r\n"),
        400, True, False,
    ),
    (
        "chunk-extensions-over-4k-in-total",
        post(CHUNKED, body=b"".join(b"1;e=" + b"x" * 1000 + b"\r\na\r\n" for _ in range(5))),
        400, True, False,
    ),
    ("chunk-extension-bad-syntax", post(CHUNKED, body=b"5 x\r\nhello\r\n0\r\n\r\n"), 400, True, False),
    # Line endings and header syntax.
    ("obs-fold-space", raw(f"GET {LIST} HTTP/1.1\r\n{HEAD_OK}X-A: b\r\n c\r\n\r\n"), 400, True, False),
    ("obs-fold-tab", raw(f"GET {LIST} HTTP/1.1\r\n{HEAD_OK}X-A: b\r\n\tc\r\n\r\n"), 400, True, False),
    ("obs-fold-first-line", raw(f"GET {LIST} HTTP/1.1\r\n Host: 127.0.0.1\r\n{AUTH}\r\n\r\n"), 400, True, False),
    ("bare-lf-request-line", raw(f"GET {LIST} HTTP/1.1\n{HEAD_OK}\r\n"), 400, True, False),
    ("bare-lf-header", raw(f"GET {LIST} HTTP/1.1\r\nHost: 127.0.0.1\n{AUTH}\r\n\r\n"), 400, True, False),
    ("bare-lf-end-of-head", raw(f"GET {LIST} HTTP/1.1\r\n{HEAD_OK}\n"), 400, True, False),
    ("bare-lf-only", raw(f"GET {LIST} HTTP/1.1\nHost: 127.0.0.1\n{AUTH}\n\n"), 400, True, False),
    ("bare-cr-request-line", raw(f"GET {LIST} HTTP/1.1\r{HEAD_OK}\r\n"), 400, True, False),
    ("bare-cr-line-end", raw(f"GET {LIST} HTTP/1.1\r\nX-A: b\rHost: 127.0.0.1\r\n{AUTH}\r\n\r\n"), 400, True, False),
    ("bare-lf-chunk-size", post(CHUNKED, body=b"5\nhello\r\n0\r\n\r\n"), 400, True, False),
    ("bare-lf-after-chunk", post(CHUNKED, body=b"5\r\nhello\n0\r\n\r\n"), 400, True, False),
    ("nul-in-value", raw(f"GET {LIST} HTTP/1.1\r\n{HEAD_OK}X-A: a\x00b\r\n\r\n"), 400, True, False),
    ("cr-in-value", raw(f"GET {LIST} HTTP/1.1\r\n{HEAD_OK}X-A: a\rb\r\n\r\n"), 400, True, False),
    ("lf-in-value", raw(f"GET {LIST} HTTP/1.1\r\n{HEAD_OK}X-A: a\nb\r\n\r\n"), 400, True, False),
    ("del-in-value", raw(f"GET {LIST} HTTP/1.1\r\n{HEAD_OK}X-A: a\x7fb\r\n\r\n"), 400, True, False),
    ("space-before-colon", raw(f"GET {LIST} HTTP/1.1\r\nHost : 127.0.0.1\r\n{AUTH}\r\n\r\n"), 400, True, False),
    ("tab-before-colon", raw(f"GET {LIST} HTTP/1.1\r\n{HEAD_OK}Content-Length\t: 0\r\n\r\n"), 400, True, False),
    ("empty-header-name", raw(f"GET {LIST} HTTP/1.1\r\n{HEAD_OK}: value\r\n\r\n"), 400, True, False),
    ("header-name-not-token", raw(f"GET {LIST} HTTP/1.1\r\n{HEAD_OK}X(A): b\r\n\r\n"), 400, True, False),
    ("header-without-colon", raw(f"GET {LIST} HTTP/1.1\r\n{HEAD_OK}X-A b\r\n\r\n"), 400, True, False),
    # Versions.
    ("http2-request-line", listing(version="HTTP/2.0"), 505, True, False),
    ("http2-preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505, True, False),
    ("http3-request-line", listing(version="HTTP/3"), 505, True, False),
    ("http09", f"GET {LIST}\r\n".encode(), None, True, False),
    ("version-lowercase", listing(version="http/1.1"), 400, True, False),
    ("version-two-digit-minor", listing(version="HTTP/1.10"), 400, True, False),
    ("request-line-double-space", raw(f"GET  {LIST} HTTP/1.1\r\n{HEAD_OK}\r\n"), 400, True, False),
    ("request-line-tab", raw(f"GET\t{LIST} HTTP/1.1\r\n{HEAD_OK}\r\n"), 400, True, False),
    # Methods.
    ("trace-on-known-route", request("TRACE", LIST, [AUTH]), 405, False, False),
    ("trace-elsewhere", request("TRACE", "/", [AUTH]), 405, False, False),
    ("connect-authority-form", request("CONNECT", "example.com:443", [AUTH], host="example.com:443"), 405, True, False),
    ("connect-on-known-route", request("CONNECT", LIST, [AUTH]), 405, True, False),
    ("unknown-method-on-nothing", request("BREW", "/pot", [AUTH]), 501, False, False),
    # Host and the request target.
    ("missing-host-http11", listing(host=None), 400, True, False),
    ("two-hosts", listing("Host: 127.0.0.1"), 400, True, False),
    ("host-with-path", listing(host="example.com/v1"), 400, True, False),
    ("host-with-userinfo", listing(host="user@example.com"), 400, True, False),
    ("host-bad-port", listing(host="127.0.0.1:http"), 400, True, False),
    ("host-long-port", listing(host="127.0.0.1:123456"), 400, True, False),
    ("host-open-bracket", listing(host="[::1"), 400, True, False),
    ("host-empty", listing(host=""), 400, True, False),
    ("host-space-inside", listing(host="exa mple.com"), 400, True, False),
    ("absolute-form-other-host", listing(target="http://example.com/v1/files"), 400, True, False),
    ("absolute-form-other-host-https", listing(target="https://example.com/v1/files"), 400, True, False),
    ("absolute-form-userinfo", listing(target="http://127.0.0.1@example.com/v1/files"), 400, True, False),
    ("target-asterisk", listing(target="*"), 400, True, False),
]


@pytest.mark.parametrize(("raw_request", "status", "close", "forwarded"), [row[1:] for row in FRAMING],
                         ids=[row[0] for row in FRAMING])
def test_framing(front: EdgeFront, raw_request: bytes, status: int | None, close: bool, forwarded: bool) -> None:
    front.check(raw_request, status, close, forwarded)


@pytest.mark.parametrize(
    ("method", "target", "allowed"),
    [("BREW", "/v1/files", "GET, POST"), ("PURGE", "/v1/files/file-abc", "DELETE, GET"),
     ("PATCH", "/openai/v1/files/file-abc/content", "GET"), ("TRACE", "/openai/files?api-version=2024-06-01",
                                                            "GET, POST")],
)
def test_a_method_a_known_route_does_not_take_is_405_with_allow(
    front: EdgeFront, method: str, target: str, allowed: str
) -> None:
    outcome, _ = front.check(request(method, target, [f"api-key: {DEMO_KEY}"]), 405, False, False)
    assert outcome.answer is not None and outcome.answer.header("Allow") == allowed, outcome.describe()


@pytest.mark.parametrize("scheme", ["http", "HTTP"])
def test_an_absolute_form_target_naming_filegate_itself_is_served(front: EdgeFront, scheme: str) -> None:
    outcome, recorded = front.check(listing(target=f"{scheme}://{front.authority}/v1/files?limit=3"), 200, False, True)
    assert recorded[0]["path"] == "/v1/files", recorded


def test_a_smuggled_request_after_a_refused_one_is_never_answered(front: EdgeFront) -> None:
    """Two requests in one write, the first refused: only the first is answered, the second never reaches anyone."""
    first = post("Content-Length: 3", "Content-Length: 3", body=b"abc")
    outcome, recorded = front.run(first + SMUGGLED)
    assert (outcome.status, outcome.ending.closed, outcome.ending.extra, recorded) == (400, True, [], []), (
        outcome.describe()
    )


def test_a_pipelined_request_after_a_good_one_is_answered_in_order(front: EdgeFront) -> None:
    """The control for the row above: two good requests in one write get two answers, each reaching the upstream."""
    outcome, recorded = front.run(listing() + SMUGGLED)
    assert outcome.status == 200, outcome.describe()
    assert [answer.status for answer in outcome.ending.extra] == [200], outcome.describe()
    assert [entry["target"] for entry in recorded] == ["/v1/files", "/v1/files?purpose=smuggled"], recorded


def test_the_answer_to_a_framing_error_is_json_in_the_openai_shape(front: EdgeFront) -> None:
    outcome, _ = front.run(post("Content-Length: 1", "Content-Length: 2", body=b"ab"))
    assert outcome.answer is not None, outcome.describe()
    assert outcome.answer.header("Connection") == "close", outcome.describe()
    body = outcome.answer.json()
    assert isinstance(body, dict) and body["error"]["type"] == "invalid_request_error", outcome.describe()
