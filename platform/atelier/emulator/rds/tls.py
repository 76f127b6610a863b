"""``rds.force_ssl``: the instance accepts TLS connections only, as on RDS.

When the instance's DB parameter group sets ``rds.force_ssl`` to ``1``, the instance's port is
served by :class:`TlsOnlyProxy` and the PostgreSQL postmaster listens on a second, unpublished
loopback port. (The PostgreSQL binaries the engine uses are built without OpenSSL, so the server
cannot terminate TLS itself.) The proxy speaks the start of PostgreSQL's wire protocol:

- ``SSLRequest``: answers ``S``, completes a TLS handshake with a self-signed certificate made
  for the instance (CN ``localhost``, SAN 127.0.0.1; RDS uses its own CA, so clients use
  ``sslmode=require``, which encrypts without verifying a CA), then relays the decrypted
  stream to the postmaster;
- ``GSSENCRequest``: answers ``N`` (no GSSAPI), as RDS does, and reads the next request;
- a plain startup message: answers the ``FATAL`` error RDS gives, ``no pg_hba.conf entry for
  host "127.0.0.1", user "<user>", database "<db>", no encryption`` (SQLSTATE 28000).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import logging
import select
import socket
import ssl
import struct
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

log = logging.getLogger("atelier.rds")
FORCE_SSL = "rds.force_ssl"
SSL_REQUEST, GSSENC_REQUEST = 80877103, 80877104


@dataclass(frozen=True)
class TlsFiles:
    cert: Path
    key: Path


def _certificate(days: int = 397) -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    san = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName(san), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def ensure(directory: Path) -> TlsFiles:
    """The instance's certificate and key (0600) in ``directory``, made once."""
    files = TlsFiles(directory / "server.crt", directory / "server.key")
    if not (files.cert.exists() and files.key.exists()):
        directory.mkdir(parents=True, exist_ok=True)
        cert, key = _certificate()
        files.key.touch(mode=0o600)
        files.key.write_bytes(key)
        files.cert.write_bytes(cert)
    return files


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("client went away")
        data += chunk
    return data


def _no_encryption(startup: bytes) -> bytes:
    """RDS's answer to a startup message without TLS, as a PostgreSQL ErrorResponse."""
    fields = startup[4:].split(b"\0")  # after the protocol version: key, value, ..., ""
    params = dict(zip(fields[0::2], fields[1::2], strict=False))
    user = params.get(b"user", b"").decode(errors="replace")
    db = params.get(b"database", b"").decode(errors="replace") or user
    message = (
        f'no pg_hba.conf entry for host "127.0.0.1", user "{user}", database "{db}", no encryption'
    )
    body = (
        b"".join(
            code + text.encode() + b"\0"
            for code, text in ((b"S", "FATAL"), (b"V", "FATAL"), (b"C", "28000"), (b"M", message))
        )
        + b"\0"
    )
    return b"E" + struct.pack("!I", len(body) + 4) + body


def _relay(tls: ssl.SSLSocket, backend: socket.socket) -> None:
    """Both directions in one thread (an SSL object is not used from two threads at once)."""
    while True:
        ready = [tls] if tls.pending() else select.select([tls, backend], [], [], 300)[0]
        if not ready:
            return
        for sock in ready:
            data = sock.recv(65536)
            if not data:
                return
            (backend if sock is tls else tls).sendall(data)


class TlsOnlyProxy:
    """Listens on 127.0.0.1:``port``; relays TLS connections to 127.0.0.1:``backend_port``."""

    def __init__(self, port: int, backend_port: int, files: TlsFiles) -> None:
        self.port, self.backend_port = port, backend_port
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.minimum_version = ssl.TLSVersion.TLSv1_2
        self.context.load_cert_chain(files.cert, files.key)
        self.listener = socket.create_server(("127.0.0.1", port))
        self._closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True, name=f"rds-tls-{port}").start()

    def close(self) -> None:
        self._closed.set()
        with contextlib.suppress(OSError):
            self.listener.close()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with contextlib.ExitStack() as stack:
            stack.enter_context(conn)
            try:
                conn.settimeout(30)
                length, code = struct.unpack("!II", _recv_exact(conn, 8))
                if code == GSSENC_REQUEST:
                    conn.sendall(b"N")
                    length, code = struct.unpack("!II", _recv_exact(conn, 8))
                if code != SSL_REQUEST:
                    rest = _recv_exact(conn, max(length - 8, 0)) if length < 10_000 else b""
                    conn.sendall(_no_encryption(struct.pack("!I", code) + rest))
                    return
                conn.sendall(b"S")
                tls = stack.enter_context(self.context.wrap_socket(conn, server_side=True))
                backend = stack.enter_context(
                    socket.create_connection(("127.0.0.1", self.backend_port), timeout=10)
                )
                tls.settimeout(None)
                backend.settimeout(None)
                _relay(tls, backend)
            except (OSError, ConnectionError, struct.error, ssl.SSLError) as exc:
                log.debug("RDS TLS proxy on %d: connection ended: %s", self.port, exc)
