"""Ids and paths (issue 5 point 6), raw bytes on a socket against filegate in front of a recording upstream.

A file id is checked against `^[A-Za-z0-9_-]{1,96}$` after exactly one percent-decoding, before anything is built
from it: an encoded slash, dot segments, a backslash, overlong UTF-8, NUL, CR/LF or an encoded `?`/`&`/`#` is a 404
in the client's dialect and never reaches the upstream. Every row runs in each of the three dialects.
"""

from __future__ import annotations

from typing import Iterator

import pytest

from rawhttp import EdgeFront, edge_front, request
from support import DEMO_KEY, DIALECT_IDS, DIALECTS, Dialect, assert_error

GOOD = "file-abc123"


@pytest.fixture(scope="module")
def front(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EdgeFront]:
    yield from edge_front(tmp_path_factory.mktemp("edge-ids"))


# (id, the path after the files root)
REFUSED = [
    ("encoded-slash", "/file-a%2Fb"),
    ("encoded-slash-lower", "/file-a%2fb"),
    ("encoded-slash-content", "/file-a%2Fb/content"),
    ("dot-dot-segment", "/.."),
    ("dot-dot-then-id", f"/../{GOOD}"),
    ("dot-segment", f"/./{GOOD}"),
    ("encoded-dot-dot", "/%2e%2e"),
    ("encoded-dot-dot-upper", "/%2E%2E/content"),
    ("dot-in-id", "/file.abc"),
    ("backslash", "/file-a\\b"),
    ("encoded-backslash", "/file-a%5Cb"),
    ("overlong-utf8-slash", "/file-%C0%AF"),
    ("overlong-utf8-dot", "/%C0%AE%C0%AE"),
    ("utf8-letter", "/file-%C3%A9"),
    ("nul", "/file-a%00"),
    ("cr-lf", "/file-a%0D%0Ax-injected:%201"),
    ("lf", "/file-a%0A"),
    ("encoded-question-mark", "/file-a%3Fpurpose=x"),
    ("encoded-ampersand", "/file-a%26b"),
    ("encoded-hash", "/file-a%23b"),
    ("encoded-space", "/file-a%20b"),
    ("double-encoded", "/file-%2541"),
    ("broken-escape", "/file-%4"),
    ("bad-escape-digit", "/file-%zz"),
    ("empty-id", "/"),
    ("empty-id-content", "//content"),
    ("too-long", "/" + "a" * 97),
    ("extra-segment", f"/{GOOD}/content/more"),
    ("unknown-sub-resource", f"/{GOOD}/metadata"),
    ("trailing-slash", f"/{GOOD}/"),
]


def target(dialect: Dialect, suffix: str) -> str:
    return dialect.url("", suffix)


def key_line(dialect: Dialect) -> str:
    return dialect.auth(DEMO_KEY)[0]


@pytest.mark.parametrize("dialect", DIALECTS, ids=DIALECT_IDS)
@pytest.mark.parametrize("suffix", [row[1] for row in REFUSED], ids=[row[0] for row in REFUSED])
def test_a_bad_id_is_404_in_the_dialect_and_never_forwarded(front: EdgeFront, dialect: Dialect, suffix: str) -> None:
    outcome, _ = front.check(request("GET", target(dialect, suffix), [key_line(dialect)]), 404, False, False)
    assert outcome.answer is not None
    assert_error(outcome.answer.as_response(outcome.sent), dialect, 404)


@pytest.mark.parametrize("dialect", DIALECTS, ids=DIALECT_IDS)
@pytest.mark.parametrize("method", ["DELETE", "GET"])
def test_a_bad_id_is_refused_for_every_operation(front: EdgeFront, dialect: Dialect, method: str) -> None:
    outcome, _ = front.check(request(method, target(dialect, "/file-a%2F..%2Fb"), [key_line(dialect)]), 404, False,
                             False)
    assert outcome.answer is not None
    assert_error(outcome.answer.as_response(outcome.sent), dialect, 404)


# (id, path after the root, the id the upstream must see)
ACCEPTED = [
    ("plain", f"/{GOOD}", GOOD),
    ("assistant", "/assistant-AbC_9-z", "assistant-AbC_9-z"),
    ("azure-fine-tune", "/fine-tune-0123456789abcdef", "fine-tune-0123456789abcdef"),
    ("upload", "/upload_abc123", "upload_abc123"),
    ("longest", "/" + "a" * 96, "a" * 96),
    ("decoded-once", "/file-%41b", "file-Ab"),
    ("content", f"/{GOOD}/content", GOOD),
]


@pytest.mark.parametrize("dialect", DIALECTS, ids=DIALECT_IDS)
@pytest.mark.parametrize(("suffix", "upstream_id"), [r[1:] for r in ACCEPTED], ids=[r[0] for r in ACCEPTED])
def test_a_good_id_reaches_the_upstream_as_itself(
    front: EdgeFront, dialect: Dialect, suffix: str, upstream_id: str
) -> None:
    """The recording upstream holds no such file, so the answer is its 404, mapped: but the request got there."""
    outcome, recorded = front.check(request("GET", target(dialect, suffix), [key_line(dialect)]), 404, False, True)
    assert recorded[0]["path"].split("/")[3] == upstream_id, recorded
    assert outcome.answer is not None
    assert_error(outcome.answer.as_response(outcome.sent), dialect, 404)


# (id, the uploads path after the API's base): the uploads API has no routes in filegate yet (DESIGN.md's table),
# so an upload or part id, good or bad, builds nothing and goes nowhere.
UPLOADS = [
    ("upload", "/uploads/upload_abc123"),
    ("upload-parts", "/uploads/upload_abc123/parts"),
    ("upload-complete", "/uploads/upload_abc123/complete"),
    ("encoded-slash", "/uploads/upload_a%2F..%2Fb/parts"),
    ("cr-lf", "/uploads/upload_a%0D%0Ax-injected:%201/parts"),
]


@pytest.mark.parametrize("dialect", DIALECTS, ids=DIALECT_IDS)
@pytest.mark.parametrize("suffix", [row[1] for row in UPLOADS], ids=[row[0] for row in UPLOADS])
def test_an_upload_or_part_id_is_404_in_the_dialect_and_never_forwarded(
    front: EdgeFront, dialect: Dialect, suffix: str
) -> None:
    base = dialect.root.removesuffix("/files")
    path = dialect.url("", query=None).replace(dialect.root, base + suffix, 1)
    outcome, _ = front.check(request("POST", path, [key_line(dialect), "Content-Length: 0"]), 404, False, False)
    assert outcome.answer is not None
    assert_error(outcome.answer.as_response(outcome.sent), dialect, 404)
