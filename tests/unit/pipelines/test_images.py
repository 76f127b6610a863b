from __future__ import annotations

import io

import pytest
from PIL import Image

from ml_common.errors import ImageError
from ml_common.images import load_image, sniff_format


def _encode(image: Image.Image, fmt: str) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format=fmt)
    return buf.getvalue()


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "BMP", "GIF", "TIFF"])
def test_real_images_load(fmt: str) -> None:
    data = _encode(Image.new("RGB", (40, 30), (10, 20, 30)), fmt)
    assert sniff_format(data) == fmt
    assert load_image(data).size == (40, 30)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello world",
        b"<html><body>not an image</body></html>",
        b"%PDF-1.4 ...",
        b"\x00" * 100,
    ],
)
def test_non_images_are_refused(data: bytes) -> None:
    with pytest.raises(ImageError, match="not an image"):
        load_image(data)


def test_truncated_and_mislabelled_images_are_refused() -> None:
    png = _encode(Image.new("RGB", (64, 64), "red"), "PNG")
    with pytest.raises(ImageError, match="not a valid PNG"):
        load_image(png[: len(png) // 2])
    jpeg_body_png_magic = b"\x89PNG\r\n\x1a\n" + _encode(Image.new("RGB", (20, 20)), "JPEG")
    with pytest.raises(ImageError, match="not a valid PNG"):
        load_image(jpeg_body_png_magic)


def test_decompression_bomb_is_refused_before_decoding(bomb_png: bytes) -> None:
    with pytest.raises(ImageError, match="decompression bomb"):
        load_image(bomb_png)


def test_pixel_budget_is_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _encode(Image.new("L", (100, 100)), "PNG")
    assert load_image(data, max_pixels=10_000).size == (100, 100)
    with pytest.raises(ImageError, match="more than 9999 pixels"):
        load_image(data, max_pixels=9_999)
    monkeypatch.setenv("IMAGE_MAX_PIXELS", "5000")
    with pytest.raises(ImageError, match="more than 5000 pixels"):
        load_image(data)


def test_tiny_images_are_refused() -> None:
    with pytest.raises(ImageError, match="smaller than"):
        load_image(_encode(Image.new("L", (4, 4)), "PNG"))
