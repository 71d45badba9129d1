"""Image optimization: inline images shrunk to what the model looks at.

Base64 images (OpenAI `image_url` data URLs, Anthropic `image` blocks, also
inside tool results) are turned upright, scaled down to the largest size
the target model uses, re-encoded without EXIF, XMP or comments (the colour
profile stays) and kept only when smaller. Remote URLs are never fetched.
"""

from __future__ import annotations

import base64
import binascii
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError

from appliance.compression import vision
from appliance.compression.options import CompressionOptions
from appliance.compression.result import StepResult
from appliance.tokens import TokenCounter

MEDIA_TYPES = MappingProxyType(
    {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
)
ORIENTATION = 0x0112
SIDEWAYS = frozenset({5, 6, 7, 8})
JPEG_QUALITY = 85
DECODE_ERRORS = (binascii.Error, UnidentifiedImageError, OSError, ValueError)

Shrink = Callable[[str, str, str | None], tuple[str, str] | None]


@dataclass
class _Optimizer:
    """Shrinks the images of one request and keeps the byte counts."""

    protocol: str
    model: str
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("images_optimized", "bytes_before", "bytes_after"), 0
        )
    )

    def shrink(
        self, media: str, payload: str, detail: str | None
    ) -> tuple[str, str] | None:
        """(media type, base64) of a smaller image, or None to keep this one."""
        try:
            data = base64.b64decode(payload, validate=False)
            with Image.open(io.BytesIO(data)) as image:
                encoded = self._reencode(image, detail)
        except (*DECODE_ERRORS, Image.DecompressionBombError):
            return None
        if encoded is None or len(encoded[1]) >= len(data):
            return None
        self.counts["images_optimized"] += 1
        self.counts["bytes_before"] += len(data)
        self.counts["bytes_after"] += len(encoded[1])
        return encoded[0], base64.b64encode(encoded[1]).decode("ascii")

    def _reencode(
        self, image: Image.Image, detail: str | None
    ) -> tuple[str, bytes] | None:
        kind = image.format or ""
        if kind not in MEDIA_TYPES or getattr(image, "is_animated", False):
            return None
        sideways = image.getexif().get(ORIENTATION, 1) in SIDEWAYS
        upright = image.size[::-1] if sideways else image.size
        target = vision.target_size(self.protocol, self.model, upright, detail)
        resize = target != upright
        if not resize and not _has_metadata(image):
            return None
        if resize and kind == "JPEG":
            image.draft(image.mode, target[::-1] if sideways else target)
        turned = image.getexif().get(ORIENTATION, 1) not in (1, None)
        return MEDIA_TYPES[kind], _encode(
            image, kind, target if resize else None, turned
        )


def _has_metadata(image: Image.Image) -> bool:
    info = image.info
    if info.get("exif") or info.get("xmp") or info.get("comment"):
        return True
    return bool(getattr(image, "text", None))


def _encode(
    image: Image.Image, kind: str, target: tuple[int, int] | None, turned: bool
) -> bytes:
    options: dict[str, Any] = {}
    if image.info.get("icc_profile"):
        options["icc_profile"] = image.info["icc_profile"]
    if kind == "JPEG" and target is None and not turned:
        options.update(quality="keep", subsampling="keep")
        return _saved(image, kind, options)
    picture = ImageOps.exif_transpose(image)
    if target is not None:
        if picture.mode == "P":
            picture = picture.convert("RGBA")
        picture = picture.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
    if kind == "JPEG":
        options.update(quality=JPEG_QUALITY, optimize=True)
        if picture.mode not in ("RGB", "L", "CMYK"):
            picture = picture.convert("RGB")
    elif kind == "WEBP":
        options["quality"] = JPEG_QUALITY
    return _saved(picture, kind, options)


def _saved(image: Image.Image, kind: str, options: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=kind, **options)
    return buffer.getvalue()


def _openai_part(part: Any, shrink: Shrink) -> Any:
    if not isinstance(part, dict) or part.get("type") != "image_url":
        return part
    image = part.get("image_url")
    if not isinstance(image, dict) or not isinstance(image.get("url"), str):
        return part
    found = vision.split_data_url(image["url"])
    if found is None:
        return part
    shrunk = shrink(found[0], found[1], image.get("detail"))
    if shrunk is None:
        return part
    new_url = f"data:{shrunk[0]};base64,{shrunk[1]}"
    return {**part, "image_url": {**image, "url": new_url}}


def _anthropic_block(block: Any, shrink: Shrink) -> Any:
    if not isinstance(block, dict):
        return block
    if block.get("type") == "tool_result" and isinstance(block.get("content"), list):
        content = _parts(block["content"], shrink, _anthropic_block)
        return block if content is block["content"] else {**block, "content": content}
    source = block.get("source")
    if block.get("type") != "image" or not isinstance(source, dict):
        return block
    if source.get("type") != "base64" or not isinstance(source.get("data"), str):
        return block
    shrunk = shrink(str(source.get("media_type", "")), source["data"], None)
    if shrunk is None:
        return block
    new_source = {**source, "media_type": shrunk[0], "data": shrunk[1]}
    return {**block, "source": new_source}


def _parts(
    parts: list[Any], shrink: Shrink, visit: Callable[[Any, Shrink], Any]
) -> list[Any]:
    new = [visit(part, shrink) for part in parts]
    return parts if all(a is b for a, b in zip(new, parts, strict=True)) else new


def _messages(body: dict[str, Any], protocol: str, shrink: Shrink) -> list[Any] | None:
    messages = body.get("messages")
    if not isinstance(messages, list):
        return None
    visit = _anthropic_block if protocol == "anthropic" else _openai_part
    new = list(messages)
    for index, message in enumerate(messages):
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, list):
            parts = _parts(content, shrink, visit)
            if parts is not content:
                new[index] = {**message, "content": parts}
    return None if all(a is b for a, b in zip(new, messages, strict=True)) else new


def apply(
    body: dict[str, Any],
    protocol: str,
    counter: TokenCounter,
    model: str,
    options: CompressionOptions,
) -> StepResult:
    """Downscale and strip the request's inline images where that is smaller."""
    before = counter.count_request(protocol, body)
    optimizer = _Optimizer(protocol, model)
    messages = _messages(body, protocol, optimizer.shrink)
    if messages is None:
        return StepResult.unchanged(body, before)
    new = {**body, "messages": messages}
    after = counter.count_request(protocol, new)
    detail = dict(optimizer.counts)
    detail["bytes_saved"] = detail["bytes_before"] - detail["bytes_after"]
    return StepResult(new, True, before, after, detail)
