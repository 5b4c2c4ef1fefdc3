"""The test upstreams themselves (Tests/upstreams/), driven without filegate: by the openai SDK clients and curl.

What filegate's forwarding tests will lean on is shown here first: each dialect's recording upstream takes the
SDK's whole lifecycle and is stricter than a back filegate where the seeds are (key form, api-version, required
expires_after and its Azure range, no chunked bodies), its 2024-06-01 seed-examples mode answers as the seed does,
it records requests as received; each fault shows through curl as its exit code; the CONNECT proxy tunnels to
127.0.0.1 only; the https upstream verifies with its CA and not with another.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import openai
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from support import (  # noqa: E402
    AZURE_DATED,
    AZURE_V1,
    OPENAI,
    Dialect,
    Response,
    curl,
    environment_without_proxies,
    eventually,
    multipart_body,
    write_training_file,
)
from upstreams.fixtures import (  # noqa: E402, F401 - fixtures are used by name
    UPSTREAM_DIALECTS,
    UPSTREAM_KEY,
    Upstream,
    Upstreams,
    closed_port,
    connect_proxy,
    header_values,
    tls_material,
    unanswered_port,
    upstreams,
)

WRONG_UPSTREAM_KEY = "up-wrong-99999999999999999999"
# The client-side view of each upstream dialect (support.py's Dialect: root, query, error keys...).
CLIENT_DIALECT = {"openai": OPENAI, "azure-v1": AZURE_V1, "azure-legacy": AZURE_DATED}
V1_EXPIRY = {"anchor": "created_at", "seconds": 259_200}
# The 2024-06-01 upload example's fields, exactly (no bytes).
SEED_CREATE_KEYS = {"purpose", "filename", "id", "status", "created_at", "object"}
FAULT_MAX_TIME = 2


def sdk_client(upstream: Upstream, dialect: str, api_version: str = "2024-06-01", **options: object) -> openai.OpenAI:
    options.setdefault("max_retries", 0)
    options.setdefault("timeout", 30.0)
    options.setdefault("api_key", UPSTREAM_KEY)
    if dialect == "openai":
        return openai.OpenAI(base_url=f"{upstream.base_url}/v1", **options)
    if dialect == "azure-v1":
        return openai.OpenAI(base_url=f"{upstream.base_url}/openai/v1", **options)
    return openai.AzureOpenAI(azure_endpoint=upstream.base_url, api_version=api_version, **options)


def create_options(dialect: str) -> dict:
    return {"expires_after": V1_EXPIRY} if dialect == "azure-v1" else {}


def create(client: openai.OpenAI, path: Path, purpose: str = "fine-tune", **options: object):
    with path.open("rb") as handle:
        return client.files.create(file=handle, purpose=purpose, **options)


def assert_keyed(entry: dict, dialect: str) -> None:
    """The upstream saw its key in the dialect's form."""
    if dialect == "azure-legacy":
        assert header_values(entry, "api-key") == [UPSTREAM_KEY], entry
    else:
        assert header_values(entry, "authorization") == [f"Bearer {UPSTREAM_KEY}"], entry


def error_object(response: Response, dialect: Dialect, status: int) -> dict:
    assert response.status == status, response.describe()
    body = response.json()
    assert isinstance(body, dict) and list(body) == ["error"], response.describe()
    assert set(body["error"]) == set(dialect.error_keys), response.describe()
    return body["error"]


@dataclass
class CurlRun:
    """curl's exit code (faults are expected to fail), the last status it saw, its head and body."""

    exit_code: int
    status: int
    headers: dict[str, list[str]]
    body: bytes
    stderr: str


def curl_run(url: str, *extra: str, max_time: float = FAULT_MAX_TIME, env: dict | None = None) -> CurlRun:
    """Runs curl; without `env`, proxies are off (--noproxy '*'), with it curl takes its proxy variables (or -x)."""
    with tempfile.TemporaryDirectory(prefix="fg-fault-") as scratch:
        head, body = Path(scratch) / "head", Path(scratch) / "body"
        command = ["curl", "-sS", "--max-time", str(max_time), "-D", str(head), "-o", str(body),
                   "-w", "%{http_code}", *extra, url]
        if env is None:
            command[1:1] = ["--noproxy", "*"]
        done = subprocess.run(command, capture_output=True, text=True, timeout=max_time + 30,
                              env=env or environment_without_proxies())
        headers: dict[str, list[str]] = {}
        for line in head.read_text(errors="replace").splitlines() if head.exists() else []:
            name, colon, value = line.partition(":")
            if colon and not line.startswith("HTTP/"):
                headers.setdefault(name.strip().lower(), []).append(value.strip())
        data = body.read_bytes() if body.exists() else b""
    return CurlRun(done.returncode, int(done.stdout or 0), headers, data, done.stderr)


# -- recording upstream: the SDK lifecycle in each dialect ---------------------------------------------------------


@pytest.mark.parametrize("dialect", UPSTREAM_DIALECTS)
def test_sdk_lifecycle(upstreams: Upstreams, dialect: str, tmp_path: Path) -> None:
    upstream = upstreams.recording(dialect)
    client = sdk_client(upstream, dialect)
    uploads = [write_training_file(tmp_path, f"train-{n}.jsonl", lines=n + 2) for n in range(3)]

    created = [create(client, path, **create_options(dialect)) for path, _ in uploads]
    expected_create_status = {"openai": "processed", "azure-v1": "pending", "azure-legacy": "pending"}[dialect]
    for file, (path, data) in zip(created, uploads):
        assert file.id.startswith("file-")
        assert (file.object, file.filename, file.purpose, file.bytes, file.status) == (
            "file", path.name, "fine-tune", len(data), expected_create_status
        )
        if dialect == "azure-v1":
            assert file.expires_at == file.created_at + V1_EXPIRY["seconds"]
    assert {(item["bytes"], item["sha256"]) for item in upstream.stored_files()} == {
        (len(data), hashlib.sha256(data).hexdigest()) for _, data in uploads
    }

    if dialect == "azure-legacy":
        page = client.files.list()
        assert [file.id for file in page.data] == [file.id for file in reversed(created)]
        # No has_more: the SDK would ask again with after=<last id> and get the same list; filegate must page.
        assert page.has_more is None and page.has_next_page()
    else:
        first = client.files.list(limit=2)
        assert ([file.id for file in first.data], first.has_more) == ([created[2].id, created[1].id], True)
        assert [file.id for file in client.files.list(limit=2)] == [file.id for file in reversed(created)]
        ascending = client.files.list(order="asc", limit=10)
        assert [file.id for file in ascending.data] == [file.id for file in created]

    for file, (path, data) in zip(created, uploads):
        retrieved = client.files.retrieve(file.id)
        assert (retrieved.id, retrieved.bytes, retrieved.status) == (file.id, len(data), "processed")
        assert client.files.content(file.id).read() == data

    deleted = client.files.delete(created[0].id)
    if dialect == "azure-legacy":
        assert deleted == ""  # 204 before 2024-10-01
    else:
        assert (deleted.id, deleted.deleted) == (created[0].id, True)
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(created[0].id)

    recorded = upstream.recorded()
    # 3 creates; lists: 1 (legacy) or first page + a 2-page pager + asc; 3 x (retrieve, content); delete, retrieve.
    assert len(recorded) == 3 + (1 if dialect == "azure-legacy" else 4) + 3 * 2 + 2
    for entry in recorded:
        assert_keyed(entry, dialect)
        assert entry["body_complete"] and not entry["chunked"], entry
        if dialect == "azure-legacy":
            assert "api-version=2024-06-01" in entry["target"], entry
    creates = [entry for entry in recorded if entry["method"] == "POST"]
    assert [entry["status"] for entry in creates] == [201 if dialect == "azure-legacy" else 200] * 3
    assert all(entry["body_bytes"] == entry["declared_length"] for entry in creates)


def test_v1_accepts_api_key_header(upstreams: Upstreams, tmp_path: Path) -> None:
    """Azure v1 takes `api-key` alone, or beside a Bearer that carries the same key."""
    upstream = upstreams.recording("azure-v1")
    response = curl("GET", AZURE_V1.url(upstream.base_url), headers=[f"api-key: {UPSTREAM_KEY}"])
    assert response.status == 200, response.describe()
    both = sdk_client(upstream, "azure-v1", default_headers={"api-key": UPSTREAM_KEY})
    path, data = write_training_file(tmp_path)
    assert create(both, path, expires_after=V1_EXPIRY).bytes == len(data)


@pytest.mark.parametrize(
    ("dialect", "headers"),
    [
        ("openai", [f"Authorization: Bearer {WRONG_UPSTREAM_KEY}"]),
        ("openai", [f"api-key: {UPSTREAM_KEY}"]),
        ("openai", []),
        ("azure-v1", [f"api-key: {WRONG_UPSTREAM_KEY}"]),
        ("azure-v1", [f"api-key: {UPSTREAM_KEY}", f"Authorization: Bearer {WRONG_UPSTREAM_KEY}"]),
        ("azure-v1", [f"api-key: {UPSTREAM_KEY}", f"api-key: {UPSTREAM_KEY}"]),
        ("azure-legacy", [f"api-key: {WRONG_UPSTREAM_KEY}"]),
        ("azure-legacy", [f"Authorization: Bearer {UPSTREAM_KEY}"]),
    ],
    ids=["openai-wrong", "openai-api-key", "openai-none", "v1-wrong", "v1-wrong-beside", "v1-repeated",
         "legacy-wrong", "legacy-bearer"],
)
def test_key_only_in_dialect_form(upstreams: Upstreams, dialect: str, headers: list[str]) -> None:
    upstream = upstreams.recording(dialect)
    client_dialect = CLIENT_DIALECT[dialect]
    response = curl("GET", client_dialect.url(upstream.base_url), headers=headers)
    error = error_object(response, client_dialect, 401)
    assert error["code"] == ("unauthorized" if dialect == "azure-legacy" else "invalid_api_key"), error
    assert response.header(client_dialect.request_id_header), response.describe()


def test_refused_upload_is_read_then_answered(upstreams: Upstreams, tmp_path: Path) -> None:
    """A wrong key on a 5 MiB create sent without Expect: the body is read and dropped, then the 401 arrives."""
    upstream = upstreams.recording("azure-legacy")
    path = tmp_path / "upload.jsonl"
    path.write_bytes(b"x" * (5 << 20))
    response = curl("POST", AZURE_DATED.url(upstream.base_url), headers=[f"api-key: {WRONG_UPSTREAM_KEY}", "Expect:"],
                    form=["purpose=fine-tune", f"file=@{path}"])
    error_object(response, AZURE_DATED, 401)
    (entry,) = upstream.recorded()
    assert (entry["status"], entry["body_complete"], entry["body_bytes"]) == (401, True, entry["declared_length"])
    assert upstream.stored_files() == []


@pytest.mark.parametrize("dialect", UPSTREAM_DIALECTS)
def test_request_id_is_recorded_and_answered(upstreams: Upstreams, dialect: str) -> None:
    upstream = upstreams.recording(dialect)
    client_dialect = CLIENT_DIALECT[dialect]
    response = curl("GET", client_dialect.url(upstream.base_url), headers=client_dialect.auth(UPSTREAM_KEY))
    assert response.status == 200, response.describe()
    assert response.header(client_dialect.other_request_id_header) is None
    (entry,) = upstream.recorded()
    assert response.header(client_dialect.request_id_header) == entry["request_id"]


# -- recording upstream: stricter than a back filegate --------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "Missing required query parameter api-version"),
        ("api-version=2024-13-01", "is not a dated version"),
        ("api-version=2022-11-30", "is not a dated version"),
        ("api-version=2024-10-21", "this upstream speaks api-version 2024-06-01"),
        ("api-version=2024-06-01&api-version=2024-06-01", "more than once"),
    ],
    ids=["missing", "no-such-date", "too-early", "other-version", "twice"],
)
def test_legacy_requires_its_api_version(upstreams: Upstreams, query: str, message: str) -> None:
    upstream = upstreams.recording("azure-legacy", api_version="2024-06-01")
    response = curl("GET", AZURE_DATED.url(upstream.base_url, query=query), headers=[f"api-key: {UPSTREAM_KEY}"])
    error = error_object(response, AZURE_DATED, 400)
    assert (error["code"], error["target"]) == ("invalidPayload", "api-version"), error
    assert message in error["message"], error


@pytest.mark.parametrize(("version", "status"), [("v1", 200), ("preview", 200), ("2024-06-01", 400)])
def test_v1_api_version_values(upstreams: Upstreams, version: str, status: int) -> None:
    upstream = upstreams.recording("azure-v1")
    response = curl("GET", AZURE_V1.url(upstream.base_url, query=f"api-version={version}"),
                    headers=[f"api-key: {UPSTREAM_KEY}"])
    assert response.status == status, response.describe()


@pytest.mark.parametrize("bare_errors", [False, True], ids=["wrapped", "bare"])
def test_v1_requires_expires_after_in_range(upstreams: Upstreams, bare_errors: bool, tmp_path: Path) -> None:
    upstream = upstreams.recording("azure-v1", bare_errors=bare_errors)
    client = sdk_client(upstream, "azure-v1")
    path, _ = write_training_file(tmp_path)
    refusals = [
        ({}, "expires_after is required"),
        ({"expires_after": {"anchor": "created_at", "seconds": 3600}}, "259200..2592000"),
        ({"expires_after": {"anchor": "created_at", "seconds": 259_199}}, "259200..2592000"),
        ({"expires_after": {"anchor": "created_at", "seconds": 2_592_001}}, "259200..2592000"),
    ]
    for options, message in refusals:
        with pytest.raises(openai.BadRequestError) as raised:
            create(client, path, **options)
        body = raised.value.response.json()
        error = body if bare_errors else body["error"]
        assert set(error) == set(AZURE_V1.error_keys), body
        assert (error["type"], message in error["message"]) == ("invalid_request_error", True), body
    for seconds in (259_200, 2_592_000):
        file = create(client, path, expires_after={"anchor": "created_at", "seconds": seconds})
        assert file.expires_at == file.created_at + seconds
    assert len(upstream.stored_files()) == 2
    form = [entry["form"] for entry in upstream.recorded() if entry["status"] == 200][0]
    assert [name for name, _ in form] == ["purpose", "expires_after[anchor]", "expires_after[seconds]", "file"]


def test_openai_expiry_range_and_purposes(upstreams: Upstreams, tmp_path: Path) -> None:
    upstream = upstreams.recording("openai")
    client = sdk_client(upstream, "openai")
    path, _ = write_training_file(tmp_path)
    with pytest.raises(openai.BadRequestError) as raised:
        create(client, path, expires_after={"anchor": "created_at", "seconds": 3599})
    assert "3600..2592000" in raised.value.response.json()["error"]["message"]
    with pytest.raises(openai.BadRequestError) as raised:
        create(client, path, purpose="fine-tune-results")
    assert raised.value.response.json()["error"]["param"] == "purpose"
    assert create(client, path, purpose="user_data").purpose == "user_data"


def test_legacy_refuses_fields_it_does_not_take(upstreams: Upstreams, tmp_path: Path) -> None:
    """The dated API has no expires_after: a create carrying it is a 400, so a forwarded expiry cannot hide."""
    upstream = upstreams.recording("azure-legacy")
    path, _ = write_training_file(tmp_path)
    response = curl("POST", AZURE_DATED.url(upstream.base_url), headers=[f"api-key: {UPSTREAM_KEY}"],
                    form=["purpose=fine-tune", "expires_after[seconds]=3600", "expires_after[anchor]=created_at",
                          f"file=@{path}"])
    error = error_object(response, AZURE_DATED, 400)
    assert error["target"] == "expires_after[seconds]", error
    assert upstream.stored_files() == []


@pytest.mark.parametrize(
    ("version", "create_status", "read_status", "delete_status", "takes_batch"),
    [
        ("2023-05-15", "notRunning", "succeeded", 204, False),
        ("2024-06-01", "pending", "processed", 204, False),
        ("2024-08-01-preview", "pending", "processed", 204, True),
        ("2024-10-21", "pending", "processed", 200, True),
    ],
)
def test_legacy_follows_version_table(
    upstreams: Upstreams, version: str, create_status: str, read_status: str, delete_status: int,
    takes_batch: bool, tmp_path: Path,
) -> None:
    upstream = upstreams.recording("azure-legacy", api_version=version)
    query = f"api-version={version}"
    auth = [f"api-key: {UPSTREAM_KEY}"]
    path, data = write_training_file(tmp_path)
    created = curl("POST", AZURE_DATED.url(upstream.base_url, query=query), headers=auth,
                   form=[f"file=@{path}", "purpose=fine-tune"])
    assert created.status == 201, created.describe()
    body = created.json()
    assert (body["status"], body["bytes"]) == (create_status, len(data))
    retrieved = curl("GET", AZURE_DATED.url(upstream.base_url, f"/{body['id']}", query=query), headers=auth)
    assert retrieved.json()["status"] == read_status
    batch = curl("POST", AZURE_DATED.url(upstream.base_url, query=query), headers=auth,
                 form=["purpose=batch", f"file=@{path}"])
    assert batch.status == (201 if takes_batch else 400), batch.describe()
    deleted = curl("DELETE", AZURE_DATED.url(upstream.base_url, f"/{body['id']}", query=query), headers=auth)
    assert deleted.status == delete_status, deleted.describe()
    assert deleted.body == (b"" if delete_status == 204 else json.dumps(
        {"id": body["id"], "object": "file", "deleted": True}).encode())


# -- recording upstream: the 2024-06-01 seed's examples -------------------------------------------------------------


@pytest.mark.parametrize("version", ["2024-06-01", "2024-10-21"])
def test_seed_examples_mode(upstreams: Upstreams, version: str, tmp_path: Path) -> None:
    upstream = upstreams.recording("azure-legacy", api_version=version, seed_examples=True)
    client = sdk_client(upstream, "azure-legacy", api_version=version)
    query = f"api-version={version}"
    auth = [f"api-key: {UPSTREAM_KEY}"]
    path, data = write_training_file(tmp_path)

    raw = curl("POST", AZURE_DATED.url(upstream.base_url, query=query), headers=auth,
               form=["purpose=fine-tune", f"file=@{path}"])
    assert raw.status == 201, raw.describe()
    body = raw.json()
    assert set(body) == SEED_CREATE_KEYS, body
    assert (body["status"], body["object"], body["filename"]) == ("notRunning", "file", path.name)
    assert raw.header("location") == f"{upstream.base_url}/openai/files/{body['id']}"

    file = create(client, path)
    assert (file.status, file.bytes) == ("notRunning", None)
    retrieved = client.files.retrieve(file.id)
    assert (retrieved.status, retrieved.bytes) == ("succeeded", len(data))

    listed = curl("GET", AZURE_DATED.url(upstream.base_url, query=f"{query}&limit=1&after={file.id}"), headers=auth)
    page = listed.json()
    assert set(page) == {"data", "object"}, page
    assert [item["id"] for item in page["data"]] == [file.id, body["id"]]
    assert {item["status"] for item in page["data"]} == {"succeeded"}

    deleted = client.files.delete(file.id)
    if version < "2024-10-01":
        assert deleted == ""
    else:
        assert (deleted.id, deleted.deleted) == (file.id, True)


# -- recording upstream: what it records, how it takes bodies -------------------------------------------------------


def test_records_headers_as_received(upstreams: Upstreams, tmp_path: Path) -> None:
    upstream = upstreams.recording("openai")
    sent = [
        f"Authorization: Bearer {UPSTREAM_KEY}",
        "Cookie: session=abc",
        "X-Forwarded-For: 10.0.0.1",
        "Connection: keep-alive, X-Hop",
        "X-Hop: 1",
        "x-filegate-backend: local",
        "X-Mixed-Case: Value With Spaces",
    ]
    path, data = write_training_file(tmp_path)
    response = curl("POST", OPENAI.url(upstream.base_url), headers=sent, form=["purpose=fine-tune", f"file=@{path}"])
    assert response.status == 200, response.describe()

    (entry,) = upstream.recorded()
    assert (entry["method"], entry["target"], entry["version"]) == ("POST", "/v1/files", "HTTP/1.1")
    received = [f"{name}: {value}" for name, value in entry["headers"]]
    assert [line for line in received if line in sent] == sent
    assert header_values(entry, "content-type")[0].startswith("multipart/form-data; boundary=")
    assert entry["declared_length"] == entry["body_bytes"] == int(header_values(entry, "content-length")[0])
    assert (entry["chunked"], entry["body_complete"], entry["status"]) == (False, True, 200)
    assert entry["form"] == [["purpose", "fine-tune"], ["file", {
        "filename": path.name, "content_type": "application/octet-stream", "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest()}]]

    upstream.clear()
    assert upstream.recorded() == []
    assert len(upstream.stored_files()) == 1
    assert upstream.recorded() == [], "the recording endpoints record nothing themselves"


@pytest.mark.parametrize("dialect", UPSTREAM_DIALECTS)
def test_refuses_chunked_and_unsized_bodies(upstreams: Upstreams, dialect: str, tmp_path: Path) -> None:
    upstream = upstreams.recording(dialect)
    client_dialect = CLIENT_DIALECT[dialect]
    auth = client_dialect.auth(UPSTREAM_KEY)
    path, _ = write_training_file(tmp_path)
    fields = ["purpose=fine-tune", f"file=@{path}"]
    chunked = curl("POST", client_dialect.url(upstream.base_url), headers=[*auth, "Transfer-Encoding: chunked"],
                   form=fields)
    error_object(chunked, client_dialect, 411)
    unsized = curl("POST", client_dialect.url(upstream.base_url),
                   headers=[*auth, "Content-Type: multipart/form-data; boundary=x"])
    error_object(unsized, client_dialect, 411)

    first, second = upstream.recorded()
    assert (first["chunked"], first["declared_length"], first["status"]) == (True, None, 411)
    assert first["body_bytes"] > 0 and first["body_complete"]
    assert (second["chunked"], second["declared_length"], second["status"]) == (False, None, 411)
    assert upstream.stored_files() == []


@pytest.mark.parametrize("file_first", [True, False], ids=["file-first", "file-last"])
def test_large_upload_streams_in_either_order(upstreams: Upstreams, file_first: bool, tmp_path: Path) -> None:
    """64 MiB through multipart and back; the server's peak RSS stays far below the file size."""
    upstream = upstreams.recording("openai")
    path = tmp_path / "big.bin"
    digest = hashlib.sha256()
    with path.open("wb") as handle:
        for _ in range(64):
            block = os.urandom(1 << 20)
            digest.update(block)
            handle.write(block)
    fields = [f"file=@{path}", "purpose=batch"] if file_first else ["purpose=batch", f"file=@{path}"]
    created = curl("POST", OPENAI.url(upstream.base_url), headers=[f"Authorization: Bearer {UPSTREAM_KEY}"],
                   form=fields)
    # curl sends Expect: 100-continue above 1 MiB; the upstream answers it rather than making curl wait.
    assert created.statuses == [100, 200], created.describe()
    file_id = created.json()["id"]
    (stored,) = upstream.stored_files()
    assert (stored["bytes"], stored["sha256"]) == (64 << 20, digest.hexdigest())

    run = curl_run(f"{upstream.base_url}/v1/files/{file_id}/content", "-H",
                   f"Authorization: Bearer {UPSTREAM_KEY}", max_time=60)
    assert (run.exit_code, run.status, run.headers["content-type"]) == (0, 200, ["application/octet-stream"])
    assert hashlib.sha256(run.body).hexdigest() == digest.hexdigest()

    peak_kib = peak_rss_kib(upstream)
    assert peak_kib < 48 * 1024, f"recording upstream peaked at {peak_kib} KiB for a 64 MiB file"


@pytest.mark.parametrize(
    ("range_header", "status", "content_range", "part"),
    [
        ("bytes=10-19", 206, "bytes 10-19/1000", slice(10, 20)),
        ("bytes=990-5000", 206, "bytes 990-999/1000", slice(990, 1000)),
        ("bytes=995-", 206, "bytes 995-999/1000", slice(995, 1000)),
        ("bytes=-3", 206, "bytes 997-999/1000", slice(997, 1000)),
        ("bytes=1000-", 416, "bytes */1000", None),
        ("bytes=-0", 416, "bytes */1000", None),
        ("bytes=0-1,5-6", 200, None, slice(0, 1000)),
        ("bytes=20-10", 200, None, slice(0, 1000)),
        ("items=0-1", 200, None, slice(0, 1000)),
    ],
)
def test_content_honours_one_byte_range(
    upstreams: Upstreams, range_header: str, status: int, content_range: str | None, part: slice | None,
    tmp_path: Path,
) -> None:
    """One `bytes=` range as a file server answers it; any other `Range` is ignored."""
    upstream = upstreams.recording("openai")
    path = tmp_path / "thousand.bin"
    data = os.urandom(1000)
    path.write_bytes(data)
    key = f"Authorization: Bearer {UPSTREAM_KEY}"
    created = curl("POST", OPENAI.url(upstream.base_url), headers=[key], form=["purpose=batch", f"file=@{path}"])
    file_id = created.json()["id"]
    run = curl_run(f"{upstream.base_url}/v1/files/{file_id}/content", "-H", key, "-H", f"Range: {range_header}")
    assert (run.exit_code, run.status) == (0, status), run
    assert run.headers.get("content-range") == ([content_range] if content_range else None), run.headers
    if part is not None:
        assert run.body == data[part]


def peak_rss_kib(upstream: Upstream) -> int:
    for line in Path(f"/proc/{upstream.process.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM in /proc/PID/status")


def test_multipart_with_sdk_shaped_body_split_across_writes(upstreams: Upstreams) -> None:
    """A body whose delimiter straddles socket writes still parses: bytes sent one small write at a time."""
    upstream = upstreams.recording("openai")
    payload = b"--boundary-lookalike\r\n" * 500
    body = multipart_body("b0und4ry", [("purpose", "fine-tune")], "x.jsonl", payload)
    path = Path(tempfile.mkdtemp(prefix="fg-body-")) / "body"
    path.write_bytes(body)
    response = curl("POST", OPENAI.url(upstream.base_url), data_file=path,
                    headers=[f"Authorization: Bearer {UPSTREAM_KEY}",
                             "Content-Type: multipart/form-data; boundary=b0und4ry"],
                    extra=["--limit-rate", "20K"])
    assert response.status == 200, response.describe()
    assert upstream.stored_files()[0]["sha256"] == hashlib.sha256(payload).hexdigest()


def test_truncated_multipart_is_refused(upstreams: Upstreams, tmp_path: Path) -> None:
    upstream = upstreams.recording("openai")
    body = multipart_body("b0und4ry", [("purpose", "fine-tune")], "x.jsonl", b"data")
    path = tmp_path / "body"
    path.write_bytes(body[:-20])
    response = curl("POST", OPENAI.url(upstream.base_url), data_file=path,
                    headers=[f"Authorization: Bearer {UPSTREAM_KEY}",
                             "Content-Type: multipart/form-data; boundary=b0und4ry"])
    assert error_object(response, OPENAI, 400)["message"] == "multipart body ended before its closing delimiter"
    assert upstream.stored_files() == []


# -- faulty upstream, seen through curl -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "path", "exit_code", "status"),
    [
        ("reset-mid-body", "/v1/files/file-x/content", 56, 200),
        ("short-body", "/v1/files/file-x/content", 18, 200),
        ("stall", "/v1/files", 28, 0),
        ("stall-after-head", "/v1/files/file-x/content", 28, 200),
        ("garbage", "/v1/files", 0, 200),
        ("redirect", "/v1/files", 0, 302),
        ("html-503", "/v1/files", 0, 503),
    ],
)
def test_fault_through_curl(upstreams: Upstreams, fault: str, path: str, exit_code: int, status: int) -> None:
    upstream = upstreams.faulty(fault, length=1_000_000, sent=4096, redirect_to="http://127.0.0.1:9/elsewhere")
    run = curl_run(upstream.base_url + path)
    assert (run.exit_code, run.status) == (exit_code, status), run.stderr
    if fault == "reset-mid-body":
        assert run.headers["content-length"] == ["1000000"] and len(run.body) <= 4096
    if fault == "short-body":
        assert (run.headers["content-length"], len(run.body)) == (["1000"], 10)
    if fault == "garbage":
        assert run.headers["content-type"] == ["application/json"]
        with pytest.raises(ValueError):
            json.loads(run.body)
    if fault == "redirect":
        assert run.headers["location"] == ["http://127.0.0.1:9/elsewhere"]
    if fault == "html-503":
        assert run.headers["content-type"] == ["text/html"] and run.body.startswith(b"<html>")
    (entry,) = upstream.recorded()
    assert (entry["fault"], entry["path"]) == (fault, path)


def test_refused_connection_through_curl() -> None:
    run = curl_run(f"http://127.0.0.1:{closed_port()}/v1/files")
    assert (run.exit_code, run.status) == (7, 0), run.stderr


def test_connect_timeout_through_curl() -> None:
    with unanswered_port() as port:
        run = curl_run(f"http://127.0.0.1:{port}/v1/files", "--connect-timeout", "1")
    assert (run.exit_code, run.status) == (28, 0), run.stderr
    assert "Failed to connect" in run.stderr, run.stderr


def test_fault_chosen_by_path(upstreams: Upstreams) -> None:
    upstream = upstreams.faulty()
    assert curl_run(f"{upstream.base_url}/fault/garbage/v1/files").body == b"this is { not JSON <html>"
    assert curl_run(f"{upstream.base_url}/fault/html-503/openai/files").status == 503
    assert curl_run(f"{upstream.base_url}/fault/short-body/v1/files").exit_code == 18
    assert curl_run(f"{upstream.base_url}/v1/files").status == 400
    assert [entry["fault"] for entry in upstream.recorded()] == ["garbage", "html-503", "short-body", None]


def test_gather_answers_a_wave_once_it_is_full(upstreams: Upstreams) -> None:
    upstream = upstreams.faulty("gather", gather=3)
    url = f"{upstream.base_url}/v1/files/file-x"

    def two_held() -> None:
        assert len(upstream.recorded()) == 2

    with ThreadPoolExecutor(3) as pool:
        held = [pool.submit(curl_run, url) for _ in range(2)]
        eventually(two_held)
        time.sleep(0.3)
        assert not any(run.done() for run in held)
        runs = [pool.submit(curl_run, url).result(), *(run.result() for run in held)]
    assert [(run.exit_code, run.status) for run in runs] == [(0, 200)] * 3
    assert len({entry["connection"] for entry in upstream.recorded()}) == 3


def test_slow_reader_holds_back_an_upload(upstreams: Upstreams, tmp_path: Path) -> None:
    rate = 512 * 1024
    upstream = upstreams.faulty("slow-reader", read_rate=rate)
    path = tmp_path / "upload.bin"
    path.write_bytes(os.urandom(2 << 20))
    started = time.monotonic()
    run = curl_run(f"{upstream.base_url}/v1/files", "--data-binary", f"@{path}", "-H", "Expect:", max_time=30)
    elapsed = time.monotonic() - started
    assert (run.exit_code, run.status, json.loads(run.body)["bytes"]) == (0, 200, 2 << 20), run.stderr
    # Socket and stream buffers can hide well under 1 MiB; the rest is read at `rate`.
    assert elapsed >= (1 << 20) / rate, elapsed
    (entry,) = upstream.recorded()
    assert (entry["body_bytes"], entry["body_complete"]) == (2 << 20, True)


def test_slow_reader_sees_a_client_that_goes_away(upstreams: Upstreams, tmp_path: Path) -> None:
    """The peer's close shows once what its kernel still held has been read (a few MiB at most on loopback)."""
    upstream = upstreams.faulty("slow-reader", read_rate=4 << 20)
    path = tmp_path / "upload.bin"
    path.write_bytes(os.urandom(64 << 20))
    run = curl_run(f"{upstream.base_url}/v1/files", "--data-binary", f"@{path}", "-H", "Expect:", max_time=1)
    assert run.exit_code == 28, run.stderr

    def gone() -> None:
        (entry,) = upstream.recorded()
        assert (entry.get("peer_gone"), entry["body_complete"]) == (True, False), entry
        assert 0 < entry["body_bytes"] < 64 << 20, entry

    eventually(gone, timeout=15)


# -- CONNECT proxy and TLS ------------------------------------------------------------------------------------------


def test_tls_verifies_with_its_ca_only(upstreams: Upstreams, tls_material) -> None:
    upstream = upstreams.recording("openai", tls=tls_material)
    assert upstream.base_url.startswith("https://127.0.0.1:")
    auth = ["-H", f"Authorization: Bearer {UPSTREAM_KEY}"]
    good = curl_run(f"{upstream.base_url}/v1/files", "--cacert", str(tls_material.ca_cert), *auth)
    assert (good.exit_code, good.status) == (0, 200), good.stderr
    by_name = curl_run(f"https://localhost:{upstream.port}/v1/files", "--cacert", str(tls_material.ca_cert), *auth)
    assert (by_name.exit_code, by_name.status) == (0, 200), by_name.stderr
    wrong = curl_run(f"{upstream.base_url}/v1/files", "--cacert", str(tls_material.wrong_ca_cert), *auth)
    assert wrong.exit_code == 60, wrong.stderr
    system = curl_run(f"{upstream.base_url}/v1/files", *auth)
    assert system.exit_code == 60, system.stderr
    assert len(upstream.recorded()) == 2  # the refused handshakes never reached HTTP


def test_connect_proxy_tunnels_to_loopback(upstreams: Upstreams, connect_proxy: Upstream, tls_material) -> None:
    upstream = upstreams.recording("azure-v1", tls=tls_material)
    auth = ["-H", f"api-key: {UPSTREAM_KEY}"]
    ca = ["--cacert", str(tls_material.ca_cert)]
    by_option = curl_run(f"{upstream.base_url}/openai/v1/files", "-x", connect_proxy.base_url, *ca, *auth,
                         env=environment_without_proxies())
    assert (by_option.exit_code, by_option.status) == (0, 200), by_option.stderr
    # As filegate's libcurl will: HTTPS_PROXY from the environment.
    env = {**environment_without_proxies(), "HTTPS_PROXY": connect_proxy.base_url}
    by_env = curl_run(f"{upstream.base_url}/openai/v1/files", *ca, *auth, env=env)
    assert (by_env.exit_code, by_env.status) == (0, 200), by_env.stderr
    refused = curl_run("https://files.example.invalid/openai/v1/files", "-x", connect_proxy.base_url,
                       env=environment_without_proxies())
    assert refused.exit_code == 56 and "403" in refused.stderr, refused.stderr
    plain = curl_run(f"http://127.0.0.1:{upstream.port}/x", "-x", connect_proxy.base_url,
                     env=environment_without_proxies())
    assert plain.status == 501

    connects = [(entry["method"], entry["target"], entry["status"]) for entry in connect_proxy.recorded()]
    target = f"127.0.0.1:{upstream.port}"
    assert connects == [("CONNECT", target, 200), ("CONNECT", target, 200),
                        ("CONNECT", "files.example.invalid:443", 403), ("GET", f"http://{target}/x", 501)]
    assert connect_proxy.log_text().count(f"CONNECT {target} tunnelled") == 2
    assert len(upstream.recorded()) == 2


# -- the servers' own bounds ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["recording", "faulty", "proxy"])
def test_server_stops_when_its_parent_goes(kind: str) -> None:
    """A server whose stdin closes (the test process ended, however) stops by itself."""
    upstreams_here = Upstreams()
    if kind == "recording":
        server = upstreams_here.recording("openai")
    elif kind == "faulty":
        server = upstreams_here.faulty("stall")
    else:
        server = upstreams_here.proxy()
    assert server.base_url.startswith("http://127.0.0.1:")
    assert server.process.stdin is not None
    server.process.stdin.close()
    assert server.process.wait(timeout=10) == 0
