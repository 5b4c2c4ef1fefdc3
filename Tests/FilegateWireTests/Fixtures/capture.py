"""Captures one create request, byte for byte, as curl or the openai SDK (httpx) sends it.

Listens on 127.0.0.1, reads one request head and its Content-Length body, writes both unchanged to OUTPUT,
answers a file object and exits. See README.md in this folder for the commands that made the fixtures.

    python3 capture.py OUTPUT PORT
"""

import socket
import sys

ANSWER = (
    b'{"id": "file-abc123", "object": "file", "bytes": 40, "created_at": 1700000000,'
    b' "filename": "cut \\"here\\".jsonl", "purpose": "batch", "status": "processed"}'
)


def main() -> None:
    output, port = sys.argv[1], int(sys.argv[2])
    with socket.create_server(("127.0.0.1", port)) as server:
        connection, _ = server.accept()
        with connection:
            data = b""
            while b"\r\n\r\n" not in data:
                data += connection.recv(65536)
            head, _, body = data.partition(b"\r\n\r\n")
            lines = head.split(b"\r\n")[1:]
            fields = {k.strip().lower(): v.strip() for k, _, v in (line.partition(b":") for line in lines)}
            if fields.get(b"expect", b"").lower() == b"100-continue":
                connection.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            length = int(fields[b"content-length"])
            while len(body) < length:
                body += connection.recv(65536)
            with open(output, "wb") as file:
                file.write(head + b"\r\n\r\n" + body)
            connection.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                + b"Content-Length: %d\r\n\r\n" % len(ANSWER)
                + ANSWER
            )


if __name__ == "__main__":
    main()
