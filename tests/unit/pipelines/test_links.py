from __future__ import annotations

import io
import ipaddress
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from PIL import Image

from ml_common.errors import LinkError
from ml_common.links import Allowlist, check_link, fetch_link, is_forbidden_address


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), "white").save(buf, format="PNG")
    return buf.getvalue()


PNG = _png()


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        routes = {
            "/img.png": (200, {}, PNG),
            "/to-metadata": (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b""),
            "/to-file": (302, {"Location": "file:///etc/passwd"}, b""),
            "/to-img": (302, {"Location": "/img.png"}, b""),
            "/loop": (302, {"Location": "/loop"}, b""),
            "/big": (200, {}, b"x" * 5000),
            "/missing": (404, {}, b"no"),
        }
        if self.path == "/slow":
            self.send_response(200)
            self.end_headers()
            for _ in range(20):
                self.wfile.write(b"x" * 10)
                self.wfile.flush()
                time.sleep(0.1)
            return
        status, headers, body = routes.get(self.path, (404, {}, b""))
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/x.png",
        "http://localhost/x.png",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/latest/",
        "http://10.0.0.1/x.png",
        "http://192.168.1.1/x.png",
        "http://[::1]/x.png",
        "http://[::ffff:127.0.0.1]/x.png",
        "http://0.0.0.0/x.png",
        "http://224.0.0.1/x.png",
        "http://100.64.0.1/x.png",
    ],
)
def test_non_public_addresses_are_refused(url: str) -> None:
    with pytest.raises(LinkError, match="refused"):
        fetch_link(url, allowlist="")


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.com/x", "gopher://x", "", "x" * 3000]
)
def test_other_schemes_and_garbage_are_refused(url: str) -> None:
    with pytest.raises(LinkError, match="refused"):
        fetch_link(url, allowlist="")


def test_metadata_is_refused_even_when_its_network_is_allowed() -> None:
    with pytest.raises(LinkError, match="metadata"):
        fetch_link("http://169.254.169.254/", allowlist="169.254.0.0/16")


def test_loopback_refused_then_allowed_by_cidr_or_host(server: str) -> None:
    with pytest.raises(LinkError, match="non-public"):
        fetch_link(f"{server}/img.png", allowlist="")
    assert fetch_link(f"{server}/img.png", allowlist="127.0.0.0/8") == PNG
    assert fetch_link(f"{server}/img.png", allowlist="127.0.0.1") == PNG
    local = server.replace("127.0.0.1", "localhost")
    assert fetch_link(f"{local}/img.png", allowlist="localhost,127.0.0.1") == PNG


def test_allowlist_from_env(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINK_ALLOWLIST", " 10.0.0.0/8 , 127.0.0.1 ")
    assert fetch_link(f"{server}/img.png") == PNG
    monkeypatch.setenv("LINK_ALLOWLIST", "10.0.0.0/8")
    with pytest.raises(LinkError):
        fetch_link(f"{server}/img.png")


def test_redirects_are_checked_again(server: str) -> None:
    allow = "127.0.0.1"
    assert fetch_link(f"{server}/to-img", allowlist=allow) == PNG
    with pytest.raises(LinkError, match="metadata"):
        fetch_link(f"{server}/to-metadata", allowlist=allow)
    with pytest.raises(LinkError, match="unsupported URL"):
        fetch_link(f"{server}/to-file", allowlist=allow)
    with pytest.raises(LinkError, match="redirects"):
        fetch_link(f"{server}/loop", allowlist=allow)


def test_size_time_and_status_limits(server: str) -> None:
    allow = "127.0.0.1"
    with pytest.raises(LinkError, match="larger than 1000 bytes"):
        fetch_link(f"{server}/big", allowlist=allow, max_bytes=1000)
    with pytest.raises(LinkError, match=r"time limit|timed out"):
        fetch_link(f"{server}/slow", allowlist=allow, timeout=0.5)
    with pytest.raises(LinkError, match="HTTP 404"):
        fetch_link(f"{server}/missing", allowlist=allow)


def test_credentials_in_url_are_refused(server: str) -> None:
    with pytest.raises(LinkError, match="credentials"):
        fetch_link(server.replace("http://", "http://u:p@") + "/img.png", allowlist="127.0.0.1")


def test_s3_links(aws: dict[str, Any]) -> None:
    aws["s3"].put_object(Bucket=aws["INPUTS_BUCKET"], Key="a/b.png", Body=PNG)
    assert fetch_link(f"s3://{aws['INPUTS_BUCKET']}/a/b.png") == PNG
    with pytest.raises(LinkError, match="larger than"):
        fetch_link(f"s3://{aws['INPUTS_BUCKET']}/a/b.png", max_bytes=10)
    with pytest.raises(LinkError, match="could not be fetched"):
        fetch_link(f"s3://{aws['INPUTS_BUCKET']}/nope.png")
    with pytest.raises(LinkError, match="bucket and a key"):
        fetch_link("s3://only-bucket")


def test_address_classification() -> None:
    assert not is_forbidden_address(ipaddress.ip_address("93.184.216.34"))
    assert is_forbidden_address(ipaddress.ip_address("172.16.0.5"))
    assert Allowlist.parse("a.example, 10.0.0.0/8").allows(
        "A.example.", ipaddress.ip_address("1.1.1.1")
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://169.254.169.254/latest/", "metadata"),
        ("http://127.0.0.1/x.png", "non-public"),
        ("http://10.0.0.1/x.png", "non-public"),
        ("file:///etc/passwd", "scheme"),
        ("s3://bucket-only", "bucket and a key"),
        ("http://u:p@example.com/x", "credentials"),
        ("http://:80/x", "no host"),
        ("", "empty"),
    ],
)
def test_check_link_refuses_without_fetching(url: str, message: str) -> None:
    with pytest.raises(LinkError, match=message):
        check_link(url, allowlist="")


def test_check_link_accepts_good_links() -> None:
    assert check_link("s3://inputs/images/a.png", allowlist="") == "s3"
    assert check_link("http://127.0.0.1:8000/a.png", allowlist="127.0.0.1") == "http"
