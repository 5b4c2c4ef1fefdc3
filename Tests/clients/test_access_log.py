"""`access_log`: the info line of every answered request and closed connection, on by default; with it off, failures
are still logged."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from conftest import Server, default_config, start_filegate, stop_filegate
from rawhttp import RawConnection, auth_line, request
from support import WRONG_KEY, eventually


def logged(server: Server, *messages: str) -> Callable[[], None]:
    """A check for `eventually`: every message is in the log by now."""

    def check() -> None:
        text = server.log_text()
        for message in messages:
            assert message in text, f"{message!r} is not in the log:\n{text[-2000:]}"

    return check


def answers(base: str) -> list[int]:
    """A list (200) and a wrong key (401) on one connection; their statuses."""
    with RawConnection.to(base) as connection:
        statuses = []
        for key_line in (auth_line(), auth_line(WRONG_KEY)):
            connection.send(request("GET", "/v1/files", [key_line]))
            answer = connection.read_answer()
            assert answer is not None
            statuses.append(answer.status)
        return statuses


def test_every_request_is_logged_by_default(tmp_path: Path) -> None:
    server = start_filegate(tmp_path)
    try:
        assert answers(server.base_url) == [200, 401]
        eventually(logged(server, "request done", "request failed", "connection closed"))
    finally:
        stop_filegate(server)


def test_with_access_log_off_only_failures_are_logged(tmp_path: Path) -> None:
    config = default_config()
    config["access_log"] = False
    server = start_filegate(tmp_path, config)
    try:
        assert answers(server.base_url) == [200, 401]
        text = server.whole_log()
        assert "request failed" in text
        assert "request done" not in text
        assert "connection closed" not in text
    finally:
        stop_filegate(server)
