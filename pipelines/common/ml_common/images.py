"""Check that bytes really are an acceptable image before anything decodes them fully.

The format is sniffed from the magic bytes (the file name and Content-Type are not trusted),
Pillow may only open that format, the declared dimensions are checked against a pixel budget
before decoding (decompression bombs), ``Image.verify`` checks the structure, and the image
is decoded once with Pillow's own bomb guard turned into an error.
"""

from __future__ import annotations

import io
import os
import warnings

from PIL import Image

from ml_common.errors import ImageError

DEFAULT_MAX_PIXELS = 25_000_000  # 5000 x 5000
MIN_SIDE = 8

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
)


def sniff_format(data: bytes) -> str | None:
    """The image format the leading bytes announce, or None."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    for magic, fmt in _MAGIC:
        if data.startswith(magic):
            return fmt
    return None


def max_pixels_from_env() -> int:
    raw = os.environ.get("IMAGE_MAX_PIXELS", "")
    return int(raw) if raw.isdigit() else DEFAULT_MAX_PIXELS


def load_image(data: bytes, max_pixels: int | None = None) -> Image.Image:
    """Decode ``data`` as an image, or raise ImageError with the reason."""
    budget = max_pixels or max_pixels_from_env()
    if not data:
        raise ImageError("not an image: the content is empty")
    fmt = sniff_format(data)
    if fmt is None:
        raise ImageError(
            "not an image: unrecognised content (expected PNG, JPEG, GIF, BMP, TIFF or WEBP)"
        )
    # Pillow's own guard, on top of the explicit check below: over 2x this is an error.
    Image.MAX_IMAGE_PIXELS = budget
    try:
        with warnings.catch_warnings():
            # The header is read here; the explicit check below gives the clearer message.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data), formats=[fmt])
        width, height = probe.size
        if width * height > budget:
            raise ImageError(
                f"image refused: {width}x{height} is more than {budget} pixels "
                "(possible decompression bomb)"
            )
        if min(width, height) < MIN_SIDE:
            raise ImageError(f"image refused: {width}x{height} is smaller than {MIN_SIDE} pixels")
        probe.verify()
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[fmt])
            image.load()
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError(f"image refused: possible decompression bomb ({exc})") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageError(f"not a valid {fmt} image: {exc}") from exc
    return image
