"""The openai SDK, in each of README.md's three set-ups: create -> list (whole pager) -> retrieve -> content -> delete.

Runs with the 3.x client and, marked `both`, with 1.109.1.
"""

from __future__ import annotations

from pathlib import Path

import openai
import pytest

from support import EXPIRES_MIN, SDK_SETUPS, WRONG_KEY, write_training_file

pytestmark = pytest.mark.both

# The SDK iterates pages until has_more is false; a pager that restarts would never end. Guard, don't hang.
PAGER_GUARD = 500


def create_from_file(client: openai.OpenAI, path: Path, **options: object):
    with path.open("rb") as handle:
        return client.files.create(file=handle, purpose="fine-tune", **options)


@pytest.mark.parametrize("setup", SDK_SETUPS)
def test_lifecycle(make_client, setup: str, tmp_path: Path) -> None:
    client = make_client(setup)
    uploads = [write_training_file(tmp_path, f"train-{n}.jsonl", lines=n + 2) for n in range(3)]
    created = []
    try:
        for path, data in uploads:
            file = create_from_file(client, path)
            created.append(file)
            assert file.id.startswith("file-")
            assert (file.object, file.filename, file.purpose, file.bytes, file.status) == (
                "file", path.name, "fine-tune", len(data), "processed"
            )
            assert file.created_at > 0

        first_page = client.files.list(limit=2)
        assert len(first_page.data) == 2
        assert first_page.has_more is True

        seen = []
        for listed in client.files.list(limit=2):
            seen.append(listed.id)
            assert len(seen) <= PAGER_GUARD, f"the pager did not end: {seen[:10]}…"
        assert len(seen) == len(set(seen)), f"the pager repeated files: {seen}"
        assert {file.id for file in created} <= set(seen)

        for file, (path, data) in zip(created, uploads):
            retrieved = client.files.retrieve(file.id)
            assert (retrieved.id, retrieved.filename, retrieved.bytes, retrieved.status, retrieved.created_at) == (
                file.id, path.name, len(data), "processed", file.created_at
            )
            assert client.files.content(file.id).read() == data

        target = created[0]
        deleted = client.files.delete(target.id)
        if setup == "azure-dated":
            # 2024-06-01 answers 204 with no body, which the SDK returns as ''.
            assert deleted == ""
        else:
            assert (deleted.id, deleted.object, deleted.deleted) == (target.id, "file", True)

        with pytest.raises(openai.NotFoundError) as raised:
            client.files.retrieve(target.id)
        assert raised.value.status_code == 404
        with pytest.raises(openai.NotFoundError):
            client.files.content(target.id)
        assert target.id not in {listed.id for listed in client.files.list()}
    finally:
        for file in created:
            try:
                client.files.delete(file.id)
            except openai.NotFoundError:
                pass


@pytest.mark.parametrize("setup", SDK_SETUPS)
def test_wrong_key_is_authentication_error(make_client, setup: str) -> None:
    client = make_client(setup, api_key=WRONG_KEY)
    with pytest.raises(openai.AuthenticationError) as raised:
        client.files.list()
    assert raised.value.status_code == 401
    assert WRONG_KEY not in raised.value.response.text


def test_expires_after_through_sdk(make_client, tmp_path: Path) -> None:
    """The SDK sends expires_after[anchor] and expires_after[seconds] before the file part."""
    client = make_client("openai")
    path, _ = write_training_file(tmp_path)
    file = create_from_file(client, path, expires_after={"anchor": "created_at", "seconds": EXPIRES_MIN})
    try:
        assert file.expires_at == file.created_at + EXPIRES_MIN
        assert client.files.retrieve(file.id).expires_at == file.created_at + EXPIRES_MIN
    finally:
        client.files.delete(file.id)


def test_upload_over_limit_is_413(make_client, tmp_path: Path) -> None:
    """The SDK sends no Expect: filegate answers 413 on the declared length and lingers so the client reads it."""
    client = make_client("openai")
    path = tmp_path / "big.jsonl"
    path.write_bytes(b"x" * (1_048_576 + 1))
    with pytest.raises(openai.APIStatusError) as raised:
        create_from_file(client, path)
    assert raised.value.status_code == 413
