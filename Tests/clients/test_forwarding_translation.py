"""The translation of issue 4, seen from the client, against the recording upstream in its strict modes.

- A dated backend answering as the 2024-06-01 seed's examples (notRunning / succeeded, no `bytes` on create, 201 and
  a `Location` on the upstream's host, no paging): each client sees its own dialect's words, `bytes` filled from
  what filegate counted, a `Location` on filegate's public base URL, and pages filegate cut.
- An azure-v1 backend without `default_expires_after_seconds`: the upstream's own 400 comes back in the client's
  dialect; an expiry in the backend's range passes, one outside is filegate's 400 before the upstream sees anything.
- A dated backend keeps no expiry, and takes only its version's purposes: both are 400s before the upstream.
- The upstream's request id and `Retry-After` reach the client, in the client dialect's header.
- Content passes byte for byte whatever `Accept-Encoding` the client sends; nothing decodes it.
- A `Range` passes to the upstream; its 206 reaches the client as a 206 with `Content-Range` (a part answered 200 would
  look like the whole file), its 416 as a 416 in the client's dialect with the upstream's `Content-Range: bytes */N`.
"""

from __future__ import annotations

import gzip
import http.server
import json
import os
import sys
import threading
from pathlib import Path
from typing import Iterator

import openai
import pytest

from conftest import Server, front_config, start_front, stop_filegate
from support import (
    DEMO_KEY,
    DIALECT_IDS,
    DIALECTS,
    PUBLIC_BASE_URL,
    Dialect,
    Response,
    assert_error,
    create_with_curl,
    created_id,
    curl,
    sdk_client,
    write_training_file,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from upstreams.fixtures import (  # noqa: E402,F401
    UPSTREAM_DIALECTS,
    UPSTREAM_KEY,
    Upstream,
    Upstreams,
    header_values,
    session_upstreams,
    upstreams,
)

SEED_VERSION = "2024-06-01"
OLD_WORDS_VERSION = "2024-05-01-preview"
LEGACY_BACKEND_VERSION = "2024-10-21"
V1_EXPIRES = (259_200, 2_592_000)
# A file id of Azure's shape that no upstream holds.
UNKNOWN_ID = "file-" + "0" * 32


def creates(up: Upstream) -> list[dict]:
    """The creates the upstream received."""
    return [entry for entry in up.recorded() if entry["method"] == "POST"]


def form_of(entry: dict) -> dict[str, object]:
    return {name: value for name, value in entry.get("form", [])}


# -- a dated backend answering as the 2024-06-01 seed's examples ------------------------------------------------


@pytest.fixture
def seed_front(upstreams: Upstreams, tmp_path: Path) -> Iterator[tuple[Server, Upstream]]:  # noqa: F811
    """A front filegate over a fresh azure-legacy recording upstream in `--seed-examples` mode."""
    up = upstreams.recording("azure-legacy", api_version=SEED_VERSION, seed_examples=True)
    front_directory = tmp_path / "front"
    front_directory.mkdir()
    front = start_front(front_directory, front_config("azure-legacy", up.base_url, api_version=SEED_VERSION))
    yield front, up
    stop_filegate(front)


def test_seed_answers_reach_an_openai_client_in_its_words_with_bytes_filled(
    seed_front: tuple[Server, Upstream], tmp_path: Path
) -> None:
    front, up = seed_front
    client = sdk_client(front.base_url, "openai")
    path, data = write_training_file(tmp_path, lines=7)
    with path.open("rb") as handle:
        created = client.files.create(file=handle, purpose="fine-tune")
    # The upstream's create answer has no bytes and says notRunning: filegate counted the bytes it sent.
    upstream_create = creates(up)[-1]
    assert (upstream_create["status"], form_of(upstream_create)["purpose"]) == (201, "fine-tune")
    assert (created.bytes, created.status, created.filename) == (len(data), "uploaded", path.name)
    retrieved = client.files.retrieve(created.id)
    assert (retrieved.status, retrieved.bytes) == ("processed", len(data))
    assert client.files.content(created.id).read() == data


def test_a_2024_06_01_client_gets_201_and_a_location_on_filegate(
    seed_front: tuple[Server, Upstream], tmp_path: Path
) -> None:
    front, _ = seed_front
    client = sdk_client(front.base_url, "azure-dated", api_version=SEED_VERSION)
    path, data = write_training_file(tmp_path)
    with path.open("rb") as handle:
        raw = client.files.with_raw_response.create(file=handle, purpose="fine-tune")
    created = raw.parse()
    assert raw.status_code == 201
    # The upstream's own Location names its host; the client's must name filegate's public base URL.
    assert raw.headers.get("location") == f"{PUBLIC_BASE_URL}/openai/files/{created.id}", dict(raw.headers)
    assert (created.status, created.bytes) == ("pending", len(data))
    assert client.files.retrieve(created.id).status == "processed"


def test_a_client_before_2024_06_01_sees_the_old_words(seed_front: tuple[Server, Upstream], tmp_path: Path) -> None:
    front, _ = seed_front
    client = sdk_client(front.base_url, "azure-dated", api_version=OLD_WORDS_VERSION)
    path, data = write_training_file(tmp_path)
    with path.open("rb") as handle:
        created = client.files.create(file=handle, purpose="fine-tune")
    assert (created.status, created.bytes) == ("notRunning", len(data))
    assert client.files.retrieve(created.id).status == "succeeded"
    assert [file.status for file in client.files.list() if file.id == created.id] == ["succeeded"]


@pytest.mark.parametrize("setup", ["openai", "azure-dated"])
def test_filegate_pages_a_backend_without_paging(
    seed_front: tuple[Server, Upstream], setup: str, tmp_path: Path
) -> None:
    front, up = seed_front
    client = sdk_client(front.base_url, setup)
    made = []
    for number in range(5):
        path, _ = write_training_file(tmp_path, name=f"train-{number}.jsonl")
        with path.open("rb") as handle:
            made.append(client.files.create(file=handle, purpose="fine-tune").id)
    page = client.files.list(limit=2)
    sizes = [len(page.data)]
    seen = [file.id for file in page.data]
    while page.has_next_page():
        assert len(sizes) < 10, f"the pager does not end: pages so far {sizes}"
        page = page.get_next_page()
        sizes.append(len(page.data))
        seen += [file.id for file in page.data]
    assert sizes == [2, 2, 1]
    assert sorted(seen) == sorted(made)
    # Every pass over the backend asked for its whole list: no paging parameters went upstream.
    listings = [entry for entry in up.recorded() if entry["method"] == "GET" and entry["path"] == "/openai/files"]
    assert listings, "no list reached the upstream"
    for entry in listings:
        assert "limit=" not in entry["target"] and "after=" not in entry["target"], entry["target"]
    # And the SDK's own iteration over every page ends too.
    assert sorted(file.id for file in client.files.list(limit=2)) == sorted(made)


# -- expiry and purposes, checked by the backend before anything goes upstream -----------------------------------


@pytest.fixture(params=[False, True], ids=["wrapped-errors", "bare-errors"])
def v1_front(
    request: pytest.FixtureRequest, upstreams: Upstreams, tmp_path: Path  # noqa: F811
) -> Iterator[tuple[Server, Upstream]]:
    """A front filegate over an azure-v1 recording upstream, with no `default_expires_after_seconds`; the upstream
    writes its errors wrapped in `{"error": ...}` or bare, as the v1 seed lists the fields."""
    up = upstreams.recording("azure-v1", bare_errors=request.param)
    front_directory = tmp_path / "front"
    front_directory.mkdir()
    front = start_front(front_directory, front_config("azure-v1", up.base_url))
    yield front, up
    stop_filegate(front)


@pytest.mark.parametrize("dialect", DIALECTS, ids=DIALECT_IDS)
def test_a_v1_upstreams_400_for_a_missing_expiry_reaches_the_client_in_its_dialect(
    v1_front: tuple[Server, Upstream], dialect: Dialect, tmp_path: Path
) -> None:
    front, up = v1_front
    path, _ = write_training_file(tmp_path)
    answer = create_with_curl(front.base_url, dialect, path, file_first=False)
    assert_error(answer, dialect, 400, message_contains=["expires_after"])
    assert UPSTREAM_KEY not in repr(answer.headers) and UPSTREAM_KEY.encode() not in answer.body
    [entry] = creates(up)
    assert entry["status"] == 400
    assert "expires_after[seconds]" not in form_of(entry)


@pytest.mark.parametrize("setup", ["openai", "azure-dated", "azure-v1"])
def test_an_expiry_in_the_v1_range_passes(v1_front: tuple[Server, Upstream], setup: str, tmp_path: Path) -> None:
    front, up = v1_front
    client = sdk_client(front.base_url, setup)
    path, data = write_training_file(tmp_path)
    with path.open("rb") as handle:
        created = client.files.create(
            file=handle, purpose="fine-tune", expires_after={"anchor": "created_at", "seconds": V1_EXPIRES[0]}
        )
    assert created.bytes == len(data)
    [entry] = creates(up)
    assert entry["status"] == 200
    form = form_of(entry)
    assert (form["expires_after[anchor]"], form["expires_after[seconds]"]) == ("created_at", str(V1_EXPIRES[0]))
    stored = {file["id"]: file for file in up.stored_files()}
    assert stored[created.id]["expires_at"] is not None


@pytest.mark.parametrize("dialect", DIALECTS, ids=DIALECT_IDS)
def test_an_expiry_outside_the_v1_range_is_filegates_400_before_the_upstream(
    v1_front: tuple[Server, Upstream], dialect: Dialect, tmp_path: Path
) -> None:
    front, up = v1_front
    path, _ = write_training_file(tmp_path)
    answer = create_with_curl(
        front.base_url,
        dialect,
        path,
        file_first=False,
        extra_form=["expires_after[anchor]=created_at", "expires_after[seconds]=3600"],
    )
    assert_error(answer, dialect, 400, message_contains=[str(V1_EXPIRES[0]), str(V1_EXPIRES[1])])
    assert creates(up) == []


@pytest.mark.parametrize("dialect", DIALECTS, ids=DIALECT_IDS)
def test_a_dated_backend_refuses_an_expiry_before_the_upstream(
    upstreams: Upstreams, dialect: Dialect, tmp_path: Path  # noqa: F811
) -> None:
    up = upstreams.recording("azure-legacy", api_version=LEGACY_BACKEND_VERSION)
    config = front_config("azure-legacy", up.base_url, api_version=LEGACY_BACKEND_VERSION)
    front = start_front(tmp_path, config)
    try:
        path, _ = write_training_file(tmp_path)
        answer = create_with_curl(
            front.base_url,
            dialect,
            path,
            file_first=False,
            extra_form=["expires_after[anchor]=created_at", "expires_after[seconds]=86400"],
        )
        assert_error(answer, dialect, 400, message_contains=["keeps no expiry"])
        assert creates(up) == []
    finally:
        stop_filegate(front)


@pytest.mark.parametrize("dialect", DIALECTS, ids=DIALECT_IDS)
def test_a_purpose_the_backend_does_not_take_is_a_400_listing_its_purposes(
    upstreams: Upstreams, dialect: Dialect, tmp_path: Path  # noqa: F811
) -> None:
    up = upstreams.recording("azure-legacy", api_version=SEED_VERSION)
    front = start_front(tmp_path, front_config("azure-legacy", up.base_url, api_version=SEED_VERSION))
    try:
        path, _ = write_training_file(tmp_path)
        answer = create_with_curl(front.base_url, dialect, path, purpose="batch", file_first=False)
        error = assert_error(answer, dialect, 400, param="purpose", message_contains=["batch", "fine-tune"])
        assert "fine-tune-results" in error["message"], error
        assert "assistants" not in error["message"], error
        assert creates(up) == []
        # The same file with a purpose the backend takes goes through.
        assert created_id(create_with_curl(front.base_url, dialect, path, file_first=False), dialect)
    finally:
        stop_filegate(front)


# -- answer headers: the upstream's request id and Retry-After -------------------------------------------------


@pytest.fixture(scope="module", params=UPSTREAM_DIALECTS)
def recording_front(
    request: pytest.FixtureRequest,
    session_upstreams: Upstreams,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Server, Upstream]]:
    """A front filegate over a recording upstream of each backend dialect, shared by the module's header tests
    (an azure-v1 backend with a default expiry, so creates without one pass)."""
    kind = request.param
    version = LEGACY_BACKEND_VERSION if kind == "azure-legacy" else None
    expiry = V1_EXPIRES[0] if kind == "azure-v1" else None
    up = session_upstreams.recording(kind, api_version=version)
    config = front_config(kind, up.base_url, api_version=version, default_expires_after_seconds=expiry)
    front = start_front(tmp_path_factory.mktemp(f"front-{kind}"), config)
    yield front, up
    stop_filegate(front)


@pytest.mark.parametrize("dialect", DIALECTS, ids=DIALECT_IDS)
def test_the_upstreams_request_id_reaches_the_client_in_its_dialects_header(
    recording_front: tuple[Server, Upstream], dialect: Dialect
) -> None:
    front, up = recording_front
    up.clear()
    listed = curl("GET", dialect.url(front.base_url), headers=dialect.auth(DEMO_KEY))
    assert listed.status == 200, listed.describe()
    [entry] = up.recorded()
    assert listed.header(dialect.request_id_header) == entry["request_id"], listed.headers
    assert listed.header(dialect.other_request_id_header) is None, listed.headers

    up.clear()
    missing = curl("GET", dialect.url(front.base_url, f"/{UNKNOWN_ID}"), headers=dialect.auth(DEMO_KEY))
    assert_error(missing, dialect, 404)
    [entry] = up.recorded()
    assert entry["status"] == 404
    assert missing.header(dialect.request_id_header) == entry["request_id"], missing.headers


ORGANIZATION = "org-filegate-test"
PROJECT = "proj_filegate_test"


class HeaderUpstream(http.server.BaseHTTPRequestHandler):
    """An openai-dialect upstream for what the recording upstream never sends: a 429 with `Retry-After` on every
    JSON path, and content already gzip-encoded (`Content-Encoding: gzip`) on `/content` paths."""

    protocol_version = "HTTP/1.1"
    request_id = "req-upstream-0123456789"
    content = gzip.compress(b'{"line": "gzip me"}\n' * 500, mtime=0)
    received: list[dict[str, str]] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        HeaderUpstream.received.append({name.lower(): value for name, value in self.headers.items()})
        if self.path.endswith("/content"):
            self.answer(200, self.content, [("Content-Type", "application/jsonl"), ("Content-Encoding", "gzip")])
            return
        body = json.dumps(
            {"error": {"message": "Rate limit reached.", "type": "requests", "param": None,
                       "code": "rate_limit_exceeded"}}
        ).encode()
        self.answer(429, body, [("Content-Type", "application/json"), ("Retry-After", "7")])

    def answer(self, status: int, body: bytes, headers: list[tuple[str, str]]) -> None:
        self.send_response(status)
        for name, value in [*headers, ("x-request-id", self.request_id), ("Content-Length", str(len(body)))]:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        """Quiet: the test reads what was received, not a log."""


@pytest.fixture(scope="module")
def header_front(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A front filegate whose openai backend is a HeaderUpstream on a thread of this process."""
    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), HeaderUpstream)
    thread = threading.Thread(target=upstream.serve_forever, name="header-upstream", daemon=True)
    thread.start()
    config = front_config(
        "openai", f"http://127.0.0.1:{upstream.server_address[1]}", organization=ORGANIZATION, project=PROJECT
    )
    front = start_front(tmp_path_factory.mktemp("front-headers"), config)
    try:
        yield front
    finally:
        stop_filegate(front)
        upstream.shutdown()
        upstream.server_close()
        thread.join(timeout=5)


def assert_rate_limited(response: Response, dialect: Dialect) -> None:
    """DESIGN.md error table, tooManyRequests: 429, `requests` / `rate_limit_exceeded`, dated `tooManyRequests`."""
    error = assert_error(response, dialect, 429)
    assert error["message"] == "Rate limit reached.", response.describe()


@pytest.mark.parametrize("dialect", DIALECTS, ids=DIALECT_IDS)
def test_the_upstreams_retry_after_and_request_id_come_back_with_its_429(
    header_front: Server, dialect: Dialect
) -> None:
    answer = curl("GET", dialect.url(header_front.base_url), headers=dialect.auth(DEMO_KEY))
    assert_rate_limited(answer, dialect)
    assert answer.header("retry-after") == "7", answer.headers
    assert answer.header(dialect.request_id_header) == HeaderUpstream.request_id, answer.headers


@pytest.mark.parametrize("dialect", DIALECTS, ids=DIALECT_IDS)
def test_the_backends_key_organization_and_project_reach_the_upstream_and_the_clients_key_does_not(
    header_front: Server, dialect: Dialect
) -> None:
    HeaderUpstream.received.clear()
    curl("GET", dialect.url(header_front.base_url), headers=dialect.auth(DEMO_KEY))
    [sent] = HeaderUpstream.received
    assert sent["authorization"] == f"Bearer {UPSTREAM_KEY}", sent
    assert sent["openai-organization"] == ORGANIZATION, sent
    assert sent["openai-project"] == PROJECT, sent
    assert "api-key" not in sent and DEMO_KEY not in repr(sent), sent


@pytest.mark.parametrize("dialect", DIALECTS, ids=DIALECT_IDS)
def test_gzip_encoded_content_passes_undecoded(header_front: Server, dialect: Dialect) -> None:
    HeaderUpstream.received.clear()
    answer = curl(
        "GET",
        dialect.url(header_front.base_url, f"/{UNKNOWN_ID}/content"),
        headers=[*dialect.auth(DEMO_KEY), "Accept-Encoding: gzip"],
    )
    assert answer.status == 200, answer.describe()
    assert answer.body == HeaderUpstream.content
    assert answer.header("content-encoding") == "gzip", answer.headers
    assert answer.header("content-length") == str(len(HeaderUpstream.content)), answer.headers
    assert [sent.get("accept-encoding") for sent in HeaderUpstream.received] == ["gzip"]


@pytest.mark.parametrize("dialect", DIALECTS, ids=DIALECT_IDS)
def test_content_passes_byte_for_byte_when_the_client_accepts_gzip(
    recording_front: tuple[Server, Upstream], dialect: Dialect, tmp_path: Path
) -> None:
    front, up = recording_front
    data = gzip.compress(b'{"prompt": "x", "completion": "y"}\n' * 2000, mtime=0) + bytes(range(256))
    file_id = store_through(front, dialect, tmp_path / "already.jsonl.gz", data)
    up.clear()
    answer = curl(
        "GET",
        dialect.url(front.base_url, f"/{file_id}/content"),
        headers=[*dialect.auth(DEMO_KEY), "Accept-Encoding: gzip"],
    )
    assert answer.status == 200, answer.describe()
    assert answer.body == data
    assert answer.header("content-encoding") is None, answer.headers
    [entry] = up.recorded()
    assert header_values(entry, "accept-encoding") == ["gzip"]
    delete_through(front, dialect, file_id)


@pytest.mark.parametrize("dialect", DIALECTS, ids=DIALECT_IDS)
def test_a_range_of_the_content_comes_back_as_a_206_of_just_those_bytes(
    recording_front: tuple[Server, Upstream], dialect: Dialect, tmp_path: Path
) -> None:
    front, up = recording_front
    data = os.urandom(100_000)
    file_id = store_through(front, dialect, tmp_path / "ranged.bin", data)
    content_url = dialect.url(front.base_url, f"/{file_id}/content")
    up.clear()
    part = curl("GET", content_url, headers=[*dialect.auth(DEMO_KEY), "Range: bytes=1000-1999"])
    assert part.status == 206, part.describe()
    assert part.header("content-range") == f"bytes 1000-1999/{len(data)}", part.headers
    assert part.header("content-length") == "1000", part.headers
    assert part.body == data[1000:2000]
    [entry] = up.recorded()
    assert header_values(entry, "range") == ["bytes=1000-1999"]

    raw = sdk_client(front.base_url, dialect.name).files.with_raw_response.content(
        file_id, extra_headers={"Range": "bytes=-10"}
    )
    assert raw.http_response.status_code == 206
    assert raw.http_response.content == data[-10:]

    past = curl("GET", content_url, headers=[*dialect.auth(DEMO_KEY), f"Range: bytes={len(data)}-"])
    assert_error(past, dialect, 416)
    assert past.header("content-range") == f"bytes */{len(data)}", past.headers

    whole = curl("GET", content_url, headers=dialect.auth(DEMO_KEY))
    assert (whole.status, whole.header("content-range"), whole.body) == (200, None, data), whole.describe()
    delete_through(front, dialect, file_id)


def store_through(front: Server, dialect: Dialect, path: Path, data: bytes) -> str:
    """Writes `data` to `path` and creates it through `front` with curl, purpose first; the new file's id."""
    path.write_bytes(data)
    return created_id(create_with_curl(front.base_url, dialect, path, file_first=False), dialect)


def delete_through(front: Server, dialect: Dialect, file_id: str) -> None:
    answer = curl("DELETE", dialect.url(front.base_url, f"/{file_id}"), headers=dialect.auth(DEMO_KEY))
    assert answer.status in (200, 204), answer.describe()
