"""Overload (issue 5 point 7), on raw sockets and curl: `max_connections` and the upstream connection limit.

Past `max_connections` a new connection is accepted, its head read for up to a second, answered 503 with
`Retry-After` in the OpenAI shape (no dialect is known that early) and closed, never left hanging. Toward a remote
backend at most `max_upstream_connections` transfers run at once; others wait in filegate's own queue, for at most
`upstream_queue_timeout_seconds`, then get 503 with `Retry-After` in the client's dialect. As many upstream
connections as may be in use at once (the remote backends' `max_upstream_connections` together) stay open for reuse.
"""

from __future__ import annotations

import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterator

import pytest

from conftest import Server, default_config, front_config, sha256_hex, start_filegate, start_front, stop_filegate
from rawhttp import RawConnection, auth_line, exchange, request
from support import AZURE_DATED, AZURE_V1, DEMO_KEY, OPENAI, Dialect, Response, assert_error, create_with_curl, curl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from upstreams.fixtures import Upstream, Upstreams, upstreams  # noqa: E402, F401 - a fixture used by name

MAX_CONNECTIONS = 4
LIST = request("GET", "/v1/files", [auth_line()])


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A filegate on its local backend that serves at most `MAX_CONNECTIONS` connections."""
    config = default_config()
    config["max_connections"] = MAX_CONNECTIONS
    server = start_filegate(tmp_path_factory.mktemp("overload"), config)
    try:
        yield server
    finally:
        stop_filegate(server)


def served_connection(base: str) -> RawConnection:
    """A connection that has had one request answered 200 and stays open, idle, keep-alive.

    Connections an earlier test closed count until filegate has seen them close; until then this one may be refused,
    and is tried again.
    """
    deadline = time.monotonic() + 10
    while True:
        connection = RawConnection.to(base)
        connection.send(LIST)
        answer = connection.read_answer()
        assert answer is not None, "closed without an answer"
        if answer.status == 200:
            assert answer.header("connection") is None, answer.describe()
            return connection
        connection.close()
        assert answer.status == 503 and time.monotonic() < deadline, answer.describe()
        time.sleep(0.05)


def assert_refused(connection: RawConnection) -> None:
    """A 503 with `Retry-After: 1` and `Connection: close` in the OpenAI shape, then end of file, not a reset."""
    answer = connection.read_answer()
    assert answer is not None, "closed without an answer"
    assert answer.header("retry-after") == "1", answer.describe()
    assert (answer.header("connection") or "").lower() == "close", answer.describe()
    assert_error(answer.as_response(), OPENAI, 503)
    assert connection.read_to_end() == b""
    assert connection.eof and not connection.reset


def test_past_max_connections_a_new_connection_is_answered_503_and_closed(small: Server) -> None:
    held = [served_connection(small.base_url) for _ in range(MAX_CONNECTIONS)]
    try:
        with RawConnection.to(small.base_url) as fifth:
            fifth.send(LIST)
            assert_refused(fifth)
        # The held connections were not disturbed: each still serves a request.
        for connection in held:
            connection.send(LIST)
            answer = connection.read_answer()
            assert answer is not None and answer.status == 200, answer and answer.describe()
    finally:
        for connection in held:
            connection.close()


def test_once_a_held_connection_closes_a_new_one_is_served(small: Server) -> None:
    held = [served_connection(small.base_url) for _ in range(MAX_CONNECTIONS)]
    try:
        held.pop().close()
        # filegate counts the connection gone once it has seen the close: until then a newcomer may still be
        # refused, never left waiting.
        deadline = time.monotonic() + 10
        while True:
            with RawConnection.to(small.base_url) as newcomer:
                newcomer.send(LIST)
                answer = newcomer.read_answer()
                assert answer is not None, "closed without an answer"
                if answer.status == 200:
                    break
                assert answer.status == 503, answer.describe()
            assert time.monotonic() < deadline, "no connection served after one of the held ones closed"
    finally:
        for connection in held:
            connection.close()


def test_a_refused_connection_that_sends_nothing_is_answered_within_about_a_second(small: Server) -> None:
    held = [served_connection(small.base_url) for _ in range(MAX_CONNECTIONS)]
    try:
        with RawConnection.to(small.base_url) as silent:
            started = time.monotonic()
            answer = silent.read_answer()
            waited = time.monotonic() - started
            if answer is not None:
                assert answer.status == 503, answer.describe()
                assert silent.read_to_end() == b""
            assert silent.eof
            assert 0.5 <= waited < 5, waited
    finally:
        for connection in held:
            connection.close()


def test_a_refused_connection_sending_a_body_reads_its_answer(small: Server) -> None:
    """The refusal lingers: a client still sending a body after the head sees the 503, not a reset."""
    held = [served_connection(small.base_url) for _ in range(MAX_CONNECTIONS)]
    try:
        body = b"x" * 65536
        raw = request("POST", "/v1/files", [auth_line(), f"Content-Length: {len(body)}"])
        with RawConnection.to(small.base_url) as fifth:
            fifth.send(raw)
            fifth.send(body)
            assert_refused(fifth)
    finally:
        for connection in held:
            connection.close()


# Upstream queue: the faulty upstream's slow-reader takes UPLOAD_BYTES at READ_RATE (about six seconds), holding
# the backend's one slot; requests arriving meanwhile wait one second in filegate's queue, then get 503.
READ_RATE = 128 * 1024
UPLOAD_BYTES = 768 * 1024
QUEUE_KEY_DIALECTS = (OPENAI, AZURE_V1, AZURE_DATED)


@pytest.fixture(scope="module")
def slow_upstream() -> Iterator[Upstream]:
    servers = Upstreams()
    try:
        yield servers.faulty(read_rate=READ_RATE)
    finally:
        servers.stop_all()


@pytest.fixture(scope="module")
def queued_front(slow_upstream: Upstream, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    config = front_config(
        "openai",
        f"{slow_upstream.base_url}/fault/slow-reader",
        max_upstream_connections=1,
        upstream_queue_timeout_seconds=1,
    )
    server = start_front(tmp_path_factory.mktemp("upstream-queue"), config)
    try:
        yield server
    finally:
        stop_filegate(server)


def retrieve(front: Server, dialect: Dialect) -> tuple[Response, float]:
    started = time.monotonic()
    answer = curl("GET", dialect.url(front.base_url, "/file-abc"), headers=dialect.auth(DEMO_KEY))
    return answer, time.monotonic() - started


def test_a_request_waiting_past_the_upstream_queue_timeout_gets_503(
    queued_front: Server, slow_upstream: Upstream, tmp_path: Path
) -> None:
    upload = tmp_path / "slow.jsonl"
    upload.write_bytes(b'{"prompt": "p", "completion": "c"}\n' * (UPLOAD_BYTES // 35))
    slow_upstream.clear()
    first: list[Response] = []
    uploader = threading.Thread(
        target=lambda: first.append(create_with_curl(queued_front.base_url, OPENAI, upload, file_first=False))
    )
    uploader.start()
    try:
        # The upload holds the slot once the upstream has begun to receive it.
        deadline = time.monotonic() + 10
        while not any(entry["path"].endswith("/files") for entry in slow_upstream.recorded()):
            assert time.monotonic() < deadline, "the upload never reached the upstream"
            time.sleep(0.05)
        answers: dict[str, tuple[Response, float]] = {}
        waiters = [
            threading.Thread(target=lambda d=dialect: answers.__setitem__(d.name, retrieve(queued_front, d)))
            for dialect in QUEUE_KEY_DIALECTS
        ]
        for waiter in waiters:
            waiter.start()
        for waiter in waiters:
            waiter.join()
        assert uploader.is_alive(), "the upload finished before the queued requests timed out: slow it down"
        for dialect in QUEUE_KEY_DIALECTS:
            answer, waited = answers[dialect.name]
            assert_error(answer, dialect, 503)
            assert answer.header("retry-after") == "1", answer.describe()
            assert 0.9 <= waited < 5, (dialect.name, waited)
        # None of them reached the upstream.
        assert [entry["path"] for entry in slow_upstream.recorded() if "file-abc" in entry["path"]] == []
    finally:
        uploader.join()
    assert first and first[0].status == OPENAI.create_status, first and first[0].describe()
    # The slot is free again: requests flow.
    answer, _ = retrieve(queued_front, OPENAI)
    assert answer.status == 200, answer.describe()


def test_connections_turned_away_are_logged_in_one_line_not_one_each(tmp_path: Path) -> None:
    """A flood of refusals must not flood the log: the first is logged at once, the next ones at most every 10 s."""
    config = default_config()
    config["max_connections"] = 1
    server = start_filegate(tmp_path, config)
    try:
        held = served_connection(server.base_url)
        try:
            for _ in range(6):
                with RawConnection.to(server.base_url) as refused:
                    refused.send(LIST)
                    assert_refused(refused)
        finally:
            held.close()
        log = server.log_text()
        assert log.count("connections turned away past max_connections") == 1, log[-3000:]
        assert "answered_503=1" in log, log[-3000:]
        assert "request failed" not in log, log[-3000:]
    finally:
        stop_filegate(server)


# Upstream connection reuse: two remote backends, WAVE transfers in flight to each at once, on one gathering upstream.
WAVE = 60
OTHER_KEY = "fg-other-client-0123456789abcdef"


def test_a_full_wave_of_upstream_transfers_reuses_its_connections(upstreams: Upstreams, tmp_path: Path) -> None:  # noqa: F811
    """curl's connection cache counts the connections in use too. It held 64: past 64 transfers in flight, each
    transfer that ended closed a connection, so under load every request opened a new one. Here 120 are in flight at
    once (60 to each backend, the upstream answering none until all have arrived), three times: the second and third
    waves reuse the first wave's 120 connections."""
    upstream = upstreams.faulty("gather", gather=2 * WAVE)
    config = front_config("openai", upstream.base_url, max_upstream_connections=WAVE)
    config["backends"].append(dict(config["backends"][0], name="up2"))
    config["clients"].append(
        {"name": "other", "key_sha256": sha256_hex(OTHER_KEY), "backends": ["up2"], "default_backend": "up2"}
    )
    server = start_front(tmp_path, config)
    try:
        retrievals = [request("GET", "/v1/files/file-abc", [auth_line(key)]) for key in (DEMO_KEY, OTHER_KEY)]
        with ThreadPoolExecutor(2 * WAVE) as pool:
            for _ in range(3):
                outcomes = list(pool.map(lambda raw: exchange(server.base_url, raw), retrievals * WAVE))
                assert [outcome.status for outcome in outcomes] == [200] * (2 * WAVE), outcomes[0].describe()
    finally:
        stop_filegate(server)
    assert len(upstream.recorded()) == 3 * 2 * WAVE
    assert len({entry["connection"] for entry in upstream.recorded()}) == 2 * WAVE
