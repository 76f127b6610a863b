"""Fetch a user-given link without becoming an SSRF proxy.

``s3://bucket/key`` is read with boto3. ``http(s)://`` links are resolved once; every address
must be public (not private, loopback, link-local, multicast, reserved, unspecified or shared)
unless the host name or the address is allow-listed (``LINK_ALLOWLIST``: comma-separated host
names and CIDRs). Cloud metadata addresses are refused even when allow-listed. The connection
goes to the address that was checked (no second DNS lookup, so no DNS rebinding); redirects are
followed by hand and each target is checked again; the body is capped in size and time.
"""

from __future__ import annotations

import http.client
import ipaddress
import os
import socket
import ssl
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from botocore.exceptions import BotoCoreError, ClientError

from ml_common.aws import client, split_s3_uri
from ml_common.errors import LinkError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_TIMEOUT = 15.0
MAX_REDIRECTS = 3
MAX_URL_CHARS = 2048
CHUNK = 64 * 1024
# Instance/task metadata endpoints (EC2 IMDS v4 and v6, ECS task metadata): never reachable.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "169.254.170.2")
)


@dataclass(frozen=True)
class Allowlist:
    hosts: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = field(default_factory=tuple)

    @classmethod
    def parse(cls, value: str | None) -> Allowlist:
        """``"files.internal, 10.1.0.0/16, 127.0.0.1"`` -> hosts and networks."""
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for raw in (value or "").split(","):
            entry = raw.strip().lower()
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                hosts.add(entry.rstrip("."))
        return cls(frozenset(hosts), tuple(networks))

    @classmethod
    def from_env(cls) -> Allowlist:
        return cls.parse(os.environ.get("LINK_ALLOWLIST"))

    def allows(self, host: str, ip: IPAddress) -> bool:
        return host.lower().rstrip(".") in self.hosts or any(ip in n for n in self.networks)


def is_forbidden_address(ip: IPAddress) -> bool:
    """True for any address a user link must not reach without an allowlist entry."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return is_forbidden_address(ip.ipv4_mapped)
    return not ip.is_global or ip.is_multicast or ip.is_reserved or ip in METADATA_ADDRESSES


def check_address(host: str, ip: IPAddress, allowlist: Allowlist) -> None:
    mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
    if ip in METADATA_ADDRESSES or (mapped is not None and mapped in METADATA_ADDRESSES):
        raise LinkError(f"link refused: {host} resolves to a metadata address ({ip})")
    if is_forbidden_address(ip) and not allowlist.allows(host, ip):
        raise LinkError(
            f"link refused: {host} resolves to a non-public address ({ip}); "
            "add it to LINK_ALLOWLIST if it is a trusted source"
        )


def resolve(host: str, port: int, allowlist: Allowlist) -> IPAddress:
    """Resolve ``host`` and check every address; return the one to connect to."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise LinkError(f"link refused: cannot resolve host {host!r}") from exc
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not addresses:
        raise LinkError(f"link refused: host {host!r} has no address")
    for ip in addresses:
        check_address(host, ip, allowlist)
    return addresses[0]


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, ip: IPAddress, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._ip = str(ip)

    def connect(self) -> None:
        self.sock = socket.create_connection((self._ip, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, ip: IPAddress, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._ip = str(ip)

    def connect(self) -> None:
        sock = socket.create_connection((self._ip, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def _read_capped(stream: Any, max_bytes: int, deadline: float, what: str) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        if time.monotonic() > deadline:
            raise LinkError(f"link refused: {what} took longer than the time limit")
        chunk = stream.read(CHUNK)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > max_bytes:
            raise LinkError(f"link refused: {what} is larger than {max_bytes} bytes")
        chunks.append(chunk)


def _fetch_http(url: str, allowlist: Allowlist, max_bytes: int, timeout: float) -> bytes:
    deadline = time.monotonic() + timeout
    for _ in range(MAX_REDIRECTS + 1):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise LinkError(f"link refused: redirect to an unsupported URL {url[:200]!r}")
        if parts.username or parts.password:
            raise LinkError("link refused: credentials in the URL are not accepted")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as exc:
            raise LinkError(f"link refused: invalid port in {url[:200]!r}") from exc
        ip = resolve(parts.hostname, port, allowlist)
        conn_cls = _PinnedHTTPS if parts.scheme == "https" else _PinnedHTTP
        conn = conn_cls(parts.hostname, port, ip, timeout)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            conn.request(
                "GET", path, headers={"User-Agent": "atelier-pipeline/1", "Accept": "image/*"}
            )
            resp = conn.getresponse()
            if resp.status in (301, 302, 303, 307, 308):
                location = resp.getheader("Location")
                if not location:
                    raise LinkError(f"link refused: HTTP {resp.status} without a Location")
                url = urljoin(url, location)
                continue
            if resp.status != 200:
                raise LinkError(f"link could not be fetched: HTTP {resp.status}")
            length = resp.getheader("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise LinkError(f"link refused: content is larger than {max_bytes} bytes")
            return _read_capped(resp, max_bytes, deadline, "the download")
        except (OSError, http.client.HTTPException) as exc:
            raise LinkError(f"link could not be fetched: {type(exc).__name__}: {exc}") from exc
        finally:
            conn.close()
    raise LinkError(f"link refused: more than {MAX_REDIRECTS} redirects")


def _fetch_s3(url: str, max_bytes: int) -> bytes:
    try:
        bucket, key = split_s3_uri(url)
    except ValueError as exc:
        raise LinkError(f"link refused: {exc}") from exc
    s3 = client("s3")
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
        if int(head.get("ContentLength", 0)) > max_bytes:
            raise LinkError(f"link refused: object is larger than {max_bytes} bytes")
        body = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{max_bytes}")["Body"]
        data: bytes = body.read(max_bytes + 1)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "error")
        raise LinkError(f"link could not be fetched: s3 object {url[:200]} ({code})") from exc
    except BotoCoreError as exc:
        raise LinkError(f"link could not be fetched: {exc}") from exc
    if len(data) > max_bytes:
        raise LinkError(f"link refused: object is larger than {max_bytes} bytes")
    return data


def _rules(allowlist: Allowlist | str | None) -> Allowlist:
    if isinstance(allowlist, Allowlist):
        return allowlist
    return Allowlist.parse(allowlist) if allowlist is not None else Allowlist.from_env()


def check_link(url: str, allowlist: Allowlist | str | None = None) -> str:
    """Refuse a link early (e.g. in the API's lambda, before a task starts) without fetching
    it: the same scheme, form and address rules as ``fetch_link``. Returns the scheme. The
    task still checks again when it fetches (DNS may change in between)."""
    if not isinstance(url, str) or not url.strip():
        raise LinkError("link refused: empty link")
    if len(url) > MAX_URL_CHARS:
        raise LinkError(f"link refused: longer than {MAX_URL_CHARS} characters")
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme == "s3":
        try:
            split_s3_uri(url.strip())
        except ValueError as exc:
            raise LinkError(f"link refused: {exc}") from exc
        return scheme
    if scheme not in ("http", "https"):
        raise LinkError(
            f"link refused: scheme {scheme or '(none)'!r} is not one of s3, http, https"
        )
    if not parts.hostname:
        raise LinkError("link refused: no host")
    if parts.username or parts.password:
        raise LinkError("link refused: credentials in the URL are not accepted")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:
        raise LinkError("link refused: invalid port") from exc
    resolve(parts.hostname, port, _rules(allowlist))
    return scheme


def fetch_link(
    url: str,
    allowlist: Allowlist | str | None = None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    timeout: float = DEFAULT_TIMEOUT,
) -> bytes:
    """The bytes behind ``url`` (``s3://``, ``http://``, ``https://``), or LinkError saying why
    not. ``allowlist`` defaults to ``$LINK_ALLOWLIST``."""
    if not isinstance(url, str) or not url.strip():
        raise LinkError("link refused: empty link")
    if len(url) > MAX_URL_CHARS:
        raise LinkError(f"link refused: longer than {MAX_URL_CHARS} characters")
    rules = (
        allowlist
        if isinstance(allowlist, Allowlist)
        else (Allowlist.parse(allowlist) if allowlist is not None else Allowlist.from_env())
    )
    scheme = urlsplit(url.strip()).scheme.lower()
    if scheme == "s3":
        return _fetch_s3(url.strip(), max_bytes)
    if scheme in ("http", "https"):
        return _fetch_http(url.strip(), rules, max_bytes, timeout)
    raise LinkError(f"link refused: scheme {scheme or '(none)'!r} is not one of s3, http, https")
