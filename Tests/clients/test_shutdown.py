"""Graceful shutdown (SIGTERM) as a client on a raw socket sees it: idle keep-alive connections are closed at once,
a request in progress is answered in full with `Connection: close`, and filegate exits 0."""

from __future__ import annotations

import signal
from pathlib import Path

from conftest import start_filegate, stop_filegate
from rawhttp import RawConnection, auth_line, request
from support import multipart_body, training_bytes

EXIT_TIMEOUT = 15


def test_an_idle_keep_alive_connection_is_closed(tmp_path: Path) -> None:
    server = start_filegate(tmp_path)
    try:
        with RawConnection.to(server.base_url) as connection:
            connection.send(request("GET", "/v1/files", [auth_line()]))
            answer = connection.read_answer()
            assert answer is not None and answer.status == 200, answer
            assert answer.header("connection") != "close"
            server.process.send_signal(signal.SIGTERM)
            assert connection.read_to_end() == b""
        assert server.process.wait(timeout=EXIT_TIMEOUT) == 0
    finally:
        stop_filegate(server)


def test_a_request_in_progress_is_answered_then_the_connection_closes(tmp_path: Path) -> None:
    server = start_filegate(tmp_path)
    try:
        content = training_bytes(50)
        boundary = "fg-shutdown-boundary"
        body = multipart_body(boundary, [("purpose", "fine-tune")], "train.jsonl", content)
        head = request(
            "POST",
            "/v1/files",
            [
                auth_line(),
                f"Content-Type: multipart/form-data; boundary={boundary}",
                f"Content-Length: {len(body)}",
                "Expect: 100-continue",
            ],
        )
        with RawConnection.to(server.base_url) as connection:
            connection.send(head)
            interim = connection.read_answer(skip_interim=False)
            # `100 Continue` comes once the request is being served: shutdown now finds the connection busy.
            assert interim is not None and interim.status == 100, interim
            server.process.send_signal(signal.SIGTERM)
            connection.send(body)
            answer = connection.read_answer()
            assert answer is not None and answer.status == 200, answer
            assert answer.json()["bytes"] == len(content)
            assert answer.header("connection") == "close"
            assert connection.read_to_end() == b""
        assert server.process.wait(timeout=EXIT_TIMEOUT) == 0
    finally:
        stop_filegate(server)
