"""Expect: 100-continue (DESIGN.md): `100 Continue` only after auth, route and the length check pass.

curl hides the interim answer, so these speak HTTP/1.1 on a raw socket: send the head, read what comes back.
"""

from __future__ import annotations

import json
import urllib.parse

import pytest

from support import (
    DEMO_KEY,
    DIALECT_IDS,
    DIALECTS,
    MAX_UPLOAD_BYTES,
    WRONG_KEY,
    Dialect,
    RawConnection,
    delete_quietly,
    multipart_body,
    training_bytes,
)

BOUNDARY = "filegate-expect-test"


def request_head(base: str, dialect: Dialect, key_lines: list[str], length: int) -> bytes:
    target = dialect.url(base)[len(base):]
    lines = [
        f"POST {target} HTTP/1.1",
        f"Host: {urllib.parse.urlsplit(base).netloc}",
        *key_lines,
        "User-Agent: filegate-tests",
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}",
        f"Content-Length: {length}",
        "Expect: 100-continue",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@pytest.mark.parametrize("dialect", DIALECTS, ids=DIALECT_IDS)
@pytest.mark.parametrize("key", ["wrong", "none"])
def test_bad_key_gets_401_without_100(base: str, dialect: Dialect, key: str) -> None:
    key_lines = dialect.auth(WRONG_KEY) if key == "wrong" else []
    with RawConnection(base) as connection:
        connection.send(request_head(base, dialect, key_lines, 4096))
        answer = connection.read_head()
        assert answer.status == 401, f"expected the final 401 first, got {answer.status} {answer.reason}"
        body = json.loads(connection.read_body(answer))
        assert "error" in body
        assert WRONG_KEY not in json.dumps(body)


@pytest.mark.parametrize("dialect", DIALECTS, ids=DIALECT_IDS)
def test_declared_length_over_limit_gets_413_without_100(base: str, dialect: Dialect) -> None:
    with RawConnection(base) as connection:
        connection.send(request_head(base, dialect, dialect.auth(DEMO_KEY), MAX_UPLOAD_BYTES + 1))
        answer = connection.read_head()
        assert answer.status == 413, f"expected the final 413 first, got {answer.status} {answer.reason}"


@pytest.mark.parametrize("dialect", DIALECTS, ids=DIALECT_IDS)
def test_good_key_gets_100_then_the_file(base: str, dialect: Dialect) -> None:
    data = training_bytes()
    body = multipart_body(BOUNDARY, [("purpose", "fine-tune")], "expect.jsonl", data)
    file_id = None
    try:
        with RawConnection(base) as connection:
            connection.send(request_head(base, dialect, dialect.auth(DEMO_KEY), len(body)))
            interim = connection.read_head()
            assert (interim.status, interim.reason) == (100, "Continue")
            connection.send(body)
            final = connection.read_head()
            assert final.status == dialect.create_status, final
            created = json.loads(connection.read_body(final))
            file_id = created["id"]
            assert (created["filename"], created["bytes"], created["purpose"]) == ("expect.jsonl", len(data), "fine-tune")
    finally:
        if file_id:
            delete_quietly(base, file_id)
