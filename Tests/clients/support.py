"""What the end-to-end client tests share: keys, the three dialects, a curl driver and error-shape checks.

Everything here drives filegate the way a user does: curl on the command line, raw HTTP on a socket where curl
cannot show a detail (100 Continue), and the official openai SDK (built in conftest.py). The expectations come from
shared/DESIGN.md: its dialect table, "Rules filegate follows" and the error table.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import tempfile
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import openai

DEMO_KEY = "fg-demo-0123456789abcdef"
OTHER_KEY = "fg-other-fedcba9876543210"
# Keys no client has; tests check none of these ever shows in an answer or a log line.
WRONG_KEY = "fg-wrong-00000000000000000000"
SENT_KEYS = (DEMO_KEY, OTHER_KEY, WRONG_KEY)

MAX_UPLOAD_BYTES = 1_048_576
# Deliberately neither the listen address nor anything a test sends as Host: Location must come from here.
PUBLIC_BASE_URL = "http://gateway.filegate.test:8443"
DATED_VERSION = "2024-06-01"

# The union of DESIGN.md's "purposes the API takes on create" row.
KNOWN_PURPOSES = (
    "assistants",
    "assistants_output",
    "batch",
    "evals",
    "fine-tune",
    "fine-tune-results",
    "user_data",
    "vision",
)
EXPIRES_MIN, EXPIRES_MAX = 3600, 2_592_000

# Guards against hangs only; nothing waits on these to synchronise.
CURL_MAX_TIME = 60
SOCKET_TIMEOUT = 10


@dataclass(frozen=True)
class Dialect:
    """One of DESIGN.md's three client dialects, as seen from the client side."""

    name: str  # "openai", "azure-v1" or "azure-dated": also the pytest id
    root: str  # the files collection path
    query: str  # what every request carries in its query ("" or the dated api-version)
    key_header: str  # how the APIs send a key: "bearer" or "api-key"
    request_id_header: str
    create_status: int
    delete_status: int
    # The keys of the error object, exactly (DESIGN.md dialect table, "error body").
    error_keys: frozenset[str]

    @property
    def is_dated(self) -> bool:
        return self.name == "azure-dated"

    def url(self, base: str, suffix: str = "", params: Iterable[tuple[str, str]] = (), query: str | None = None) -> str:
        """`base` + root + suffix, with the dialect's query (or `query` instead) and `params` appended."""
        parts = [self.query if query is None else query]
        parts.append(urllib.parse.urlencode(list(params)))
        joined = "&".join(part for part in parts if part)
        return f"{base}{self.root}{suffix}" + (f"?{joined}" if joined else "")

    def auth(self, key: str) -> list[str]:
        """The header line this dialect's clients send a key in."""
        if self.key_header == "bearer":
            return [f"Authorization: Bearer {key}"]
        return [f"api-key: {key}"]

    @property
    def other_request_id_header(self) -> str:
        return "apim-request-id" if self.request_id_header == "x-request-id" else "x-request-id"


OPENAI = Dialect(
    name="openai",
    root="/v1/files",
    query="",
    key_header="bearer",
    request_id_header="x-request-id",
    create_status=200,
    delete_status=200,
    error_keys=frozenset({"message", "type", "param", "code"}),
)
AZURE_V1 = Dialect(
    name="azure-v1",
    root="/openai/v1/files",
    query="",
    key_header="api-key",
    request_id_header="apim-request-id",
    create_status=200,
    delete_status=200,
    error_keys=frozenset({"message", "type", "param", "code", "inner_error"}),
)
AZURE_DATED = Dialect(
    name="azure-dated",
    root="/openai/files",
    query=f"api-version={DATED_VERSION}",
    key_header="api-key",
    request_id_header="apim-request-id",
    create_status=201,
    delete_status=204,
    error_keys=frozenset({"code", "message", "target", "details", "innererror"}),
)
DIALECTS = (OPENAI, AZURE_V1, AZURE_DATED)
DIALECT_IDS = [d.name for d in DIALECTS]
# README.md's three SDK set-ups: OpenAI on /v1, AzureOpenAI on the dated root, OpenAI on /openai/v1.
SDK_SETUPS = ("openai", "azure-dated", "azure-v1")


def sdk_client(
    base: str, setup: str, api_key: str = DEMO_KEY, api_version: str = DATED_VERSION, **options: object
) -> openai.OpenAI:
    """One of README.md's three SDK set-ups against `base`, with retries off (tests expect errors as they come)."""
    options.setdefault("max_retries", 0)
    options.setdefault("timeout", 30.0)
    if setup == "openai":
        return openai.OpenAI(base_url=f"{base}/v1", api_key=api_key, **options)
    if setup == "azure-dated":
        return openai.AzureOpenAI(azure_endpoint=base, api_key=api_key, api_version=api_version, **options)
    if setup == "azure-v1":
        return openai.OpenAI(base_url=f"{base}/openai/v1", api_key=api_key, **options)
    raise ValueError(setup)

# DESIGN.md error table: status -> (OpenAI/v1 type, OpenAI/v1 code or ANY, dated code).
ANY = object()
ERROR_TABLE: dict[int, tuple[str, object, str]] = {
    400: ("invalid_request_error", ANY, "invalidPayload"),
    401: ("invalid_request_error", "invalid_api_key", "unauthorized"),
    403: ("invalid_request_error", None, "forbidden"),
    404: ("invalid_request_error", None, "notFound"),
    405: ("invalid_request_error", None, "invalidPayload"),
    413: ("invalid_request_error", None, "invalidPayload"),
    416: ("invalid_request_error", None, "invalidPayload"),
    429: ("requests", "rate_limit_exceeded", "tooManyRequests"),
    502: ("server_error", None, "serviceUnavailable"),
    503: ("server_error", ANY, "serviceUnavailable"),
    504: ("server_error", ANY, "serviceUnavailable"),
}


@dataclass
class Response:
    """One HTTP answer as curl saw it: every status line (100 Continue included), the final head and the body."""

    status: int
    statuses: list[int]
    headers: dict[str, list[str]]
    body: bytes
    command: list[str] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return ", ".join(values) if values else None

    def json(self) -> object:
        try:
            return json.loads(self.body)
        except ValueError as error:
            raise AssertionError(f"answer is not JSON: {self.body[:500]!r} ({self.describe()})") from error

    def describe(self) -> str:
        return f"{' '.join(self.command)} -> {self.status} {self.body[:300]!r}"


def _parse_head_blocks(raw: str) -> list[tuple[int, dict[str, list[str]]]]:
    blocks: list[tuple[int, dict[str, list[str]]]] = []
    for line in raw.splitlines():
        line = line.rstrip("\r")
        if line.startswith("HTTP/"):
            blocks.append((int(line.split()[1]), {}))
        elif line and blocks and ":" in line:
            name, value = line.split(":", 1)
            blocks[-1][1].setdefault(name.strip().lower(), []).append(value.strip())
    return blocks


def curl(
    method: str,
    url: str,
    *,
    headers: Iterable[str] = (),
    form: Iterable[str] = (),
    data_file: Path | None = None,
    extra: Iterable[str] = (),
) -> Response:
    """Runs curl as a user would, without proxies and without normalising the path, and returns its answer.

    `form` items are `-F` arguments in order (`purpose=fine-tune`, `file=@/path`); `data_file` is sent as the body
    byte for byte (`--data-binary @file`).
    """
    with tempfile.TemporaryDirectory(prefix="fg-curl-") as scratch:
        head_path = Path(scratch) / "head"
        body_path = Path(scratch) / "body"
        command = [
            "curl", "-sS", "--noproxy", "*", "--path-as-is", "--max-time", str(CURL_MAX_TIME),
            "-X", method, "-D", str(head_path), "-o", str(body_path), "-w", "%{http_code}",
        ]
        for line in headers:
            command += ["-H", line]
        for item in form:
            command += ["-F", item]
        if data_file is not None:
            command += ["--data-binary", f"@{data_file}"]
        command += list(extra)
        command.append(url)
        done = subprocess.run(command, capture_output=True, text=True, timeout=CURL_MAX_TIME + 10)
        if done.returncode != 0:
            raise AssertionError(f"curl failed with exit {done.returncode}: {done.stderr.strip()} ({' '.join(command)})")
        blocks = _parse_head_blocks(head_path.read_text(errors="replace"))
        body = body_path.read_bytes() if body_path.exists() else b""
    if not blocks:
        raise AssertionError(f"curl saw no answer head ({' '.join(command)})")
    status, final_headers = blocks[-1]
    return Response(status, [s for s, _ in blocks], final_headers, body, command)


def assert_error(
    response: Response,
    dialect: Dialect,
    status: int,
    *,
    param: str | None = None,
    message_contains: Iterable[str] = (),
) -> dict:
    """Checks status and the error body in `dialect`'s shape, per DESIGN.md's error table; returns the error object."""
    assert response.status == status, response.describe()
    body = response.json()
    assert isinstance(body, dict) and list(body) == ["error"], response.describe()
    error = body["error"]
    assert set(error) == set(dialect.error_keys), response.describe()
    assert isinstance(error["message"], str) and error["message"], response.describe()
    openai_type, openai_code, dated_code = ERROR_TABLE[status]
    if dialect.is_dated:
        assert error["code"] == dated_code, response.describe()
        if param is not None:
            assert error["target"] == param, response.describe()
    else:
        assert error["type"] == openai_type, response.describe()
        if openai_code is not ANY:
            assert error["code"] == openai_code, response.describe()
        if param is not None:
            assert error["param"] == param, response.describe()
    for text in message_contains:
        assert text in error["message"], response.describe()
    assert_no_key(response)
    return error


def assert_no_key(response: Response) -> None:
    """No key a test sends ever comes back, in a body or a header."""
    head = json.dumps(response.headers)
    for key in SENT_KEYS:
        assert key.encode() not in response.body, f"key {key!r} in answer body: {response.describe()}"
        assert key not in head, f"key {key!r} in answer headers: {head}"


def training_bytes(lines: int = 3) -> bytes:
    """A small, unique JSONL fine-tune file."""
    nonce = uuid.uuid4().hex
    records = [
        {"messages": [{"role": "user", "content": f"ping {nonce} {n}"}, {"role": "assistant", "content": "pong"}]}
        for n in range(lines)
    ]
    return b"".join(json.dumps(record).encode() + b"\n" for record in records)


def write_training_file(directory: Path, name: str = "train.jsonl", lines: int = 3) -> tuple[Path, bytes]:
    data = training_bytes(lines)
    path = directory / name
    path.write_bytes(data)
    return path, data


def create_with_curl(
    base: str,
    dialect: Dialect,
    path: Path,
    *,
    purpose: str = "fine-tune",
    file_first: bool = True,
    extra_form: Iterable[str] = (),
    key: str = DEMO_KEY,
    headers: Iterable[str] = (),
    url: str | None = None,
) -> Response:
    """POSTs a multipart create with curl, which sends fields in command-line order.

    `file_first`: the file part, then purpose and `extra_form` (`-F file=@x -F purpose=...`); otherwise every other
    field before the file part, as the SDK sends them.
    """
    fields = [f"purpose={purpose}", *extra_form]
    file_field = f"file=@{path}"
    return curl(
        "POST",
        url or dialect.url(base),
        headers=[*dialect.auth(key), *headers],
        form=[file_field, *fields] if file_first else [*fields, file_field],
    )


def created_id(response: Response, dialect: Dialect) -> str:
    assert response.status == dialect.create_status, response.describe()
    body = response.json()
    assert isinstance(body, dict) and isinstance(body.get("id"), str), response.describe()
    return body["id"]


def delete_quietly(base: str, file_id: str) -> None:
    """Cleanup: deletes a file through the OpenAI root, whatever happened before."""
    curl("DELETE", OPENAI.url(base, f"/{file_id}"), headers=OPENAI.auth(DEMO_KEY))


def list_ids(base: str, purpose: str | None = None) -> list[str]:
    """Every id the demo client sees on the OpenAI root (one page of up to 10000)."""
    params = [("limit", "10000")] + ([("purpose", purpose)] if purpose else [])
    response = curl("GET", OPENAI.url(base, params=params), headers=OPENAI.auth(DEMO_KEY))
    assert response.status == 200, response.describe()
    body = response.json()
    assert isinstance(body, dict) and body.get("has_more") is False, response.describe()
    return [item["id"] for item in body["data"]]


def eventually(check: Callable[[], object], timeout: float = 5.0) -> None:
    """Retries `check` until it stops raising AssertionError; guards cleanup the server may finish just after answering."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            check()
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@dataclass
class RawAnswer:
    """A response head read off a raw socket."""

    status: int
    reason: str
    headers: dict[str, str]


class RawConnection:
    """A plain TCP connection to filegate, for what curl hides: the order of interim and final answers."""

    def __init__(self, base: str) -> None:
        parsed = urllib.parse.urlsplit(base)
        self.host_header = parsed.netloc
        self.sock = socket.create_connection((parsed.hostname, parsed.port), timeout=SOCKET_TIMEOUT)
        self.buffer = b""

    def __enter__(self) -> "RawConnection":
        return self

    def __exit__(self, *_: object) -> None:
        self.sock.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read_head(self) -> RawAnswer:
        """Reads one response head (interim or final); fails if none arrives within SOCKET_TIMEOUT."""
        while b"\r\n\r\n" not in self.buffer:
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout as error:
                raise AssertionError(f"no answer within {SOCKET_TIMEOUT}s; received so far: {self.buffer!r}") from error
            if not chunk:
                raise AssertionError(f"connection closed before a whole head; received: {self.buffer!r}")
            self.buffer += chunk
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        version, status, *reason = lines[0].split(" ", 2)
        assert version == "HTTP/1.1", lines[0]
        headers = {}
        for line in lines[1:]:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
        return RawAnswer(int(status), reason[0] if reason else "", headers)

    def _fill(self, length: int) -> None:
        while len(self.buffer) < length:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise AssertionError(f"connection closed with {len(self.buffer)} of {length} bytes buffered")
            self.buffer += chunk

    def _take(self, length: int) -> bytes:
        self._fill(length)
        taken, self.buffer = self.buffer[:length], self.buffer[length:]
        return taken

    def _take_line(self) -> bytes:
        while b"\r\n" not in self.buffer:
            self._fill(len(self.buffer) + 1)
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def read_body(self, answer: RawAnswer) -> bytes:
        """The body of a final answer, by Content-Length or chunked."""
        if answer.headers.get("transfer-encoding", "").lower() == "chunked":
            body = b""
            while size := int(self._take_line().split(b";")[0], 16):
                body += self._take(size)
                self._take_line()
            while self._take_line():
                pass
            return body
        return self._take(int(answer.headers.get("content-length", "0")))


def multipart_body(boundary: str, fields: Iterable[tuple[str, str]], file_name: str, file_bytes: bytes) -> bytes:
    """A well-formed multipart/form-data body: the text fields, then the file part (the SDK's order)."""
    out = b""
    for name, value in fields:
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    out += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
        f"Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    out += file_bytes + f"\r\n--{boundary}--\r\n".encode()
    return out


def environment_without_proxies() -> dict[str, str]:
    """The process environment less every proxy variable: all traffic here is to 127.0.0.1."""
    return {
        name: value
        for name, value in os.environ.items()
        if name.lower() not in {"http_proxy", "https_proxy", "all_proxy", "no_proxy", "ftp_proxy"}
    }
