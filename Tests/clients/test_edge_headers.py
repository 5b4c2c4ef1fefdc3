"""Hop-by-hop and identity headers (issue 5 point 5), raw bytes on a socket against filegate in front of a recording
upstream.

Whatever the client sends, `Connection` and every header it names, `Keep-Alive`, `Proxy-Connection`, `TE`, `Trailer`,
`Upgrade`, `HTTP2-Settings`, `Proxy-Authorization`, `Authorization`, `api-key` and `x-filegate-*` never reach the
upstream, in any spelling; an upgrade is answered as plain HTTP/1.1. A repeated auth header, or keys of two clients,
is a 401 in the client's dialect; an `api-key` and a Bearer of one client are fine.
"""

from __future__ import annotations

from typing import Iterator

import pytest

from rawhttp import EdgeFront, edge_front, request
from support import DEMO_KEY, DIALECT_IDS, DIALECTS, OTHER_KEY, WRONG_KEY, Dialect, assert_error
from upstreams.fixtures import header_values

AUTH = f"Authorization: Bearer {DEMO_KEY}"


@pytest.fixture(scope="module")
def front(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EdgeFront]:
    yield from edge_front(tmp_path_factory.mktemp("edge-headers"))


def listing(*headers: str) -> bytes:
    return request("GET", "/v1/files", [AUTH, *headers])


# (id, extra header lines, names that must not reach the upstream)
HOP_BY_HOP = [
    ("connection-keep-alive", ["Connection: keep-alive"], ["connection"]),
    ("connection-named-custom", ["Connection: X-Hop", "X-Hop: 1"], ["x-hop"]),
    ("connection-named-mixed-case", ["cOnNeCtIoN: x-HOP, x-other", "X-Hop: 1", "X-OTHER: 2"], ["x-hop", "x-other"]),
    ("connection-named-allowlisted-user-agent", ["Connection: User-Agent", "User-Agent: hop/1"], ["user-agent"]),
    ("connection-named-allowlisted-accept", ["Connection: accept", "Accept: application/json"], ["accept"]),
    ("connection-named-in-second-line", ["Connection: keep-alive", "Connection: x-late", "X-Late: 1"], ["x-late"]),
    ("keep-alive", ["Keep-Alive: timeout=5, max=100"], []),
    ("keep-alive-upper", ["KEEP-ALIVE: timeout=5"], []),
    ("proxy-connection", ["Proxy-Connection: keep-alive"], []),
    ("te-trailers", ["TE: trailers"], []),
    ("te-lower-gzip", ["te: gzip"], []),
    ("trailer", ["Trailer: X-Checksum"], ["x-checksum"]),
    (
        "upgrade-h2c",
        ["Connection: Upgrade, HTTP2-Settings", "Upgrade: h2c", "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA"],
        [],
    ),
    ("upgrade-h2c-without-connection", ["Upgrade: h2c", "http2-settings: AAMAAABk"], []),
    (
        "upgrade-websocket",
        ["Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
         "Sec-WebSocket-Version: 13"],
        [],
    ),
    ("upgrade-mixed-case", ["UPGRADE: WebSocket", "connection: UPGRADE"], []),
    ("proxy-authorization", ["Proxy-Authorization: Basic dXNlcjpwYXNz"], []),
    ("proxy-authorization-mixed-case", ["pRoXy-AuThOrIzAtIoN: Bearer " + OTHER_KEY], []),
    ("x-filegate-backend", ["x-filegate-backend: elsewhere"], []),
    ("x-filegate-upper", ["X-FILEGATE-UPSTREAM-ID: file-abc", "X-Filegate-Anything: 1"], []),
    ("cookie-and-forwarded", ["Cookie: session=1", "X-Forwarded-For: 203.0.113.9", "Forwarded: for=203.0.113.9"], []),
    ("api-key-beside-bearer-same-client", [f"api-key: {DEMO_KEY}"], []),
    ("api-key-upper-beside-bearer", [f"API-KEY: {DEMO_KEY}"], []),
    ("wrong-api-key-beside-bearer", [f"api-key: {WRONG_KEY}"], []),
]


@pytest.mark.parametrize(("extra", "named"), [row[1:] for row in HOP_BY_HOP], ids=[row[0] for row in HOP_BY_HOP])
def test_hop_by_hop_and_identity_headers_stay_behind(front: EdgeFront, extra: list[str], named: list[str]) -> None:
    outcome, recorded = front.check(listing(*extra), 200, False, True)
    assert outcome.answer is not None and outcome.answer.version == "HTTP/1.1", outcome.describe()
    assert outcome.answer.header("Upgrade") is None, outcome.describe()
    for name in named:
        assert header_values(recorded[0], name) == [], (name, recorded[0])


def test_an_allowlisted_header_passes_when_no_connection_header_names_it(front: EdgeFront) -> None:
    """The control for the Connection-named rows: the same header, not named, does reach the upstream."""
    _, recorded = front.check(listing("User-Agent: edge/1", "Accept: application/json"), 200, False, True)
    assert header_values(recorded[0], "user-agent") == ["edge/1"], recorded[0]
    assert header_values(recorded[0], "accept") == ["application/json"], recorded[0]


def test_a_utf8_header_value_reaches_the_upstream_byte_for_byte(front: EdgeFront) -> None:
    """Header values are kept as their bytes; the recording upstream reads them as Latin-1, one char per byte."""
    agent = "edge/café ☕".encode().decode("latin-1")  # `request` writes each char as one byte
    _, recorded = front.check(listing(f"User-Agent: {agent}"), 200, False, True)
    assert header_values(recorded[0], "user-agent") == [agent], recorded[0]


@pytest.mark.parametrize(
    "value",
    [b"caf\xe9", b"\xc0\xaf", b"a\x80b", b"\xed\xa0\x80", b"end\xe2\x82"],
    ids=["latin-1", "overlong-slash", "lone-continuation", "surrogate", "cut-sequence"],
)
def test_a_header_value_that_is_not_utf8_is_refused_not_altered(front: EdgeFront, value: bytes) -> None:
    """Read as U+FFFD it would reach the upstream changed: a 400 instead, nothing forwarded."""
    outcome, _ = front.check(listing(f"User-Agent: {value.decode('latin-1')}"), 400, True, False)
    assert b"not valid UTF-8" in outcome.answer.body, outcome.describe()


def test_a_bearer_scheme_in_any_case_authenticates(front: EdgeFront) -> None:
    front.check(request("GET", "/v1/files", [f"authorization: bEaReR {DEMO_KEY}"]), 200, False, True)


# (id, auth header lines): each a 401 whatever the dialect.
REFUSED = [
    ("two-api-key-lines-same-key", [f"api-key: {DEMO_KEY}", f"api-key: {DEMO_KEY}"]),
    ("two-api-key-lines-mixed-case", [f"api-key: {DEMO_KEY}", f"Api-Key: {WRONG_KEY}"]),
    ("two-authorization-lines", [f"Authorization: Bearer {DEMO_KEY}", f"Authorization: Bearer {DEMO_KEY}"]),
    ("two-authorization-lines-other-scheme", [f"Authorization: Bearer {DEMO_KEY}", "authorization: Basic eDp5"]),
    ("api-key-comma-joined", [f"api-key: {DEMO_KEY}, {DEMO_KEY}"]),
    ("api-key-comma-joined-wrong-first", [f"api-key: {WRONG_KEY},{DEMO_KEY}"]),
    ("authorization-comma-joined", [f"Authorization: Bearer {DEMO_KEY}, Bearer {DEMO_KEY}"]),
    ("two-clients-api-key-and-bearer", [f"api-key: {DEMO_KEY}", f"Authorization: Bearer {OTHER_KEY}"]),
    ("two-clients-bearer-and-api-key", [f"Authorization: Bearer {DEMO_KEY}", f"API-Key: {OTHER_KEY}"]),
    ("no-key", []),
    ("wrong-key", [f"api-key: {WRONG_KEY}"]),
    ("empty-api-key", ["api-key:"]),
    ("bearer-without-token", ["Authorization: Bearer"]),
    ("key-in-proxy-authorization-only", [f"Proxy-Authorization: Bearer {DEMO_KEY}"]),
]


@pytest.mark.parametrize("dialect", DIALECTS, ids=DIALECT_IDS)
@pytest.mark.parametrize("lines", [row[1] for row in REFUSED], ids=[row[0] for row in REFUSED])
def test_repeated_or_mixed_keys_are_401(front: EdgeFront, dialect: Dialect, lines: list[str]) -> None:
    target = dialect.url("", params=[("limit", "2")])
    outcome, _ = front.check(request("GET", target, lines), 401, False, False)
    assert outcome.answer is not None
    assert_error(outcome.answer.as_response(outcome.sent), dialect, 401)


@pytest.mark.parametrize("dialect", DIALECTS, ids=DIALECT_IDS)
def test_one_api_key_and_one_bearer_of_the_same_client_are_served(front: EdgeFront, dialect: Dialect) -> None:
    lines = [f"api-key: {DEMO_KEY}", f"Authorization: Bearer {DEMO_KEY}"]
    front.check(request("GET", dialect.url("", params=[("limit", "2")]), lines), 200, False, True)


@pytest.mark.parametrize("dialect", DIALECTS, ids=DIALECT_IDS)
def test_a_bearer_that_is_no_key_beside_an_api_key_is_ignored(front: EdgeFront, dialect: Dialect) -> None:
    lines = [f"api-key: {DEMO_KEY}", "Authorization: Bearer unused"]
    front.check(request("GET", dialect.url("", params=[("limit", "2")]), lines), 200, False, True)
