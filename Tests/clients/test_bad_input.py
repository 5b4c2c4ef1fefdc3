"""Bad input (issue 3, point 6): a clear error in the client's dialect, and nothing stored afterwards."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from support import (
    DEMO_KEY,
    DIALECT_IDS,
    DIALECTS,
    EXPIRES_MAX,
    EXPIRES_MIN,
    KNOWN_PURPOSES,
    MAX_UPLOAD_BYTES,
    OPENAI,
    Dialect,
    assert_error,
    create_with_curl,
    created_id,
    curl,
    delete_quietly,
    eventually,
    list_ids,
    write_training_file,
)

parametrize_dialects = pytest.mark.parametrize("dialect", DIALECTS, ids=DIALECT_IDS)


@pytest.fixture
def unchanged(server, base: str) -> Iterator[None]:
    """Asserts, after the test, that the list and the files on disk are what they were before it."""
    ids_before = set(list_ids(base))
    files_before = server.stored_files()
    yield

    def same_as_before() -> None:
        assert set(list_ids(base)) == ids_before
        assert server.stored_files() == files_before

    # A partial upload may be removed just after the answer went out.
    eventually(same_as_before)


@pytest.fixture(scope="module")
def existing_file(base: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One stored file, for the 405s on an id that exists."""
    path, _ = write_training_file(tmp_path_factory.mktemp("existing"))
    file_id = created_id(create_with_curl(base, OPENAI, path), OPENAI)
    yield file_id
    delete_quietly(base, file_id)


@pytest.fixture(scope="module")
def oversized(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A file whose multipart body is over max_upload_bytes (1 MiB) by a few KiB."""
    path = tmp_path_factory.mktemp("big") / "big.jsonl"
    path.write_bytes(b'{"prompt": "x"}\n' * ((MAX_UPLOAD_BYTES + 4096) // 16))
    return path


@pytest.mark.parametrize(
    ("path", "dialect"),
    [
        ("/", OPENAI),
        ("/v1", OPENAI),
        ("/v1/file", OPENAI),
        ("/v1/filesx", OPENAI),
        ("/v1/files/file-abc/contents", OPENAI),
        ("/v1/files/file-abc/content/more", OPENAI),
        ("/v2/files", OPENAI),
    ],
)
def test_unknown_path_is_404(base: str, unchanged, path: str, dialect: Dialect) -> None:
    assert_error(curl("GET", base + path, headers=dialect.auth(DEMO_KEY)), dialect, 404)


@pytest.mark.parametrize(
    "suffix", ["/file-abc/contents", "/file-abc/content/more"], ids=["contents", "content-more"]
)
@parametrize_dialects
def test_unknown_path_under_a_root_is_404(base: str, unchanged, dialect: Dialect, suffix: str) -> None:
    assert_error(curl("GET", dialect.url(base, suffix), headers=dialect.auth(DEMO_KEY)), dialect, 404)


@parametrize_dialects
@pytest.mark.parametrize(
    ("method", "suffix", "allowed"),
    [
        ("PUT", "", {"GET", "POST"}),
        ("DELETE", "", {"GET", "POST"}),
        ("PATCH", "", {"GET", "POST"}),
        ("POST", "/{id}", {"GET", "DELETE"}),
        ("PUT", "/{id}", {"GET", "DELETE"}),
        ("POST", "/{id}/content", {"GET"}),
        ("DELETE", "/{id}/content", {"GET"}),
    ],
)
def test_wrong_method_is_405_with_allow(
    base: str, unchanged, existing_file: str, dialect: Dialect, method: str, suffix: str, allowed: set[str]
) -> None:
    answer = curl(method, dialect.url(base, suffix.format(id=existing_file)), headers=dialect.auth(DEMO_KEY))
    assert_error(answer, dialect, 405)
    allow = answer.header("allow")
    assert allow is not None, answer.describe()
    assert {word.strip() for word in allow.split(",")} - {"HEAD"} == allowed, answer.describe()


@parametrize_dialects
def test_missing_file_is_400(base: str, unchanged, dialect: Dialect) -> None:
    answer = curl("POST", dialect.url(base), headers=dialect.auth(DEMO_KEY), form=["purpose=fine-tune"])
    assert_error(answer, dialect, 400, param="file")


@parametrize_dialects
def test_missing_purpose_is_400(base: str, unchanged, dialect: Dialect, tmp_path: Path) -> None:
    path, _ = write_training_file(tmp_path)
    answer = curl("POST", dialect.url(base), headers=dialect.auth(DEMO_KEY), form=[f"file=@{path}"])
    assert_error(answer, dialect, 400, param="purpose")


@parametrize_dialects
@pytest.mark.parametrize("file_first", [True, False], ids=["file-first", "purpose-first"])
@pytest.mark.parametrize("purpose", ["batch_output", "fine_tune", "FINE-TUNE", ""])
def test_unknown_purpose_is_400_listing_known(
    base: str, unchanged, dialect: Dialect, tmp_path: Path, purpose: str, file_first: bool
) -> None:
    path, _ = write_training_file(tmp_path)
    answer = create_with_curl(base, dialect, path, purpose=purpose, file_first=file_first)
    assert_error(answer, dialect, 400, param="purpose", message_contains=KNOWN_PURPOSES if purpose else ())


@parametrize_dialects
@pytest.mark.parametrize("expect", ["curl-default", "no-expect"])
def test_declared_length_over_limit_is_413(
    base: str, unchanged, dialect: Dialect, oversized: Path, expect: str
) -> None:
    """curl sends Expect: 100-continue above 1 MiB; without it the body is already on its way, and still refused."""
    headers = ["Expect:"] if expect == "no-expect" else []
    answer = create_with_curl(base, dialect, oversized, headers=headers)
    assert_error(answer, dialect, 413)
    assert 100 not in answer.statuses, answer.statuses


@parametrize_dialects
@pytest.mark.parametrize("file_first", [True, False], ids=["file-first", "purpose-first"])
def test_chunked_body_over_limit_is_413(
    base: str, unchanged, dialect: Dialect, oversized: Path, file_first: bool
) -> None:
    answer = create_with_curl(base, dialect, oversized, file_first=file_first, headers=["Transfer-Encoding: chunked"])
    assert_error(answer, dialect, 413)


def test_body_at_limit_is_stored(base: str, tmp_path: Path) -> None:
    """max_upload_bytes counts HTTP body bytes: a body of exactly the limit passes."""
    boundary = "filegate-at-limit"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nfine-tune\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="edge.jsonl"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    payload = b"y" * (MAX_UPLOAD_BYTES - len(head) - len(tail))
    body = tmp_path / "body"
    body.write_bytes(head + payload + tail)
    assert body.stat().st_size == MAX_UPLOAD_BYTES
    answer = curl(
        "POST",
        OPENAI.url(base),
        headers=[*OPENAI.auth(DEMO_KEY), f"Content-Type: multipart/form-data; boundary={boundary}"],
        data_file=body,
    )
    file_id = created_id(answer, OPENAI)
    try:
        assert answer.json()["bytes"] == len(payload)
        content = curl("GET", OPENAI.url(base, f"/{file_id}/content"), headers=OPENAI.auth(DEMO_KEY))
        assert content.body == payload
    finally:
        delete_quietly(base, file_id)


MALFORMED_MULTIPART = {
    "no-closing-boundary": (
        "multipart/form-data; boundary=XYZ",
        b'--XYZ\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nfine-tune\r\n'
        b'--XYZ\r\nContent-Disposition: form-data; name="file"; filename="a.jsonl"\r\n\r\n{"a": 1}\n',
    ),
    "no-boundary-parameter": (
        "multipart/form-data",
        b'--XYZ\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nfine-tune\r\n--XYZ--\r\n',
    ),
    "not-starting-with-boundary": ("multipart/form-data; boundary=XYZ", b"this is not multipart at all\r\n"),
    "part-without-disposition": (
        "multipart/form-data; boundary=XYZ",
        b"--XYZ\r\nContent-Type: text/plain\r\n\r\nfine-tune\r\n--XYZ--\r\n",
    ),
    "unterminated-part-head": (
        "multipart/form-data; boundary=XYZ",
        b'--XYZ\r\nContent-Disposition: form-data; name="purpose"\r\n',
    ),
}


@parametrize_dialects
@pytest.mark.parametrize("case", sorted(MALFORMED_MULTIPART))
def test_malformed_multipart_is_400(base: str, unchanged, dialect: Dialect, tmp_path: Path, case: str) -> None:
    content_type, body = MALFORMED_MULTIPART[case]
    path = tmp_path / "body"
    path.write_bytes(body)
    answer = curl(
        "POST", dialect.url(base), headers=[*dialect.auth(DEMO_KEY), f"Content-Type: {content_type}"], data_file=path
    )
    assert_error(answer, dialect, 400)


@parametrize_dialects
@pytest.mark.parametrize(
    "file_id",
    [
        "file-../x",
        "file-..%2Fx",
        "file-%2E%2E",
        "..",
        "file-abc%00",
        "file-" + "a" * 200,
        "file-00000000000000000000000000000000",
        "file-ffffffffffffffffffffffffffffffff",
    ],
    ids=["dot-dot-slash", "encoded-slash", "encoded-dots", "dot-dot", "nul", "long", "unknown", "unknown-2"],
)
@pytest.mark.parametrize(("method", "suffix"), [("GET", ""), ("GET", "/content"), ("DELETE", "")])
def test_bad_or_unknown_id_is_404(
    base: str, unchanged, dialect: Dialect, file_id: str, method: str, suffix: str
) -> None:
    answer = curl(method, dialect.url(base, f"/{file_id}{suffix}"), headers=dialect.auth(DEMO_KEY))
    assert_error(answer, dialect, 404)


@parametrize_dialects
@pytest.mark.parametrize(
    ("name", "value"),
    [("limit", "0"), ("limit", "10001"), ("limit", "abc"), ("limit", "-1"), ("order", "sideways")],
)
def test_bad_list_query_is_400(base: str, dialect: Dialect, name: str, value: str) -> None:
    answer = curl("GET", dialect.url(base, params=[(name, value)]), headers=dialect.auth(DEMO_KEY))
    assert_error(answer, dialect, 400, param=name)


@parametrize_dialects
@pytest.mark.parametrize(("name", "value"), [("limit", "1"), ("limit", "10000"), ("order", "asc"), ("order", "desc")])
def test_list_query_bounds_are_accepted(base: str, dialect: Dialect, name: str, value: str) -> None:
    answer = curl("GET", dialect.url(base, params=[(name, value)]), headers=dialect.auth(DEMO_KEY))
    assert answer.status == 200, answer.describe()


@parametrize_dialects
@pytest.mark.parametrize("seconds", ["10", "3599", "2592001"])
@pytest.mark.parametrize("spelling", ["expires_after[seconds]", "expires_after.seconds"])
def test_expires_after_out_of_range_is_400(
    base: str, unchanged, dialect: Dialect, tmp_path: Path, seconds: str, spelling: str
) -> None:
    path, _ = write_training_file(tmp_path)
    answer = create_with_curl(
        base, dialect, path, file_first=False, extra_form=["expires_after[anchor]=created_at", f"{spelling}={seconds}"]
    )
    assert_error(answer, dialect, 400, message_contains=(str(EXPIRES_MIN), str(EXPIRES_MAX)))


@parametrize_dialects
@pytest.mark.parametrize("value", ["abc", "1.5", ""])
def test_expires_after_not_an_integer_is_400(base: str, unchanged, dialect: Dialect, tmp_path: Path, value: str) -> None:
    path, _ = write_training_file(tmp_path)
    answer = create_with_curl(base, dialect, path, file_first=False, extra_form=[f"expires_after[seconds]={value}"])
    assert_error(answer, dialect, 400)


@parametrize_dialects
@pytest.mark.parametrize("file_first", [True, False], ids=["fields-after-file", "fields-before-file"])
@pytest.mark.parametrize(
    "fields",
    [
        ["expires_after[anchor]=created_at", "expires_after[seconds]=3600"],
        ["expires_after.anchor=created_at", "expires_after.seconds=3600"],
        ["expires_after[seconds]=3600"],
        ["expires_after[seconds]=2592000"],
    ],
    ids=["bracket", "dotted", "bracket-without-anchor", "bracket-max"],
)
def test_expires_after_is_accepted(
    base: str, dialect: Dialect, tmp_path: Path, fields: list[str], file_first: bool
) -> None:
    seconds = int(fields[-1].split("=")[1])
    path, _ = write_training_file(tmp_path)
    answer = create_with_curl(base, dialect, path, file_first=file_first, extra_form=fields)
    file_id = created_id(answer, dialect)
    try:
        created = answer.json()
        assert created["expires_at"] == created["created_at"] + seconds, answer.describe()
        retrieved = curl("GET", dialect.url(base, f"/{file_id}"), headers=dialect.auth(DEMO_KEY)).json()
        assert retrieved["expires_at"] == created["created_at"] + seconds
    finally:
        delete_quietly(base, file_id)



@parametrize_dialects
def test_expiry_after_a_streamed_file_is_refused_and_nothing_is_stored(
    base: str, dialect: Dialect, tmp_path: Path, unchanged: None
) -> None:
    """`-F purpose=… -F file=@… -F expires_after[seconds]=…`: purpose came first, so the file part streamed straight
    into the backend (DESIGN.md "Multipart"); an expiry arriving after it can no longer apply, and is refused rather
    than silently dropped, before anything is committed."""
    path, _ = write_training_file(tmp_path)
    answer = curl(
        "POST",
        dialect.url(base),
        headers=dialect.auth(DEMO_KEY),
        form=["purpose=fine-tune", f"file=@{path}", f"expires_after[seconds]={EXPIRES_MIN}"],
    )
    assert_error(
        answer, dialect, 400, param="expires_after[seconds]", message_contains=["send every field before the file"]
    )
