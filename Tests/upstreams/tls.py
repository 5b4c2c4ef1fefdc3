"""Throwaway TLS material for the https upstream tests, made with the `openssl` command line.

    python3 tls.py DIRECTORY      writes the files below into DIRECTORY and prints their paths

`make_tls_material(directory)` writes a test CA (`ca.pem`, `ca.key`), a server certificate for 127.0.0.1 and
localhost signed by it (`server.pem`, `server.key`; subjectAltName IP:127.0.0.1, DNS:localhost, serverAuth), and a
second, unrelated CA (`wrong-ca.pem`) for the wrong-CA test. Keys are P-256 (quick to make); certificates are valid
for two days. The recording upstream serves https with `--tls-cert server.pem --tls-key server.key`.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

DAYS = "2"
KEY_OPTIONS = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
SERVER_EXTENSIONS = """\
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
"""


@dataclass(frozen=True)
class TLSMaterial:
    """Paths of the PEM files one make_tls_material call wrote."""

    ca_cert: Path
    ca_key: Path
    server_cert: Path
    server_key: Path
    wrong_ca_cert: Path


def _openssl(*arguments: str | Path) -> None:
    done = subprocess.run(["openssl", *map(str, arguments)], capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(map(str, arguments))} failed: {done.stderr.strip()}")


def make_ca(directory: Path, name: str, common_name: str) -> tuple[Path, Path]:
    """A self-signed CA certificate and its key: DIRECTORY/NAME.pem, DIRECTORY/NAME.key."""
    cert, key = directory / f"{name}.pem", directory / f"{name}.key"
    _openssl(
        "req", "-x509", *KEY_OPTIONS, "-keyout", key, "-out", cert, "-days", DAYS, "-subj", f"/CN={common_name}",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    )
    return cert, key


def make_server_certificate(directory: Path, ca_cert: Path, ca_key: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost signed by the CA: DIRECTORY/server.pem, DIRECTORY/server.key."""
    cert, key, request = directory / "server.pem", directory / "server.key", directory / "server.csr"
    extensions = directory / "server.ext"
    extensions.write_text(SERVER_EXTENSIONS)
    _openssl("req", *KEY_OPTIONS, "-keyout", key, "-out", request, "-subj", "/CN=127.0.0.1")
    _openssl(
        "x509", "-req", "-in", request, "-CA", ca_cert, "-CAkey", ca_key, "-CAcreateserial", "-out", cert,
        "-days", DAYS, "-extfile", extensions,
    )
    return cert, key


def make_tls_material(directory: Path) -> TLSMaterial:
    directory.mkdir(parents=True, exist_ok=True)
    ca_cert, ca_key = make_ca(directory, "ca", "filegate test CA")
    server_cert, server_key = make_server_certificate(directory, ca_cert, ca_key)
    wrong_ca_cert, _ = make_ca(directory, "wrong-ca", "filegate unrelated CA")
    return TLSMaterial(ca_cert, ca_key, server_cert, server_key, wrong_ca_cert)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: tls.py DIRECTORY")
    material = make_tls_material(Path(sys.argv[1]))
    for name, path in vars(material).items():
        print(f"{name}: {path}")
