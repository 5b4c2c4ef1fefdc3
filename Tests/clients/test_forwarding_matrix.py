"""Forwarding through libcurl, every client dialect in front of every backend dialect (issue 4's matrix).

A front filegate's one backend is a second filegate on its embedded backend, reached in the backend dialect under
test with the upstream's key; clients drive the front with the openai SDK in each of README.md's three set-ups.
A recording upstream written for the tests shows what goes over the wire: the upstream's key, never the client's,
and nothing off DESIGN.md's header allowlist.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterator

import openai
import pytest

from conftest import Server, default_config, front_config, sha256_hex, start_filegate, start_front, stop_filegate
from support import DEMO_KEY, OPENAI, SDK_SETUPS, assert_error, curl, sdk_client, write_training_file

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from upstreams.fixtures import UPSTREAM_DIALECTS, UPSTREAM_KEY, header_values, upstreams  # noqa: E402,F401

BACKEND_VERSION = "2024-10-21"


def matrix_config(kind: str, endpoint: str) -> dict:
    """A front whose backend of `kind` is at `endpoint`: the dated one at `BACKEND_VERSION`, the v1 one with the
    default expiry its reference requires."""
    return front_config(
        kind,
        endpoint,
        api_version=BACKEND_VERSION if kind == "azure-legacy" else None,
        default_expires_after_seconds=259_200 if kind == "azure-v1" else None,
    )


@pytest.fixture(scope="module")
def back(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The upstream: a filegate on its embedded backend whose only key is the upstream key."""
    config = default_config()
    config["max_upload_bytes"] = 64 * 1024 * 1024
    config["clients"] = [
        {"name": "front", "key_sha256": sha256_hex(UPSTREAM_KEY), "backends": ["local"], "default_backend": "local"}
    ]
    server = start_filegate(tmp_path_factory.mktemp("back"), config)
    yield server
    stop_filegate(server)


@pytest.fixture(scope="module", params=UPSTREAM_DIALECTS)
def front(request: pytest.FixtureRequest, back: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A filegate in front of `back`, speaking the parameter's backend dialect to it."""
    server = start_front(tmp_path_factory.mktemp(f"front-{request.param}"), matrix_config(request.param, back.base_url))
    yield server
    stop_filegate(server)


@pytest.mark.both
@pytest.mark.parametrize("setup", SDK_SETUPS)
def test_lifecycle_through_a_remote_backend(front: Server, setup: str, tmp_path: Path) -> None:
    client = sdk_client(front.base_url, setup)
    path, data = write_training_file(tmp_path, lines=40)
    with path.open("rb") as handle:
        created = client.files.create(file=handle, purpose="fine-tune")
    assert (created.filename, created.purpose, created.bytes, created.status) == (
        path.name, "fine-tune", len(data), "processed"
    )
    listed = [file.id for file in client.files.list()]
    assert created.id in listed
    assert client.files.retrieve(created.id).bytes == len(data)
    assert client.files.content(created.id).read() == data
    # A part, through both filegates: the back one answers the Range from its store, the front passes the 206 on.
    part = client.files.with_raw_response.content(created.id, extra_headers={"Range": "bytes=5-24"})
    assert (part.http_response.status_code, part.http_response.content) == (206, data[5:25])
    assert part.http_response.headers["content-range"] == f"bytes 5-24/{len(data)}"
    client.files.delete(created.id)
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(created.id)


@pytest.mark.parametrize("dialect", UPSTREAM_DIALECTS)
def test_the_upstream_sees_its_own_key_and_only_allowlisted_headers(
    upstreams, dialect: str, tmp_path: Path  # noqa: F811
) -> None:
    up = upstreams.recording(dialect, api_version=BACKEND_VERSION if dialect == "azure-legacy" else None)
    front_directory = tmp_path / "front"
    front_directory.mkdir()
    front = start_front(front_directory, matrix_config(dialect, up.base_url))
    try:
        path, _ = write_training_file(tmp_path)
        answer = curl(
            "POST",
            f"{front.base_url}/v1/files",
            headers=[
                f"Authorization: Bearer {DEMO_KEY}",
                "Cookie: session=secret",
                "X-Forwarded-For: 203.0.113.9",
                "x-filegate-backend: elsewhere",
                "Connection: keep-alive, x-secret-hop",
                "x-secret-hop: 1",
            ],
            form=["purpose=fine-tune", f"file=@{path}"],
        )
        assert answer.status == 200, answer.describe()
        assert curl("GET", f"{front.base_url}/v1/files", headers=[f"api-key: {DEMO_KEY}"]).status == 200
        recorded = up.recorded()
        assert recorded, "the upstream saw no request"
        for entry in recorded:
            everything = repr(entry)
            assert DEMO_KEY not in everything
            for name in ("cookie", "x-forwarded-for", "x-filegate-backend", "x-secret-hop", "connection"):
                assert header_values(entry, name) == [], (name, entry)
            if dialect == "openai":
                assert header_values(entry, "authorization") == [f"Bearer {UPSTREAM_KEY}"]
            else:
                assert header_values(entry, "api-key") == [UPSTREAM_KEY]
                assert header_values(entry, "authorization") == []
    finally:
        stop_filegate(front)


def test_a_body_over_the_backends_limit_is_refused_before_it_is_read(upstreams, tmp_path: Path) -> None:  # noqa: F811
    """The backend's own `max_upload_bytes` (below the top-level one) refuses a declared length up front."""
    up = upstreams.recording("openai")
    config = front_config("openai", up.base_url, max_upload_bytes=4096)
    front_directory = tmp_path / "front"
    front_directory.mkdir()
    front = start_front(front_directory, config)
    try:
        path, _ = write_training_file(tmp_path, lines=400)
        answer = curl(
            "POST", f"{front.base_url}/v1/files", headers=[f"Authorization: Bearer {DEMO_KEY}"],
            form=["purpose=fine-tune", f"file=@{path}"],
        )
        assert_error(answer, OPENAI, 413)
        assert [entry for entry in up.recorded() if entry["method"] == "POST"] == []
    finally:
        stop_filegate(front)
