"""Starts one real `filegate serve` for the session and builds openai SDK clients pointed at it.

The config is written to a temporary folder: listen on 127.0.0.1:0 (filegate logs `listening on http://ADDR` once
bound, and that line is how the tests find the port), the embedded local backend in that folder, a 1 MiB upload
limit for the 413 tests, and two clients (the demo key and another) for the two-clients auth case.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import openai
import pytest

from support import (
    DEMO_KEY,
    MAX_UPLOAD_BYTES,
    OTHER_KEY,
    PUBLIC_BASE_URL,
    environment_without_proxies,
    sdk_client,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from upstreams.fixtures import UPSTREAM_KEY  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
FILEGATE = Path(os.environ.get("FILEGATE_BINARY", REPO / ".build" / "debug" / "filegate"))
START_TIMEOUT = 20
LISTENING = re.compile(r"listening on http://(\S+)")
# Files that are the local backend's database, not stored content: left out of the "nothing stored" snapshot.
DATABASE_SUFFIXES = (".sqlite", ".sqlite3", ".db", "-wal", "-shm", "-journal")

# Every request from this process (SDK clients included) goes to 127.0.0.1, never through a proxy.
for _name in set(os.environ) - set(environment_without_proxies()):
    del os.environ[_name]


@dataclass
class Server:
    """A running filegate: where it listens, its folder, and everything it has logged so far."""

    base_url: str
    directory: Path
    process: subprocess.Popen
    lines: list[str] = field(default_factory=list)
    output_ended: threading.Event = field(default_factory=threading.Event)

    def log_text(self) -> str:
        return "".join(self.lines)

    def whole_log(self) -> str:
        """Stops filegate and returns all it logged, to its last line: what a test asserts is absent from."""
        stop_filegate(self)
        assert self.output_ended.wait(10), "filegate's output did not end after it stopped"
        return self.log_text()

    def stored_files(self) -> set[str]:
        """Every file under filegate's folder except the config and the database: content, spool, partial uploads."""
        found = set()
        for path in self.directory.rglob("*"):
            if path.is_file() and path.name != "config.json" and not path.name.endswith(DATABASE_SUFFIXES):
                found.add(str(path.relative_to(self.directory)))
        return found


def sha256_hex(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def default_config() -> dict:
    """The session filegate's config: the embedded backend, the demo client and another one."""
    return {
        "listen": "127.0.0.1:0",
        "public_base_url": PUBLIC_BASE_URL,
        "max_upload_bytes": MAX_UPLOAD_BYTES,
        "backends": [{"name": "local", "kind": "local", "directory": "data"}],
        "clients": [
            {"name": "demo", "key_sha256": sha256_hex(DEMO_KEY), "backends": ["local"], "default_backend": "local"},
            {"name": "other", "key_sha256": sha256_hex(OTHER_KEY), "backends": ["local"], "default_backend": "local"},
        ],
    }


def front_config(kind: str, endpoint: str, **backend_settings: object) -> dict:
    """A filegate whose demo client reaches one remote backend `up` of `kind` at `endpoint`, with the upstream key
    from `FG_UPSTREAM_KEY`; `backend_settings` are added to the backend's entry, those given as None left out."""
    backend = {"name": "up", "kind": kind, "endpoint": endpoint, "api_key_env": "FG_UPSTREAM_KEY"}
    backend.update({name: value for name, value in backend_settings.items() if value is not None})
    config = default_config()
    config["backends"] = [backend]
    config["clients"] = [
        {"name": "demo", "key_sha256": sha256_hex(DEMO_KEY), "backends": ["up"], "default_backend": "up"}
    ]
    return config


def start_front(directory: Path, config: dict, **environment: str) -> Server:
    """A filegate in front of a remote backend (`front_config`), given the upstream key it is configured with."""
    return start_filegate(directory, config, environment={"FG_UPSTREAM_KEY": UPSTREAM_KEY, **environment})


def start_filegate(directory: Path, config: dict | None = None, environment: dict[str, str] | None = None) -> Server:
    """Starts `filegate serve` on `config` (default: `default_config()`) written into `directory`, with the proxy
    variables removed from its environment and `environment` added."""
    if not os.access(FILEGATE, os.X_OK):
        pytest.fail(f"{FILEGATE} is missing: build it first (swift build)", pytrace=False)
    path = directory / "config.json"
    path.write_text(json.dumps(config or default_config(), indent=2))
    process = subprocess.Popen(
        [str(FILEGATE), "serve", "--config", str(path)],
        cwd=directory,
        env={**environment_without_proxies(), **(environment or {})},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    )
    server = Server(base_url="", directory=directory, process=process)
    bound = threading.Event()

    def drain() -> None:
        # Reads until filegate exits, so a chatty log never blocks it on a full pipe.
        assert process.stdout is not None
        for line in process.stdout:
            server.lines.append(line)
            match = LISTENING.search(line)
            if match and not bound.is_set():
                server.base_url = "http://" + match.group(1).rstrip(".,;'\")]")
                bound.set()
        bound.set()
        server.output_ended.set()

    threading.Thread(target=drain, name="filegate-log", daemon=True).start()
    if not bound.wait(START_TIMEOUT) or not server.base_url:
        stop_filegate(server)
        pytest.fail(
            f"filegate did not log 'listening on http://…' within {START_TIMEOUT}s "
            f"(exit code {process.poll()}); its output:\n{server.log_text()}",
            pytrace=False,
        )
    return server


def stop_filegate(server: Server) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=5)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_filegate(tmp_path_factory.mktemp("filegate"))
    try:
        yield running
    finally:
        stop_filegate(running)


@pytest.fixture(scope="session")
def base(server: Server) -> str:
    """The base URL filegate bound, e.g. http://127.0.0.1:40123."""
    return server.base_url


@pytest.fixture
def make_client(base: str) -> Callable[..., openai.OpenAI]:
    """Builds one of the three SDK set-ups from README.md against the session filegate (see `sdk_client`)."""

    def make(setup: str, api_key: str = DEMO_KEY, **options: object) -> openai.OpenAI:
        return sdk_client(base, setup, api_key=api_key, **options)

    return make
