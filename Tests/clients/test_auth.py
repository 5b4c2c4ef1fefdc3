"""Gateway keys (DESIGN.md "Auth"): api-key or Bearer on every root, the client whose key the request carries.

Marked `both`: also run with the openai 1.x client, whose AzureOpenAI sends both headers.
"""

from __future__ import annotations

import openai
import pytest

from support import (
    DEMO_KEY,
    DIALECT_IDS,
    DIALECTS,
    OTHER_KEY,
    SDK_SETUPS,
    SENT_KEYS,
    WRONG_KEY,
    Dialect,
    assert_error,
    assert_no_key,
    curl,
)

pytestmark = pytest.mark.both

parametrize_dialects = pytest.mark.parametrize("dialect", DIALECTS, ids=DIALECT_IDS)


def list_with(base: str, dialect: Dialect, headers: list[str]):
    return curl("GET", dialect.url(base), headers=headers)


def assert_listed(base: str, dialect: Dialect, headers: list[str]) -> None:
    answer = list_with(base, dialect, headers)
    assert answer.status == 200, answer.describe()
    assert answer.json()["object"] == "list"
    assert_no_key(answer)


@parametrize_dialects
def test_no_key_is_401(base: str, dialect: Dialect) -> None:
    assert_error(list_with(base, dialect, []), dialect, 401)


@parametrize_dialects
@pytest.mark.parametrize(
    "headers",
    [
        [f"Authorization: Bearer {WRONG_KEY}"],
        [f"api-key: {WRONG_KEY}"],
        ["Authorization: Bearer unused"],
        [f"Authorization: {DEMO_KEY}"],
        [f"Authorization: Basic {DEMO_KEY}"],
        [f"Authorization: Bearer {DEMO_KEY}x"],
        [f"api-key: {DEMO_KEY[:-1]}"],
        ["api-key;"],
    ],
    ids=["wrong-bearer", "wrong-api-key", "bearer-unused", "no-scheme", "basic", "longer", "shorter", "empty"],
)
def test_wrong_key_is_401(base: str, dialect: Dialect, headers: list[str]) -> None:
    assert_error(list_with(base, dialect, headers), dialect, 401)


@parametrize_dialects
@pytest.mark.parametrize(
    "headers",
    [
        [f"Authorization: Bearer {DEMO_KEY}"],
        [f"api-key: {DEMO_KEY}"],
        [f"api-key: {OTHER_KEY}"],
        [f"Authorization: Bearer {DEMO_KEY}", f"api-key: {DEMO_KEY}"],
        ["Authorization: Bearer unused", f"api-key: {DEMO_KEY}"],
        [f"Authorization: Bearer {DEMO_KEY}", f"api-key: {WRONG_KEY}"],
    ],
    ids=["bearer", "api-key", "other-client", "both-same", "bearer-unused-beside-api-key", "wrong-api-key-beside-bearer"],
)
def test_key_in_either_header_works(base: str, dialect: Dialect, headers: list[str]) -> None:
    assert_listed(base, dialect, headers)


@parametrize_dialects
@pytest.mark.parametrize(
    "headers",
    [
        [f"Authorization: Bearer {DEMO_KEY}", f"api-key: {OTHER_KEY}"],
        [f"Authorization: Bearer {OTHER_KEY}", f"api-key: {DEMO_KEY}"],
        [f"api-key: {DEMO_KEY}", f"api-key: {DEMO_KEY}"],
        [f"Authorization: Bearer {DEMO_KEY}", f"Authorization: Bearer {DEMO_KEY}"],
        [f"api-key: {DEMO_KEY}", f"api-key: {WRONG_KEY}"],
    ],
    ids=["two-clients", "two-clients-swapped", "api-key-twice", "bearer-twice", "api-key-twice-one-wrong"],
)
def test_ambiguous_keys_are_401(base: str, dialect: Dialect, headers: list[str]) -> None:
    assert_error(list_with(base, dialect, headers), dialect, 401)


@pytest.mark.parametrize("setup", SDK_SETUPS)
def test_sdk_set_ups_authenticate(make_client, setup: str) -> None:
    page = make_client(setup).files.list()
    assert page.object == "list"


@pytest.mark.parametrize("setup", ["openai", "azure-v1"])
def test_sdk_unused_bearer_with_api_key_header(make_client, setup: str) -> None:
    """`OpenAI(api_key="unused", default_headers={"api-key": KEY})`: a Bearer that is no key, ignored."""
    client = make_client(setup, api_key="unused", default_headers={"api-key": DEMO_KEY})
    assert client.files.list().object == "list"


@pytest.mark.parametrize("setup", ["openai", "azure-v1"])
def test_sdk_two_clients_keys_are_401(make_client, setup: str) -> None:
    """The SDK's Bearer carries the demo key, an api-key default header the other client's."""
    client = make_client(setup, default_headers={"api-key": OTHER_KEY})
    with pytest.raises(openai.AuthenticationError) as raised:
        client.files.list()
    assert raised.value.status_code == 401
    for key in SENT_KEYS:
        assert key not in raised.value.response.text


def test_keys_never_logged(server) -> None:
    """Runs last in this module: after every auth case above, no key sent appears in filegate's log."""
    log = server.log_text()
    assert log, "filegate logged nothing"
    for key in SENT_KEYS:
        assert key not in log, f"key {key!r} appears in filegate's log"
