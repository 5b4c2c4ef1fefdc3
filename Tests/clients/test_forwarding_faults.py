"""An upstream that misbehaves, seen by a client of filegate (issue 4, point 5): each fault has its answer.

One front filegate holds one `openai` backend per fault, each pointed at the faulty upstream's `/fault/NAME`
path (or at a port that refuses or never answers), and one client key per backend. SDK clients run with
`max_retries=0`, since the SDK retries 5xx answers.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Iterator

import openai
import pytest

from conftest import Server, default_config, sha256_hex, start_filegate, stop_filegate
from support import AZURE_DATED, OPENAI, Dialect, assert_error, curl, environment_without_proxies, eventually

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from upstreams.fixtures import UPSTREAM_KEY, Upstreams, closed_port, unanswered_port, upstreams  # noqa: E402,F401

FAULTS = (
    "refused", "unanswered", "stall", "garbage", "redirect", "html-503", "reset-mid-body", "short-body", "latin1-header",
)


def key(fault: str) -> str:
    return f"fg-fault-{fault}-0123456789"


@pytest.fixture(scope="module")
def faulty_base() -> Iterator[str]:
    """One faulty upstream; each backend picks its fault by path."""
    servers = Upstreams()
    try:
        yield servers.faulty().base_url
    finally:
        servers.stop_all()


@pytest.fixture(scope="module")
def front(faulty_base: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with unanswered_port() as silent_port:
        endpoints = {
            "refused": f"http://127.0.0.1:{closed_port()}",
            "unanswered": f"http://127.0.0.1:{silent_port}",
        }
        backends = []
        for fault in FAULTS:
            backends.append(
                {
                    "name": fault,
                    "kind": "openai",
                    "endpoint": endpoints.get(fault, f"{faulty_base}/fault/{fault}"),
                    "api_key_env": "FG_UPSTREAM_KEY",
                    "connect_timeout_seconds": 1,
                    "first_byte_timeout_seconds": 1,
                }
            )
        config = default_config()
        config["backends"] = backends
        config["clients"] = [
            {"name": fault, "key_sha256": sha256_hex(key(fault)), "backends": [fault], "default_backend": fault}
            for fault in FAULTS
        ]
        server = start_filegate(
            tmp_path_factory.mktemp("front-faults"), config, environment={"FG_UPSTREAM_KEY": UPSTREAM_KEY}
        )
        try:
            yield server
        finally:
            stop_filegate(server)


def retrieve(front: Server, fault: str, dialect: Dialect = OPENAI):
    return curl("GET", dialect.url(front.base_url, "/file-abc"), headers=dialect.auth(key(fault)))


@pytest.mark.parametrize("dialect", [OPENAI, AZURE_DATED], ids=["openai", "azure-dated"])
@pytest.mark.parametrize(
    "fault, status",
    [("refused", 502), ("unanswered", 504), ("stall", 504), ("garbage", 502), ("redirect", 502), ("html-503", 503)],
)
def test_a_fault_is_answered_in_the_clients_dialect(front: Server, fault: str, status: int, dialect: Dialect) -> None:
    answer = retrieve(front, fault, dialect)
    error = assert_error(answer, dialect, status)
    assert "127.0.0.1" not in error["message"] and UPSTREAM_KEY not in answer.body.decode(errors="replace")


def test_a_redirect_is_not_followed(front: Server) -> None:
    answer = retrieve(front, "redirect")
    assert answer.status == 502
    assert "location" not in {name.lower() for name in answer.headers}


def test_the_sdk_sees_the_fault_without_retrying(front: Server) -> None:
    client = openai.OpenAI(base_url=f"{front.base_url}/v1", api_key=key("garbage"), max_retries=0, timeout=30)
    with pytest.raises(openai.APIStatusError) as raised:
        client.files.retrieve("file-abc")
    assert raised.value.status_code == 502


@pytest.mark.parametrize("path", ["/file-abc/content", "/file-abc"], ids=["content", "file-object"])
def test_an_upstream_header_that_is_not_utf8_is_left_out_not_changed(front: Server, path: str) -> None:
    """A Latin-1 `Content-Disposition` would reach the client with U+FFFD in it: it stays behind, the rest passes."""
    answer = curl("GET", OPENAI.url(front.base_url, path), headers=OPENAI.auth(key("latin1-header")))
    assert answer.status == 200, answer.describe()
    assert answer.header("Content-Disposition") is None, answer.headers
    assert answer.header("x-ratelimit-remaining-requests") == "7", answer.headers
    if path.endswith("/content"):
        assert answer.body == (b"0123456789abcdef" * 4), answer.describe()
    else:
        assert answer.json()["id"] == "file-faulty0000000000000000000000", answer.describe()


@pytest.mark.parametrize("fault", ["reset-mid-body", "short-body"])
def test_a_download_cut_upstream_is_cut_for_the_client(front: Server, fault: str) -> None:
    """The head went out before the upstream failed, so the client's connection is cut: never a whole-looking body."""
    done = subprocess.run(
        [
            "curl", "-sS", "--noproxy", "*", "--max-time", "30", "-o", "/dev/null", "-w", "%{http_code} %{size_download}",
            "-H", f"Authorization: Bearer {key(fault)}", f"{front.base_url}/v1/files/file-abc/content",
        ],
        capture_output=True,
        text=True,
        env=environment_without_proxies(),
    )
    assert done.returncode in (18, 56), (done.returncode, done.stdout, done.stderr)


def test_a_client_that_leaves_mid_upload_aborts_the_upstream_transfer(upstreams, tmp_path: Path) -> None:  # noqa: F811
    """The upstream reads slowly; the client gives up part-way; the upstream sees its peer go, not a whole body.

    curl's exit closes its socket with a FIN behind the bytes already in flight, and filegate, which stopped reading
    the client while the upstream was slow, sees that FIN only once those bytes (socket buffers, a few MiB) have gone
    upstream; at 4 MiB/s that is seconds, well before the 256 MiB body could have ended (64 s)."""
    slow = upstreams.faulty("slow-reader", read_rate=4 * 1_048_576)
    config = default_config()
    config["max_upload_bytes"] = 512 * 1024 * 1024
    config["backends"] = [
        {"name": "slow", "kind": "openai", "endpoint": slow.base_url, "api_key_env": "FG_UPSTREAM_KEY"}
    ]
    config["clients"] = [
        {"name": "slow", "key_sha256": sha256_hex(key("slow")), "backends": ["slow"], "default_backend": "slow"}
    ]
    directory = tmp_path / "front"
    directory.mkdir()
    front = start_filegate(directory, config, environment={"FG_UPSTREAM_KEY": UPSTREAM_KEY})
    big = tmp_path / "big.jsonl"
    with big.open("wb") as handle:
        handle.truncate(256 * 1024 * 1024)
    upload = subprocess.Popen(
        [
            "curl", "-sS", "--noproxy", "*", "-o", "/dev/null", "-H", f"Authorization: Bearer {key('slow')}",
            "-F", "purpose=fine-tune", "-F", f"file=@{big}", f"{front.base_url}/v1/files",
        ],
        env=environment_without_proxies(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        def upload_reached_upstream() -> None:
            assert any(entry["method"] == "POST" for entry in slow.recorded())

        eventually(upload_reached_upstream, timeout=20)
        upload.kill()
        upload.wait(timeout=10)

        def upstream_saw_the_peer_go() -> None:
            posts = [entry for entry in slow.recorded() if entry["method"] == "POST"]
            assert posts and posts[-1].get("peer_gone") is True, posts
            assert posts[-1].get("body_complete") is not True, posts

        eventually(upstream_saw_the_peer_go, timeout=50)
    finally:
        if upload.poll() is None:
            upload.kill()
        stop_filegate(front)
