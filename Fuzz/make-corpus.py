#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora, Fuzz/Corpus/<target>/, from the API seed documents and the captured
create requests in Tests/FilegateWireTests/Fixtures/.

    python3 Fuzz/make-corpus.py SEEDS_FOLDER

SEEDS_FOLDER holds the seed documents (openai-files-and-uploads.txt, azure-*.txt): their request lines and JSON
examples become requests, dialect request targets, multipart forms and upstream answers. Each target's folder is
emptied and written again, so the corpora are a function of the documents; the files are committed, so the tests
that replay them need neither this script nor the documents.
"""

import json
import pathlib
import re
import shutil
import sys

FUZZ = pathlib.Path(__file__).resolve().parent
FIXTURES = FUZZ.parent / "Tests" / "FilegateWireTests" / "Fixtures"
ROOTS = {"openai-request": "/v1/files", "azure-v1-request": "/openai/v1/files", "azure-legacy-request": "/openai/files"}
# The head chunked-body inputs are appended to: FuzzHarness's ChunkedBodyChecks.head.
CHUNKED_HEAD = b"POST /v1/files HTTP/1.1\r\nHost: fuzz\r\nTransfer-Encoding: chunked\r\n\r\n"


def json_examples(text):
    """Every JSON object in a document that json can read, in order, each once."""
    decoder = json.JSONDecoder()
    found = []
    for match in re.finditer(r"\{", text):
        try:
            value, _ = decoder.raw_decode(text[match.start():])
        except ValueError:
            continue
        if isinstance(value, dict) and value not in found:
            found.append(value)
    return found


def request_lines(text):
    """(method, target) of every request line in a document, `{endpoint}` and scheme and host dropped, ids filled."""
    ids = re.findall(r"file-[0-9a-f]{8,}", text) or ["file-abc123"]
    lines = []
    for method, url in re.findall(r"^(GET|POST|DELETE|get|post|delete)\s+(\S+)$", text, re.MULTILINE):
        target = re.sub(r"^(\{endpoint\}|https?://[^/]+)", "", url)
        target = re.sub(r"\{file[-_]id\}", ids[0], target)
        if target.startswith("/files"):
            target = "/v1" + target
        if (method.upper(), target) not in lines:
            lines.append((method.upper(), target))
    return lines


def chunked(body, size, extension=b"", trailers=b""):
    out = b""
    for start in range(0, len(body), size):
        piece = body[start:start + size]
        out += b"%x%s\r\n%s\r\n" % (len(piece), extension, piece)
    return out + b"0\r\n" + trailers + b"\r\n"


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    seeds = pathlib.Path(sys.argv[1])
    texts = [path.read_text() for path in sorted(seeds.glob("*.txt"))]
    examples = [example for text in texts for example in json_examples(text)]
    lines = [line for text in texts for line in request_lines(text)]
    captures = {path.stem: path.read_bytes() for path in sorted(FIXTURES.glob("*.http"))}
    corpus = {}

    def add(target, name, data):
        corpus.setdefault(target, {})[name] = data if isinstance(data, bytes) else data.encode()

    # request-parser: every seed request line as a client sends it, the captured creates, and framing variants.
    for index, (method, target) in enumerate(lines):
        head = f"{method} {target} HTTP/1.1\r\nHost: filegate.local:8080\r\napi-key: k\r\nAccept: */*\r\n\r\n"
        add("request-parser", f"seed-{index:02}-{method.lower()}", head)
    for name, capture in captures.items():
        add("request-parser", name, capture)
        head, _, body = capture.partition(b"\r\n\r\n")
        head = re.sub(rb"Content-Length: \d+", b"Transfer-Encoding: chunked", head)
        add("request-parser", name + "-chunked", head + b"\r\n\r\n" + chunked(body, 64, b";n=v", b"X-Sum: 1\r\n"))
    add("request-parser", "pipelined", b"GET /v1/files HTTP/1.1\r\nHost: a\r\n\r\n"
        b"DELETE /v1/files/file-abc HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n")
    add("request-parser", "http10", b"GET /openai/files?api-version=2024-06-01 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    add("request-parser", "empty-lines-first", b"\r\n\r\nGET /v1/files HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n")

    # chunked-body: seed answers and the captured bodies in chunks of several sizes, with extensions and trailers.
    bodies = [json.dumps(example).encode() for example in examples]
    bodies += [capture.partition(b"\r\n\r\n")[2] for capture in captures.values()]
    for index, body in enumerate(bodies):
        size = (7, 64, 1000)[index % 3]
        add("chunked-body", f"body-{index:02}", chunked(body, size, b";ext=\"q\"" if index % 2 else b""))
    add("chunked-body", "empty", b"0\r\n\r\n")
    add("chunked-body", "trailers", b"3\r\nabc\r\n0\r\nChecksum: x\r\nX-A: b\r\n\r\n")

    # Dialect requests: `METHOD rest` under each root, from the seed lines and the list parameters.
    for target_name, root in ROOTS.items():
        rests = {(method, target[len(root):]) for method, target in lines
                 if target.startswith(root) and target[len(root):][:1] in ("", "/", "?")}
        rests |= {("GET", "?limit=2&order=asc&after=file-abc&purpose=batch"), ("POST", ""), ("GET", "/file-abc/content"),
                  ("DELETE", "/file-abc"), ("GET", "/file%2Dabc"), ("PUT", "/file-abc")}
        if target_name == "azure-v1-request":
            rests |= {("GET", "?api-version=preview"), ("POST", "?api-version=v1")}
        if target_name == "azure-legacy-request":
            rests |= {("GET", "?api-version=2024-10-21"), ("DELETE", "/file-abc?api-version=2024-05-01-preview"),
                      ("GET", "?api-version=2022-12-01&purpose=fine-tune")}
        for index, (method, rest) in enumerate(sorted(rests)):
            add(target_name, f"seed-{index:02}", f"{method} {rest}")

    # multipart-form: `Content-Type LF body` from the captured creates, and the file part first.
    for name, capture in captures.items():
        head, _, body = capture.partition(b"\r\n\r\n")
        content_type = re.search(rb"Content-Type: ([^\r]+)", head).group(1)
        add("multipart-form", name, content_type + b"\n" + body)
    add("multipart-form", "file-first", b'multipart/form-data; boundary="b 1"\n'
        b'--b 1\r\nContent-Disposition: form-data; name="file"; filename="a\\"b.jsonl"\r\n\r\n{}\r\n'
        b'--b 1\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nfine-tune\r\n--b 1--\r\n')

    # upstream-answer: every seed JSON example, lists and deletions built from its file objects, error bodies of
    # each shape (DESIGN.md "Errors"), Azure v1's bare error, and a non-JSON body.
    files = [example for example in examples if "id" in example and "filename" in example]
    answers = list(examples)
    answers.append({"object": "list", "data": files, "has_more": False, "first_id": None, "last_id": None})
    answers.append({"id": "file-abc", "object": "file", "deleted": True})
    answers.append({"error": {"message": "No such File object: file-abc", "type": "invalid_request_error",
                              "param": "id", "code": None}})
    answers.append({"error": {"code": "404", "message": "File not found.", "param": None, "type": "invalid_request_error",
                              "inner_error": None}})
    answers.append({"error": {"code": "notFound", "message": "File not found.", "target": "file-id", "details": [],
                              "innererror": None}})
    answers.append({"code": 429, "message": "Too many requests."})
    for index, answer in enumerate(answers):
        add("upstream-answer", f"answer-{index:02}", json.dumps(answer, indent=index % 2 or None))
    add("upstream-answer", "html-503", "<html><body>503 Service Unavailable</body></html>")

    # file-list-stream: the dated API's list answer, whole, pretty-printed, empty, with extra members.
    add("file-list-stream", "list", json.dumps({"data": files, "object": "list"}))
    add("file-list-stream", "list-pretty", json.dumps({"object": "list", "data": files}, indent=2))
    add("file-list-stream", "empty", '{"data": [], "object": "list"}')
    add("file-list-stream", "extra-members", json.dumps({"x": {"y": [1, "]}"]}, "data": files[:1], "n": -1.5e3}))

    for target, entries in corpus.items():
        folder = FUZZ / "Corpus" / target
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for name, data in entries.items():
            (folder / name).write_bytes(data)
        print(f"{target}: {len(entries)} files")


if __name__ == "__main__":
    main()
