"""Forwarding to an https upstream, and through an HTTPS_PROXY (issue 4, point 6).

The upstream is the recording upstream serving https with a certificate the test made (`tls_material`: a test CA,
a server certificate for 127.0.0.1 signed by it, and an unrelated CA). A front filegate reaches it with the
backend's `ca_file` set to the test CA (the lifecycle works), to the unrelated CA, or not at all (system CAs): the
last two are a 502 in the client's dialect, a log line saying the certificate did not verify, and an error body
that tells the client nothing about the upstream. The proxy tests run the CONNECT proxy written for the tests and
count the tunnels it opened.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Iterator

import openai
import pytest

from conftest import Server, front_config, start_front, stop_filegate
from support import (
    DEMO_KEY,
    DIALECT_IDS,
    DIALECTS,
    SDK_SETUPS,
    Dialect,
    Response,
    assert_error,
    assert_no_key,
    sdk_client,
    curl,
    eventually,
    write_training_file,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from upstreams.fixtures import (  # noqa: E402,F401
    UPSTREAM_KEY,
    Upstream,
    Upstreams,
    session_upstreams,
    tls_material,
    upstreams,
)
from upstreams.tls import TLSMaterial  # noqa: E402

# DESIGN.md error table, the gateway rows: 502 is server_error / null, serviceUnavailable on the dated root.
# What the curl layer must never let through to a client: its error-buffer wording, the upstream's address.
INTERNAL_WORDS = ("SSL", "certificate problem", "CURLE", "curl", "issuer", "127.0.0.1", "ca.pem", "wrong-ca")


def start_tls_front(directory: Path, endpoint: str, ca_file: Path | None, **environment: str) -> Server:
    """A front whose `openai` backend at `endpoint` is verified against `ca_file` (the system's CAs when None)."""
    config = front_config("openai", endpoint, ca_file=str(ca_file) if ca_file is not None else None)
    return start_front(directory, config, **environment)


def assert_bad_gateway(response: Response, dialect: Dialect) -> dict:
    """A 502 in `dialect`'s error shape (DESIGN.md error table), with nothing internal in it; the error object."""
    error = assert_error(response, dialect, 502)
    for word in INTERNAL_WORDS:
        assert word.lower() not in response.body.decode(errors="replace").lower(), (word, response.describe())
    assert UPSTREAM_KEY.encode() not in response.body, response.describe()
    assert UPSTREAM_KEY not in repr(response.headers), response.headers
    assert_no_key(response)
    return error


def assert_logged_verification_failure(front: Server, request_id: str) -> None:
    """filegate's log line for the request `request_id` says why: curl's words about the certificate (the
    client's message says only "TLS"); and no key is anywhere in the log."""

    def check() -> None:
        # The log is read by a thread of conftest's: the line may land just after the answer.
        log = front.log_text()
        lines = [line for line in log.splitlines() if request_id in line]
        assert lines, f"no log line names request {request_id}; the log:\n{log}"
        assert any(re.search(r"certificate", line, re.IGNORECASE) for line in lines), lines
        assert UPSTREAM_KEY not in log and DEMO_KEY not in log, log

    eventually(check)


@pytest.fixture(scope="module")
def https_upstream(session_upstreams: Upstreams, tls_material: TLSMaterial) -> Upstream:  # noqa: F811
    """A recording upstream in the openai dialect serving https with the test CA's server certificate."""
    return session_upstreams.recording("openai", tls=tls_material)


@pytest.fixture(scope="module")
def verified_front(
    https_upstream: Upstream, tls_material: TLSMaterial, tmp_path_factory: pytest.TempPathFactory  # noqa: F811
) -> Iterator[Server]:
    """A front filegate whose backend trusts the test CA."""
    server = start_tls_front(tmp_path_factory.mktemp("front-ca"), https_upstream.base_url, tls_material.ca_cert)
    yield server
    stop_filegate(server)


def test_the_upstream_serves_https(https_upstream: Upstream) -> None:
    assert https_upstream.base_url.startswith("https://127.0.0.1:"), https_upstream.base_url


@pytest.mark.parametrize("setup", SDK_SETUPS)
def test_lifecycle_over_https_with_the_backends_ca_file(
    verified_front: Server, https_upstream: Upstream, setup: str, tmp_path: Path
) -> None:
    client = sdk_client(verified_front.base_url, setup)
    path, data = write_training_file(tmp_path, lines=20)
    with path.open("rb") as handle:
        created = client.files.create(file=handle, purpose="fine-tune")
    assert (created.filename, created.purpose, created.bytes) == (path.name, "fine-tune", len(data))
    assert created.id in [file.id for file in client.files.list()]
    assert client.files.retrieve(created.id).bytes == len(data)
    assert client.files.content(created.id).read() == data
    client.files.delete(created.id)
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(created.id)
    stored = [file for file in https_upstream.stored_files() if file["id"] == created.id]
    assert stored == [], "the upstream still holds the deleted file"


@pytest.mark.parametrize("dialect", DIALECTS, ids=DIALECT_IDS)
@pytest.mark.parametrize("trust", ["wrong-ca", "system-cas"])
def test_a_certificate_that_does_not_verify_is_a_502_logged_with_its_reason(
    https_upstream: Upstream, tls_material: TLSMaterial, dialect: Dialect, trust: str, tmp_path: Path  # noqa: F811
) -> None:
    ca_file = tls_material.wrong_ca_cert if trust == "wrong-ca" else None
    front = start_tls_front(tmp_path, https_upstream.base_url, ca_file)
    try:
        https_upstream.clear()
        path, _ = write_training_file(tmp_path)
        for response in (
            curl("GET", dialect.url(front.base_url), headers=dialect.auth(DEMO_KEY)),
            curl(
                "POST",
                dialect.url(front.base_url),
                headers=dialect.auth(DEMO_KEY),
                form=["purpose=fine-tune", f"file=@{path}"],
            ),
        ):
            assert_bad_gateway(response, dialect)
            # filegate's own request id comes back, and its log line says why.
            request_id = response.header(dialect.request_id_header)
            assert request_id, response.headers
            assert_logged_verification_failure(front, request_id)
        assert https_upstream.recorded() == [], "a request got past a TLS handshake that should have failed"
    finally:
        stop_filegate(front)


# curl reads both spellings of the proxy variables for https.
PROXY_SPELLINGS = [("HTTPS_PROXY", "NO_PROXY"), ("https_proxy", "no_proxy")]


@pytest.mark.parametrize(("proxy_variable", "no_proxy_variable"), PROXY_SPELLINGS)
def test_https_proxy_carries_the_requests_through_connect(
    upstreams: Upstreams, tls_material: TLSMaterial, proxy_variable: str, no_proxy_variable: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    up = upstreams.recording("openai", tls=tls_material)
    proxy = upstreams.proxy()
    front = start_tls_front(
        tmp_path, up.base_url, tls_material.ca_cert, **{proxy_variable: f"http://127.0.0.1:{proxy.port}"}
    )
    try:
        client = sdk_client(front.base_url, "openai")
        path, data = write_training_file(tmp_path)
        with path.open("rb") as handle:
            created = client.files.create(file=handle, purpose="fine-tune")
        connects_after_create = [entry for entry in proxy.recorded() if entry["method"] == "CONNECT"]
        assert connects_after_create, f"no CONNECT reached the proxy; filegate's log:\n{front.log_text()}"
        assert client.files.content(created.id).read() == data
        client.files.delete(created.id)
        connects = [entry for entry in proxy.recorded() if entry["method"] == "CONNECT"]
        assert len(connects) >= len(connects_after_create)
        for entry in connects:
            assert (entry["host"], entry["port"], entry["status"]) == ("127.0.0.1", str(up.port), 200), entry
        # The proxy saw only the tunnel: the key travelled inside TLS.
        assert UPSTREAM_KEY not in repr(proxy.recorded())
        methods = [entry["method"] for entry in up.recorded()]
        assert methods == ["POST", "GET", "DELETE"], methods
    finally:
        stop_filegate(front)


@pytest.mark.parametrize(("proxy_variable", "no_proxy_variable"), PROXY_SPELLINGS)
def test_no_proxy_sends_the_requests_directly(
    upstreams: Upstreams, tls_material: TLSMaterial, proxy_variable: str, no_proxy_variable: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    up = upstreams.recording("openai", tls=tls_material)
    proxy = upstreams.proxy()
    front = start_tls_front(
        tmp_path,
        up.base_url,
        tls_material.ca_cert,
        **{proxy_variable: f"http://127.0.0.1:{proxy.port}", no_proxy_variable: "127.0.0.1"},
    )
    try:
        client = sdk_client(front.base_url, "openai")
        path, data = write_training_file(tmp_path)
        with path.open("rb") as handle:
            created = client.files.create(file=handle, purpose="fine-tune")
        assert client.files.content(created.id).read() == data
        client.files.delete(created.id)
        assert proxy.recorded() == []
        methods = [entry["method"] for entry in up.recorded()]
        assert methods == ["POST", "GET", "DELETE"], methods
    finally:
        stop_filegate(front)

