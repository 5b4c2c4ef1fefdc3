"""curl on each root, as README.md shows it: create -> list -> retrieve -> content -> delete -> retrieve is 404.

Multipart fields go in both orders (curl sends them in command-line order; the SDK sends purpose first).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from support import (
    AZURE_DATED,
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
    delete_quietly,
    write_training_file,
)

BOGUS_HOST = "attacker.example:6666"


def assert_request_id(response: Response, dialect: Dialect) -> None:
    assert response.header(dialect.request_id_header), response.describe()
    assert response.header(dialect.other_request_id_header) is None, response.describe()


@pytest.mark.parametrize("file_first", [True, False], ids=["file-first", "purpose-first"])
@pytest.mark.parametrize("dialect", DIALECTS, ids=DIALECT_IDS)
def test_lifecycle(base: str, dialect: Dialect, file_first: bool, tmp_path: Path) -> None:
    path, data = write_training_file(tmp_path, lines=5)
    auth = dialect.auth(DEMO_KEY)

    # A bogus Host: Location (dated) must still be public_base_url + /openai/files/<id>.
    created = create_with_curl(base, dialect, path, file_first=file_first, headers=[f"Host: {BOGUS_HOST}"])
    file_id = created_id(created, dialect)
    try:
        assert_request_id(created, dialect)
        body = created.json()
        assert (body["object"], body["filename"], body["purpose"], body["bytes"], body["status"]) == (
            "file", "train.jsonl", "fine-tune", len(data), "processed"
        ), created.describe()
        assert file_id.startswith("file-")
        if dialect is AZURE_DATED:
            assert created.header("location") == f"{PUBLIC_BASE_URL}/openai/files/{file_id}", created.describe()
        assert BOGUS_HOST not in created.body.decode() and BOGUS_HOST not in str(created.headers)

        listed = curl("GET", dialect.url(base), headers=auth)
        assert listed.status == 200, listed.describe()
        assert_request_id(listed, dialect)
        page = listed.json()
        assert page["object"] == "list"
        ids = [item["id"] for item in page["data"]]
        assert file_id in ids
        # The dated root adds the paging fields too, so the SDK's pager ends.
        assert page["has_more"] is False
        assert (page["first_id"], page["last_id"]) == (ids[0], ids[-1])

        retrieved = curl("GET", dialect.url(base, f"/{file_id}"), headers=auth)
        assert retrieved.status == 200, retrieved.describe()
        assert_request_id(retrieved, dialect)
        assert retrieved.json() == body

        content = curl("GET", dialect.url(base, f"/{file_id}/content"), headers=auth)
        assert content.status == 200, content.describe()
        assert_request_id(content, dialect)
        assert content.body == data
        assert (content.header("content-type") or "").startswith("application/octet-stream"), content.describe()

        deleted = curl("DELETE", dialect.url(base, f"/{file_id}"), headers=auth)
        assert deleted.status == dialect.delete_status, deleted.describe()
        assert_request_id(deleted, dialect)
        if dialect.delete_status == 204:
            assert deleted.body == b""
        else:
            assert deleted.json() == {"id": file_id, "object": "file", "deleted": True}

        gone = curl("GET", dialect.url(base, f"/{file_id}"), headers=auth)
        assert_error(gone, dialect, 404)
        assert_request_id(gone, dialect)
        assert_error(curl("GET", dialect.url(base, f"/{file_id}/content"), headers=auth), dialect, 404)
        assert_error(curl("DELETE", dialect.url(base, f"/{file_id}"), headers=auth), dialect, 404)
    finally:
        delete_quietly(base, file_id)


@pytest.mark.parametrize("dialect", DIALECTS, ids=DIALECT_IDS)
def test_list_pages_and_after_a_deleted_file(base: str, dialect: Dialect, tmp_path: Path) -> None:
    """limit/after/order page through the list on every root; an `after` naming a deleted file never restarts it."""
    auth = dialect.auth(DEMO_KEY)
    purpose = "evals" if not dialect.is_dated else "fine-tune-results"
    ids = []
    try:
        for n in range(3):
            path, _ = write_training_file(tmp_path, f"page-{n}.jsonl")
            ids.append(created_id(create_with_curl(base, dialect, path, purpose=purpose), dialect))

        everything = curl("GET", dialect.url(base, params=[("purpose", purpose)]), headers=auth).json()
        newest_first = [item["id"] for item in everything["data"]]
        assert sorted(newest_first) == sorted(ids)
        oldest_first = curl(
            "GET", dialect.url(base, params=[("purpose", purpose), ("order", "asc")]), headers=auth
        ).json()
        assert [item["id"] for item in oldest_first["data"]] == list(reversed(newest_first))

        first = curl("GET", dialect.url(base, params=[("purpose", purpose), ("limit", "2")]), headers=auth).json()
        assert [item["id"] for item in first["data"]] == newest_first[:2]
        assert (first["has_more"], first["first_id"], first["last_id"]) == (True, newest_first[0], newest_first[1])

        # Delete the cursor, then continue after it: the list goes on past it, it does not start over.
        cursor = first["last_id"]
        assert curl("DELETE", dialect.url(base, f"/{cursor}"), headers=auth).status == dialect.delete_status
        rest = curl(
            "GET", dialect.url(base, params=[("purpose", purpose), ("limit", "2"), ("after", cursor)]), headers=auth
        ).json()
        assert [item["id"] for item in rest["data"]] == newest_first[2:]
        assert rest["has_more"] is False
    finally:
        for file_id in ids:
            delete_quietly(base, file_id)


@pytest.mark.parametrize("dialect", DIALECTS, ids=DIALECT_IDS)
def test_a_range_of_a_stored_file(base: str, dialect: Dialect, tmp_path: Path) -> None:
    """One byte range is a 206 with `Content-Range` (how `curl -C -` resumes a cut download); one past the end a
    416 in the dialect with `bytes */SIZE`; several ranges are ignored: the whole file."""
    path, data = write_training_file(tmp_path, lines=50)
    auth = dialect.auth(DEMO_KEY)
    file_id = created_id(create_with_curl(base, dialect, path, file_first=False), dialect)
    content_url = dialect.url(base, f"/{file_id}/content")
    try:
        part = curl("GET", content_url, headers=[*auth, "Range: bytes=100-"])
        assert part.status == 206, part.describe()
        assert part.header("content-range") == f"bytes 100-{len(data) - 1}/{len(data)}", part.headers
        assert part.body == data[100:]
        assert_request_id(part, dialect)

        # `curl -C -` asks for what its output file lacks, and appends it.
        resumed = tmp_path / "resumed.jsonl"
        resumed.write_bytes(data[:100])
        command = ["curl", "-sS", "--noproxy", "*", "-C", "-", "-o", str(resumed), "-w", "%{http_code}"]
        for line in auth:
            command += ["-H", line]
        done = subprocess.run([*command, content_url], capture_output=True, text=True, timeout=60)
        assert (done.returncode, done.stdout) == (0, "206"), done.stderr
        assert resumed.read_bytes() == data

        past = curl("GET", content_url, headers=[*auth, f"Range: bytes={len(data)}-"])
        assert_error(past, dialect, 416)
        assert past.header("content-range") == f"bytes */{len(data)}", past.headers
        assert_request_id(past, dialect)

        several = curl("GET", content_url, headers=[*auth, "Range: bytes=0-1,5-6"])
        assert (several.status, several.header("content-range"), several.body) == (200, None, data)
    finally:
        delete_quietly(base, file_id)
