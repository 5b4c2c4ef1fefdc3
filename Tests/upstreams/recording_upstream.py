"""A Files API upstream for the tests, in ONE dialect, that records every request it sees.

    python3 recording_upstream.py --dialect openai|azure-v1|azure-legacy --key K
        [--api-version 2024-06-01|any] [--seed-examples] [--v1-bare-errors]
        [--tls-cert F --tls-key F] [--port 0] [--lifetime S] [--exit-on-stdin-eof]

It is stricter than a back filegate where shared/seeds/ are:
- the key only in the dialect's form (openai `Authorization: Bearer K`; azure-v1 `api-key: K` or Bearer;
  azure-legacy `api-key: K`); a wrong, missing or repeated credential is a 401 in the dialect's error shape;
- azure-legacy requires `api-version`: a real dated version, and the one given with `--api-version` unless that is
  `any`. Behaviour (status words, delete answer, purposes) follows the version as DESIGN.md's version table says;
  with `--seed-examples` it answers as the 2024-06-01 seed's examples do at any version: `notRunning` on create
  without `bytes`, `succeeded` on reads, 201 + `location` pointing at this server; its list is always
  `{"data": [...], "object": "list"}` (no paging, limit/after ignored);
- azure-v1 takes `api-version` v1 or preview only, refuses a create without `expires_after[anchor]` and
  `expires_after[seconds]` (the v1 reference marks both required) and seconds outside 259200..2592000;
- multipart fields other than the dialect's are refused (azure-legacy takes only `file` and `purpose`);
- a chunked request body is refused with 411 (filegate must send exact lengths), as is a create without a length.

Content answers honour one `bytes=` range as a file server does (206 with `Content-Range`; 416 for a range that
starts past the end); any other `Range` is ignored and the whole file sent, as RFC 9110 lets a server do.

Create bodies are parsed as they stream; the file part goes to a temporary folder, never whole into memory.

Not part of the API, and needing no key: `GET /__recorded` (every request: method, target, headers as received,
declared and received body length, chunked or not, the multipart fields, the answer's status and request id),
`DELETE /__recorded` (clears it), `GET /__files` (what is stored, with sha256).
"""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import hmac
import os
import re
import secrets
import shutil
import ssl
import string
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from common import (
    HTTPError,
    PeerGone,
    Recorder,
    Request,
    base_arguments,
    body_chunks,
    close_gracefully,
    drain_body,
    json_bytes,
    next_request,
    response_head,
    run,
    send,
    serve_recorder,
)

# A multipart part head larger than this, or a text field larger than this, is a 400.
MAX_PART_HEAD = 16 * 1024
MAX_FIELD_BYTES = 64 * 1024
DATED_VERSION = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(-preview)?$")
FIRST_DATED_VERSION = datetime.date(2022, 12, 1)
BASE62 = string.ascii_letters + string.digits

OPENAI_PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
AZURE_V1_PURPOSES = ("assistants", "batch", "fine-tune", "evals")
OPENAI_EXPIRES = (3600, 2_592_000)
AZURE_V1_EXPIRES = (259_200, 2_592_000)
EXPIRES_FIELDS = ("expires_after[anchor]", "expires_after[seconds]")

# DESIGN.md error table, dated codes by status.
LEGACY_CODES = {400: "invalidPayload", 401: "unauthorized", 403: "forbidden", 404: "notFound", 405: "invalidPayload",
                411: "invalidPayload", 413: "invalidPayload", 416: "invalidPayload", 431: "invalidPayload"}


@dataclass(frozen=True)
class LegacyVersion:
    """What DESIGN.md's "dated api-version" table says a dated version does."""

    date: datetime.date

    @property
    def old_words(self) -> bool:
        return self.date < datetime.date(2024, 6, 1)

    @property
    def delete_has_body(self) -> bool:
        return self.date >= datetime.date(2024, 10, 1)

    @property
    def purposes(self) -> tuple[str, ...]:
        if self.date < datetime.date(2024, 5, 1):
            return ("fine-tune", "fine-tune-results")
        if self.date < datetime.date(2024, 6, 1):
            return ("fine-tune", "fine-tune-results", "assistants", "assistants_output")
        if self.date < datetime.date(2024, 8, 1):
            return ("fine-tune", "fine-tune-results")
        return ("fine-tune", "fine-tune-results", "assistants", "assistants_output", "batch")


def parse_dated_version(text: str) -> LegacyVersion | None:
    match = DATED_VERSION.match(text)
    if not match:
        return None
    try:
        date = datetime.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None
    return LegacyVersion(date) if date >= FIRST_DATED_VERSION else None


@dataclass
class StoredFile:
    id: str
    filename: str
    purpose: str
    bytes: int
    sha256: str
    created_at: int
    sequence: int
    expires_at: int | None
    path: Path


@dataclass
class Content:
    """A stored file's bytes to send: all of them, or the one range a `Range` header asked for."""

    file: StoredFile
    first: int
    length: int


def content_answer(file: StoredFile, range_header: str | None) -> tuple[int, list, Content]:
    """200 and the whole file; 206 and `Content-Range` for one satisfiable `bytes=FIRST-LAST`, `bytes=FIRST-` or
    `bytes=-SUFFIX` (RFC 9110 section 14.1.2); 416 for one that starts past the end or an empty suffix. Any other
    `Range` (several ranges, another unit, LAST before FIRST) is ignored: the whole file."""
    whole = (200, [], Content(file, 0, file.bytes))
    match = re.fullmatch(r"bytes=(\d*)-(\d*)", (range_header or "").strip())
    if match is None or match.groups() == ("", ""):
        return whole
    first_text, last_text = match.groups()
    if first_text:
        first = int(first_text)
        last = min(int(last_text), file.bytes - 1) if last_text else file.bytes - 1
        if last_text and int(last_text) < first:
            return whole
    else:
        first = max(file.bytes - int(last_text), 0) if int(last_text) else file.bytes
        last = file.bytes - 1
    if first >= file.bytes:
        raise HTTPError(416, f"range {range_header!r} is not satisfiable for {file.bytes} bytes",
                        headers=[("Content-Range", f"bytes */{file.bytes}")])
    return 206, [("Content-Range", f"bytes {first}-{last}/{file.bytes}")], Content(file, first, last - first + 1)


class Part:
    """One multipart part being received: a text field kept in memory (bounded) or a file part streamed to disk."""

    def __init__(self, head: bytes, directory: Path) -> None:
        self.name: str | None = None
        self.filename: str | None = None
        self.content_type: str | None = None
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, _, value = line.partition(":")
            if key.strip().lower() == "content-disposition":
                params = dict(re.findall(r';\s*([\w*]+)="([^"]*)"', value))
                params.update(re.findall(r';\s*([\w*]+)=([^";\s]+)', value))
                self.name = params.get("name")
                self.filename = params.get("filename")
            elif key.strip().lower() == "content-type":
                self.content_type = value.strip()
        if self.name is None:
            raise HTTPError(400, "a multipart part has no Content-Disposition name")
        self.size = 0
        self.hash = hashlib.sha256()
        self.text = bytearray()
        self.path: Path | None = None
        self.handle = None
        if self.filename is not None:
            descriptor, name = tempfile.mkstemp(dir=directory, prefix="upload-")
            self.path = Path(name)
            self.handle = os.fdopen(descriptor, "wb")

    def write(self, data: bytes) -> None:
        if not data:
            return
        self.size += len(data)
        if self.handle is not None:
            self.handle.write(data)
            self.hash.update(data)
        else:
            if self.size > MAX_FIELD_BYTES:
                raise HTTPError(400, f"multipart field {self.name!r} is over {MAX_FIELD_BYTES} bytes")
            self.text += data

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None

    def discard(self) -> None:
        self.close()
        if self.path is not None:
            self.path.unlink(missing_ok=True)

    def describe(self) -> object:
        if self.filename is not None:
            return {"filename": self.filename, "content_type": self.content_type, "bytes": self.size,
                    "sha256": self.hash.hexdigest()}
        return self.text.decode("utf-8", "replace")


class MultipartParser:
    """A push parser over multipart/form-data: feed() slices as they arrive, finish() at the end of the body.

    Only the last len(delimiter) - 1 bytes of a part are held back (they may be the start of a delimiter);
    everything before them goes straight to the part.
    """

    def __init__(self, boundary: str, directory: Path) -> None:
        self.delimiter = b"\r\n--" + boundary.encode("latin-1")
        self.directory = directory
        self.buffer = b"\r\n"  # so the first delimiter, at the very start, also begins with CRLF
        self.state = "preamble"
        self.part: Part | None = None
        self.parts: list[Part] = []

    def feed(self, data: bytes) -> None:
        self.buffer += data
        while True:
            if self.state == "preamble":
                index = self.buffer.find(self.delimiter)
                if index < 0:
                    self.buffer = self.buffer[-(len(self.delimiter) - 1):]
                    return
                self.buffer = self.buffer[index + len(self.delimiter):]
                self.state = "after-delimiter"
            elif self.state == "after-delimiter":
                if len(self.buffer) < 2:
                    return
                if self.buffer.startswith(b"--"):
                    self.state = "epilogue"
                elif self.buffer.startswith(b"\r\n"):
                    self.buffer = self.buffer[2:]
                    self.state = "part-head"
                else:
                    raise HTTPError(400, "multipart delimiter followed by neither CRLF nor --")
            elif self.state == "part-head":
                index = self.buffer.find(b"\r\n\r\n")
                if index < 0:
                    if len(self.buffer) > MAX_PART_HEAD:
                        raise HTTPError(400, "multipart part head too large")
                    return
                self.part = Part(self.buffer[:index], self.directory)
                self.parts.append(self.part)
                self.buffer = self.buffer[index + 4:]
                self.state = "part-body"
            elif self.state == "part-body":
                assert self.part is not None
                index = self.buffer.find(self.delimiter)
                if index < 0:
                    safe = len(self.buffer) - (len(self.delimiter) - 1)
                    if safe > 0:
                        self.part.write(self.buffer[:safe])
                        self.buffer = self.buffer[safe:]
                    return
                self.part.write(self.buffer[:index])
                self.part.close()
                self.part = None
                self.buffer = self.buffer[index + len(self.delimiter):]
                self.state = "after-delimiter"
            else:  # epilogue: ignored
                self.buffer = b""
                return

    def finish(self) -> None:
        if self.state != "epilogue":
            raise HTTPError(400, "multipart body ended before its closing delimiter")

    def discard(self) -> None:
        for part in self.parts:
            part.discard()


class RecordingUpstream:
    """The server's state and its request handling; one instance per process."""

    def __init__(self, arguments) -> None:
        self.dialect: str = arguments.dialect
        self.key: str = arguments.key
        self.seed_examples: bool = arguments.seed_examples
        self.bare_errors: bool = arguments.v1_bare_errors
        self.expected_version: LegacyVersion | None = None
        self.expected_version_text = arguments.api_version
        if self.dialect == "azure-legacy" and arguments.api_version != "any":
            self.expected_version = parse_dated_version(arguments.api_version)
            if self.expected_version is None:
                raise SystemExit(f"--api-version {arguments.api_version!r} is not a dated api-version")
        self.root = {"openai": "/v1/files", "azure-v1": "/openai/v1/files", "azure-legacy": "/openai/files"}[
            self.dialect
        ]
        self.request_id_header = "x-request-id" if self.dialect == "openai" else "apim-request-id"
        self.recorder = Recorder()
        self.files: dict[str, StoredFile] = {}
        self.sequence = 0
        self.directory = Path(tempfile.mkdtemp(prefix=f"recording-upstream-{self.dialect}-"))
        self.scheme = "https" if arguments.tls_cert else "http"
        self.port = 0
        self.connections = 0

    # -- errors -------------------------------------------------------------------------------------------------

    def error_body(self, error: HTTPError) -> dict:
        if self.dialect == "azure-legacy":
            return {"error": {"code": LEGACY_CODES.get(error.status, "internalFailure"), "message": error.message,
                              "target": error.param, "details": [], "innererror": None}}
        code = "invalid_api_key" if error.status == 401 else None
        kind = "invalid_request_error" if error.status < 500 else "server_error"
        if self.dialect == "openai":
            return {"error": {"message": error.message, "type": kind, "param": error.param, "code": code}}
        inner = {"code": code, "message": error.message, "param": error.param, "type": kind, "inner_error": None}
        return inner if self.bare_errors else {"error": inner}

    # -- checks -------------------------------------------------------------------------------------------------

    def check_key(self, request: Request) -> None:
        api_keys = request.header_values("api-key")
        authorizations = request.header_values("authorization")
        expected_bearer = f"Bearer {self.key}"

        def same(value: str, expected: str) -> bool:
            return hmac.compare_digest(value.encode(), expected.encode())

        if len(api_keys) > 1 or len(authorizations) > 1:
            raise HTTPError(401, "a credential header is repeated")
        if self.dialect == "openai":
            ok = len(authorizations) == 1 and same(authorizations[0], expected_bearer)
            where = "Authorization: Bearer"
        elif self.dialect == "azure-v1":
            given = [same(value, self.key) for value in api_keys]
            given += [same(value, expected_bearer) for value in authorizations]
            ok = bool(given) and all(given)
            where = "api-key or Authorization: Bearer"
        else:
            ok = len(api_keys) == 1 and same(api_keys[0], self.key)
            where = "api-key"
        if not ok:
            raise HTTPError(401, f"Access denied: this upstream needs its key in {where}")

    def check_version(self, request: Request) -> LegacyVersion | None:
        versions = request.query_values("api-version")
        if self.dialect == "openai":
            return None
        if len(versions) > 1:
            raise HTTPError(400, "api-version is given more than once", param="api-version")
        if self.dialect == "azure-v1":
            if versions and versions[0] not in ("v1", "preview"):
                raise HTTPError(400, f"api-version {versions[0]!r} is not v1 or preview", param="api-version")
            return None
        if not versions:
            raise HTTPError(400, "Missing required query parameter api-version", param="api-version")
        version = parse_dated_version(versions[0])
        if version is None:
            raise HTTPError(400, f"api-version {versions[0]!r} is not a dated version", param="api-version")
        if self.expected_version is not None and versions[0] != self.expected_version_text:
            raise HTTPError(400, f"this upstream speaks api-version {self.expected_version_text}, "
                                 f"not {versions[0]}", param="api-version")
        return self.expected_version or version

    # -- answers ------------------------------------------------------------------------------------------------

    def new_id(self) -> str:
        if self.dialect == "openai":
            return "file-" + "".join(secrets.choice(BASE62) for _ in range(22))
        return "file-" + uuid.uuid4().hex

    def status_word(self, version: LegacyVersion | None, creating: bool) -> str:
        if self.dialect == "openai":
            return "processed"
        if self.dialect == "azure-legacy" and (self.seed_examples or (version and version.old_words)):
            return "notRunning" if creating else "succeeded"
        return "pending" if creating else "processed"

    def render(self, file: StoredFile, version: LegacyVersion | None, *, creating: bool = False) -> dict:
        status = self.status_word(version, creating)
        if self.dialect == "azure-legacy":
            if self.seed_examples and creating:
                # The 2024-06-01 upload example: no bytes, fields in its order.
                return {"purpose": file.purpose, "filename": file.filename, "id": file.id, "status": status,
                        "created_at": file.created_at, "object": "file"}
            return {"bytes": file.bytes, "purpose": file.purpose, "filename": file.filename, "id": file.id,
                    "status": status, "created_at": file.created_at, "object": "file"}
        body = {"id": file.id, "object": "file", "bytes": file.bytes, "created_at": file.created_at,
                "filename": file.filename, "purpose": file.purpose, "status": status}
        if file.expires_at is not None:
            body["expires_at"] = file.expires_at
        return body

    # -- operations ---------------------------------------------------------------------------------------------

    async def create(self, request: Request, reader, writer, version: LegacyVersion | None) -> tuple[int, list, dict]:
        content_type = request.header("content-type") or ""
        match = re.match(r'multipart/form-data\s*;.*boundary="?([^";]+)"?', content_type, re.IGNORECASE)
        if not match:
            await drain_body(reader, request)
            raise HTTPError(400, f"create needs multipart/form-data with a boundary, not {content_type!r}")
        parser = MultipartParser(match.group(1), self.directory)
        if request.expects_continue:
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            await writer.drain()
        try:
            async for data in body_chunks(reader, request):
                parser.feed(data)
            parser.finish()
            request.record["form"] = [[part.name, part.describe()] for part in parser.parts]
            file = self.validate_and_store(parser.parts, version)
        except BaseException:
            request.record["form"] = [[part.name, part.describe()] for part in parser.parts]
            parser.discard()
            raise
        headers = []
        status = 200
        if self.dialect == "azure-legacy":
            status = 201
            headers.append(("location", f"{self.scheme}://127.0.0.1:{self.port}/openai/files/{file.id}"))
        return status, headers, self.render(file, version, creating=True)

    def validate_and_store(self, parts: list[Part], version: LegacyVersion | None) -> StoredFile:
        allowed_fields = {"file", "purpose"}
        if self.dialect != "azure-legacy":
            allowed_fields.update(EXPIRES_FIELDS)
        names = [part.name for part in parts]
        for name in names:
            if name not in allowed_fields:
                raise HTTPError(400, f"unknown multipart field {name!r}; this upstream takes "
                                     f"{', '.join(sorted(allowed_fields))}", param=name)
            if names.count(name) > 1:
                raise HTTPError(400, f"multipart field {name!r} is given more than once", param=name)
        by_name = {part.name: part for part in parts}
        file_part = by_name.get("file")
        if file_part is None or file_part.filename is None:
            raise HTTPError(400, "the file part (with a filename) is missing", param="file")
        purpose_part = by_name.get("purpose")
        if purpose_part is None or purpose_part.filename is not None:
            raise HTTPError(400, "the purpose field is missing", param="purpose")
        purpose = purpose_part.describe()
        purposes = {"openai": OPENAI_PURPOSES, "azure-v1": AZURE_V1_PURPOSES}.get(self.dialect)
        if purposes is None:
            purposes = version.purposes if version else ("fine-tune", "fine-tune-results")
        if purpose not in purposes:
            raise HTTPError(400, f"purpose {purpose!r} is not one of {', '.join(purposes)}", param="purpose")
        expires_after = self.validate_expiry(by_name)

        assert file_part.path is not None
        self.sequence += 1
        file_id = self.new_id()
        stored_path = self.directory / file_id
        file_part.path.rename(stored_path)
        created_at = int(time.time())
        file = StoredFile(
            id=file_id, filename=file_part.filename, purpose=purpose, bytes=file_part.size,
            sha256=file_part.hash.hexdigest(), created_at=created_at, sequence=self.sequence,
            expires_at=created_at + expires_after if expires_after is not None else None, path=stored_path,
        )
        self.files[file_id] = file
        return file

    def validate_expiry(self, by_name: dict[str, Part]) -> int | None:
        given = [name for name in EXPIRES_FIELDS if name in by_name]
        if not given:
            if self.dialect == "azure-v1":
                raise HTTPError(400, "expires_after is required: send expires_after[anchor] and "
                                     "expires_after[seconds]", param="expires_after")
            return None
        if len(given) != 2:
            raise HTTPError(400, "expires_after needs both [anchor] and [seconds]", param="expires_after")
        anchor = by_name["expires_after[anchor]"].describe()
        if anchor != "created_at":
            raise HTTPError(400, f"expires_after[anchor] must be created_at, not {anchor!r}",
                            param="expires_after.anchor")
        text = by_name["expires_after[seconds]"].describe()
        if not isinstance(text, str) or not re.fullmatch(r"-?\d+", text):
            raise HTTPError(400, f"expires_after[seconds] is not an integer: {text!r}", param="expires_after.seconds")
        low, high = AZURE_V1_EXPIRES if self.dialect == "azure-v1" else OPENAI_EXPIRES
        seconds = int(text)
        if not low <= seconds <= high:
            raise HTTPError(400, f"expires_after[seconds] must lie in {low}..{high}, not {seconds}",
                            param="expires_after.seconds")
        return seconds

    def list_files(self, request: Request, version: LegacyVersion | None) -> dict:
        purposes = request.query_values("purpose")
        files = [file for file in self.files.values() if not purposes or file.purpose == purposes[0]]
        if self.dialect == "azure-legacy":
            files.sort(key=lambda file: (file.created_at, file.sequence), reverse=True)
            return {"data": [self.render(file, version) for file in files], "object": "list"}
        limit_text = (request.query_values("limit") or ["10000"])[0]
        if not limit_text.isdigit() or not 1 <= int(limit_text) <= 10000:
            raise HTTPError(400, f"limit must be an integer in 1..10000, not {limit_text!r}", param="limit")
        order = (request.query_values("order") or ["desc"])[0]
        if order not in ("asc", "desc"):
            raise HTTPError(400, f"order must be asc or desc, not {order!r}", param="order")
        files.sort(key=lambda file: (file.created_at, file.sequence), reverse=order == "desc")
        after = request.query_values("after")
        if after:
            ids = [file.id for file in files]
            files = files[ids.index(after[0]) + 1:] if after[0] in ids else []
        page = files[: int(limit_text)]
        return {
            "object": "list",
            "data": [self.render(file, version) for file in page],
            "first_id": page[0].id if page else None,
            "last_id": page[-1].id if page else None,
            "has_more": len(files) > len(page),
        }

    def find(self, file_id: str) -> StoredFile:
        file = self.files.get(file_id)
        if file is None:
            raise HTTPError(404, f"No such file object: {file_id}", param="file_id")
        return file

    # -- dispatch -----------------------------------------------------------------------------------------------

    async def handle_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        connection = self.connections
        peer = writer.get_extra_info("peername")
        while True:
            request = await next_request(
                reader, writer, lambda error: ("application/json", json_bytes(self.error_body(error)))
            )
            if request is None:
                return
            if await serve_recorder(self.recorder, request, writer) or await self.serve_files(request, writer):
                if request.wants_close:
                    return
                continue
            record = self.recorder.start(request, peer[1] if peer else None, connection)
            keep_alive = await self.answer(request, reader, writer, record)
            if not keep_alive:
                await close_gracefully(writer, reader)
                return

    async def serve_files(self, request: Request, writer) -> bool:
        if request.path != "/__files":
            return False
        listing = [{"id": file.id, "filename": file.filename, "purpose": file.purpose, "bytes": file.bytes,
                    "sha256": file.sha256, "expires_at": file.expires_at} for file in self.files.values()]
        await send(writer, 200, [("Content-Type", "application/json")], json_bytes(listing))
        return True

    async def answer(self, request: Request, reader, writer, record: dict) -> bool:
        """Answers one request; False when the connection must close afterwards."""
        request_id = str(uuid.uuid4())
        record["request_id"] = request_id
        id_header = (self.request_id_header, request_id)
        close = request.wants_close
        try:
            if request.chunked:
                # Read it all first (and count it), so the peer reads our answer rather than a reset.
                await drain_body(reader, request)
                raise HTTPError(411, "a chunked request body is refused: send Content-Length")
            self.check_key(request)
            version = self.check_version(request)
            status, headers, body = await self.route(request, reader, writer, version)
        except PeerGone:
            record["peer_gone"] = True
            return False
        except HTTPError as error:
            # A refused request's unread body is read and dropped first, so the peer surely sees the answer, unless
            # the peer waits for 100 Continue (answer at once, then close) or the body's framing is broken.
            if not record["body_complete"] and not request.expects_continue and not request.chunked:
                try:
                    await drain_body(reader, request)
                except (PeerGone, HTTPError):
                    record["peer_gone"] = True
                    return False
            close = close or not record["body_complete"]
            status, headers, body = error.status, error.headers, self.error_body(error)
        record["status"] = status
        if isinstance(body, Content):
            await self.send_content(writer, status, [*headers, id_header], body, close)
            return not close
        payload = b"" if body is None else json_bytes(body)
        content_headers = [] if body is None else [("Content-Type", "application/json")]
        await send(writer, status, [*content_headers, id_header, *headers], payload, close=close)
        return not close

    async def route(self, request: Request, reader, writer, version):
        path = request.path
        if path == self.root:
            if request.method == "POST":
                if request.content_length is None:
                    raise HTTPError(411, "create needs a Content-Length")
                return await self.create(request, reader, writer, version)
            if request.method == "GET":
                await drain_body(reader, request)
                return 200, [], self.list_files(request, version)
            raise HTTPError(405, f"{request.method} is not allowed here", headers=[("Allow", "GET, POST")])
        if not path.startswith(self.root + "/"):
            raise HTTPError(404, f"no such path: {path}")
        rest = path[len(self.root) + 1:].split("/")
        await drain_body(reader, request)
        if len(rest) == 1 and rest[0]:
            file = self.find(rest[0])
            if request.method == "GET":
                return 200, [], self.render(file, version)
            if request.method == "DELETE":
                del self.files[file.id]
                file.path.unlink(missing_ok=True)
                if self.dialect == "azure-legacy" and not (version and version.delete_has_body):
                    return 204, [], None
                return 200, [], {"id": file.id, "object": "file", "deleted": True}
            raise HTTPError(405, f"{request.method} is not allowed here", headers=[("Allow", "GET, DELETE")])
        if len(rest) == 2 and rest[0] and rest[1] == "content":
            file = self.find(rest[0])
            if request.method == "GET":
                return content_answer(file, request.header("range"))
            raise HTTPError(405, f"{request.method} is not allowed here", headers=[("Allow", "GET")])
        raise HTTPError(404, f"no such path: {path}")

    async def send_content(self, writer, status: int, headers: list, content: Content, close: bool) -> None:
        """The stored bytes, or the range asked for, streamed from disk with an exact Content-Length."""
        head = [("Content-Type", "application/octet-stream"), ("Content-Length", str(content.length)), *headers]
        if close:
            head.append(("Connection", "close"))
        writer.write(response_head(status, head))
        with content.file.path.open("rb") as handle:
            handle.seek(content.first)
            left = content.length
            while left and (data := handle.read(min(left, 256 * 1024))):
                left -= len(data)
                writer.write(data)
                await writer.drain()
        await writer.drain()

    def cleanup(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


def main() -> None:
    parser = base_arguments(__doc__.split("\n\n")[0])
    parser.add_argument("--dialect", required=True, choices=("openai", "azure-v1", "azure-legacy"))
    parser.add_argument("--key", required=True, help="the upstream key this server accepts")
    parser.add_argument("--api-version", default="2024-06-01",
                        help="azure-legacy: the dated api-version requests must carry, or 'any' (default 2024-06-01)")
    parser.add_argument("--seed-examples", action="store_true",
                        help="azure-legacy: answer as the 2024-06-01 seed's examples (notRunning, no bytes on create)")
    parser.add_argument("--v1-bare-errors", action="store_true",
                        help="azure-v1: error fields bare, not wrapped in {\"error\": ...}")
    parser.add_argument("--tls-cert", help="serve https with this certificate (PEM)")
    parser.add_argument("--tls-key", help="the certificate's private key (PEM)")
    arguments = parser.parse_args()
    if bool(arguments.tls_cert) != bool(arguments.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    context = None
    if arguments.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(arguments.tls_cert, arguments.tls_key)
    upstream = RecordingUpstream(arguments)

    def listening(port: int) -> None:
        upstream.port = port

    try:
        run(upstream.handle_connection, arguments, ssl_context=context, on_listening=listening)
    finally:
        upstream.cleanup()


if __name__ == "__main__":
    main()
