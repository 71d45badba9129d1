"""A phone photo of a receipt: 4032x3024 JPEG with the camera's EXIF and GPS."""

from __future__ import annotations

import base64
import io
from typing import Any

from PIL import Image, ImageDraw

SIZE = (4032, 3024)


def jpeg() -> bytes:
    """A 12-megapixel photo: paper on a table, sensor noise, camera metadata."""
    table = Image.linear_gradient("L").resize(SIZE).convert("RGB")
    noise = Image.effect_noise(SIZE, 18).convert("RGB")
    picture = Image.blend(table, noise, 0.25)
    draw = ImageDraw.Draw(picture)
    draw.rectangle((1100, 300, 2900, 2800), fill=(236, 232, 224))
    for row in range(24):
        top = 420 + row * 95
        draw.rectangle(
            (1250, top, 1250 + 900 + (row * 37) % 500, top + 28), fill=(60, 60, 60)
        )
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0110] = "Pocket 15 Pro"
    exif[0x0112] = 1
    exif.get_ifd(0x8825)[2] = (48.0, 8.0, 12.5)
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=92, exif=exif.tobytes())
    return buffer.getvalue()


def request() -> dict[str, Any]:
    url = "data:image/jpeg;base64," + base64.b64encode(jpeg()).decode("ascii")
    content = [
        {"type": "text", "text": "What is the total on this receipt, and the VAT?"},
        {"type": "image_url", "image_url": {"url": url, "detail": "high"}},
    ]
    return {"model": "gpt-4o", "messages": [{"role": "user", "content": content}]}
