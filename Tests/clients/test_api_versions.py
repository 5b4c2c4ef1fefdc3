"""api-version on the Azure roots: the dated root follows its date (DESIGN.md "Versions"), the v1 root takes v1/preview."""

from __future__ import annotations

from pathlib import Path

import pytest

from support import (
    AZURE_DATED,
    AZURE_V1,
    DEMO_KEY,
    assert_error,
    create_with_curl,
    created_id,
    curl,
    delete_quietly,
    write_training_file,
)

AUTH = [f"api-key: {DEMO_KEY}"]


@pytest.mark.parametrize(
    ("version", "status_word", "delete_status"),
    [
        ("2024-05-01-preview", "succeeded", 204),
        ("2024-06-01", "processed", 204),
        ("2024-08-01-preview", "processed", 204),
        ("2024-10-01-preview", "processed", 200),
        ("2024-10-21", "processed", 200),
    ],
)
def test_dated_version_decides_words_and_delete(
    base: str, tmp_path: Path, version: str, status_word: str, delete_status: int
) -> None:
    query = f"api-version={version}"
    path, data = write_training_file(tmp_path)
    created = create_with_curl(base, AZURE_DATED, path, url=AZURE_DATED.url(base, query=query))
    file_id = created_id(created, AZURE_DATED)
    try:
        assert created.json()["status"] == status_word, created.describe()

        retrieved = curl("GET", AZURE_DATED.url(base, f"/{file_id}", query=query), headers=AUTH)
        assert retrieved.status == 200, retrieved.describe()
        assert retrieved.json()["status"] == status_word

        listed = curl("GET", AZURE_DATED.url(base, query=query), headers=AUTH)
        words = {item["id"]: item["status"] for item in listed.json()["data"]}
        assert words[file_id] == status_word, listed.describe()

        content = curl("GET", AZURE_DATED.url(base, f"/{file_id}/content", query=query), headers=AUTH)
        assert content.body == data

        deleted = curl("DELETE", AZURE_DATED.url(base, f"/{file_id}", query=query), headers=AUTH)
        assert deleted.status == delete_status, deleted.describe()
        if delete_status == 204:
            assert deleted.body == b""
        else:
            assert deleted.json() == {"id": file_id, "object": "file", "deleted": True}
    finally:
        delete_quietly(base, file_id)


@pytest.mark.parametrize(
    "query",
    [
        "",
        "api-version=",
        "api-version=2024-02-30",
        "api-version=2024-6-1",
        "api-version=2024-06-01-beta",
        "api-version=v1",
        "api-version=preview",
        "api-version=2022-11-30",
        "api-version=2024-06-01&api-version=2024-10-21",
    ],
    ids=["missing", "empty", "not-a-date", "short", "bad-suffix", "v1", "preview", "too-old", "twice"],
)
def test_dated_root_refuses_bad_api_version(base: str, query: str) -> None:
    answer = curl("GET", AZURE_DATED.url(base, query=query), headers=AUTH)
    assert_error(answer, AZURE_DATED, 400)


@pytest.mark.parametrize("query", ["", "api-version=v1", "api-version=preview"], ids=["none", "v1", "preview"])
def test_v1_root_takes_v1_and_preview(base: str, query: str) -> None:
    answer = curl("GET", AZURE_V1.url(base, query=query), headers=AUTH)
    assert answer.status == 200, answer.describe()
    assert answer.json()["object"] == "list"


@pytest.mark.parametrize(
    "query", ["api-version=2024-06-01", "api-version=2025-04-01-preview", "api-version=v2"], ids=["dated", "dated-preview", "v2"]
)
def test_v1_root_refuses_other_versions(base: str, query: str) -> None:
    answer = curl("GET", AZURE_V1.url(base, query=query), headers=AUTH)
    assert_error(answer, AZURE_V1, 400)
