"""Test images made with Pillow: photos with EXIF, screenshots, their payloads."""

from __future__ import annotations

import base64
import io

from PIL import Image

MAKE = 0x010F
MODEL = 0x0110
ORIENTATION = 0x0112
GPS_IFD = 0x8825


def photo(
    size: tuple[int, int], fmt: str = "JPEG", orientation: int = 1, noise: int = 24
) -> bytes:
    """A gradient picture with a camera's EXIF (make, model, GPS, orientation)."""
    red = Image.linear_gradient("L").resize(size)
    green = Image.radial_gradient("L").resize(size)
    blue = Image.effect_noise(size, noise).convert("L") if noise else red
    image = Image.merge("RGB", (red, green, blue))
    exif = Image.Exif()
    exif[MAKE] = "PhoneMaker"
    exif[MODEL] = "Pocket 12"
    exif[ORIENTATION] = orientation
    exif.get_ifd(GPS_IFD)[2] = (52.0, 22.0, 1.5)
    buffer = io.BytesIO()
    options = {"quality": 92} if fmt == "JPEG" else {}
    image.save(buffer, format=fmt, exif=exif.tobytes(), **options)
    return buffer.getvalue()


def plain_png(size: tuple[int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def opened(payload: str) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(payload)))
