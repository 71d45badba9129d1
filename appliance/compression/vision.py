"""Each provider's published image rules: the size a model looks at, its cost.

OpenAI tile models fit an image in 2048x2048, then bring the shortest side
down to 768 and bill 512-pixel tiles; its patch models bill 32-pixel patches
up to 1536 of them. Anthropic scales to a 1568 long edge and ~1.15 megapixels
and bills width x height / 750.
"""

from __future__ import annotations

import base64
import binascii
import io
import math
import re
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

OPENAI_BOX = 2048
OPENAI_SHORT_SIDE = 768
OPENAI_LOW_BOX = 512
OPENAI_TILE = 512
PATCH = 32
PATCH_CAP = 1536
ANTHROPIC_LONG_EDGE = 1568
ANTHROPIC_MAX_PIXELS = int(1.15 * 1024 * 1024)
ANTHROPIC_PIXELS_PER_TOKEN = 750
UNKNOWN_SIZE = (1024, 1024)
HEAD_CHARS = 128 * 1024
EPSILON = 1e-6
DATA_URL = re.compile(r"data:(?P<media>[\w.+-]+/[\w.+-]+);base64,", re.ASCII)


@dataclass(frozen=True)
class TileRule:
    base: int
    tile: int


@dataclass(frozen=True)
class PatchRule:
    multiplier: float


OPENAI_RULES: tuple[tuple[str, TileRule | PatchRule], ...] = (
    ("gpt-4o-mini", TileRule(2833, 5667)),
    ("gpt-4.1-mini", PatchRule(1.62)),
    ("gpt-4.1-nano", PatchRule(2.46)),
    ("gpt-5-mini", PatchRule(1.62)),
    ("gpt-5-nano", PatchRule(2.46)),
    ("o4-mini", PatchRule(1.72)),
    ("gpt-5", TileRule(70, 140)),
    ("o1", TileRule(75, 150)),
    ("o3", TileRule(75, 150)),
)
OPENAI_DEFAULT_RULE = TileRule(85, 170)


def openai_rule(model: str) -> TileRule | PatchRule:
    """The image rule of an OpenAI model; GPT-4o's for models not listed."""
    name = model.lower().removeprefix("ft:")
    for prefix, rule in OPENAI_RULES:
        if name.startswith(prefix):
            return rule
    return OPENAI_DEFAULT_RULE


def target_size(
    protocol: str, model: str, size: tuple[int, int], detail: str | None = None
) -> tuple[int, int]:
    """The largest size the model uses; never larger than `size`."""
    if protocol == "anthropic":
        return _anthropic_target(size)
    rule = openai_rule(model)
    if isinstance(rule, PatchRule):
        return _patch_target(size)
    if detail == "low":
        return _fit(size, OPENAI_LOW_BOX)
    return _tile_target(size)


def image_tokens(
    protocol: str, model: str, size: tuple[int, int], detail: str | None = None
) -> int:
    """Prompt tokens the provider bills for one image of `size`."""
    width, height = target_size(protocol, model, size, detail)
    if protocol == "anthropic":
        return math.ceil(width * height / ANTHROPIC_PIXELS_PER_TOKEN)
    rule = openai_rule(model)
    if isinstance(rule, PatchRule):
        patches = math.ceil(width / PATCH) * math.ceil(height / PATCH)
        return math.ceil(min(patches, PATCH_CAP) * rule.multiplier)
    if detail == "low":
        return rule.base
    tiles = math.ceil(width / OPENAI_TILE) * math.ceil(height / OPENAI_TILE)
    return rule.base + rule.tile * tiles


def split_data_url(url: str) -> tuple[str, str] | None:
    """(media type, base64 payload) of a base64 data URL, or None."""
    match = DATA_URL.match(url)
    if match is None:
        return None
    return match.group("media"), url[match.end() :]


def read_size(payload: str) -> tuple[int, int] | None:
    """Width and height from the image header in a base64 payload.

    Only the first part of the payload is decoded when it holds the header;
    the pixels are never decoded here.
    """
    head = payload[: HEAD_CHARS - HEAD_CHARS % 4]
    size = _header_size(head)
    if size is None and len(payload) > len(head):
        size = _header_size(payload)
    return size


def _header_size(payload: str) -> tuple[int, int] | None:
    try:
        data = base64.b64decode(payload, validate=False)
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except (binascii.Error, UnidentifiedImageError, OSError, ValueError):
        return None


def _fit(size: tuple[int, int], box: int) -> tuple[int, int]:
    return _scaled(size, min(1.0, box / max(size)))


def _tile_target(size: tuple[int, int]) -> tuple[int, int]:
    fitted = _fit(size, OPENAI_BOX)
    return _scaled(fitted, min(1.0, OPENAI_SHORT_SIDE / min(fitted)))


def _patch_target(size: tuple[int, int]) -> tuple[int, int]:
    width, height = size
    if math.ceil(width / PATCH) * math.ceil(height / PATCH) <= PATCH_CAP:
        return size
    shrink = math.sqrt(PATCH * PATCH * PATCH_CAP / (width * height))
    across, down = width * shrink / PATCH, height * shrink / PATCH
    shrink *= min(math.floor(across) / across, math.floor(down) / down)
    return _scaled(size, shrink)


def _anthropic_target(size: tuple[int, int]) -> tuple[int, int]:
    width, height = size
    scale = min(
        1.0,
        ANTHROPIC_LONG_EDGE / max(size),
        math.sqrt(ANTHROPIC_MAX_PIXELS / (width * height)),
    )
    return _scaled(size, scale)


def _scaled(size: tuple[int, int], scale: float) -> tuple[int, int]:
    if scale >= 1.0:
        return size
    width, height = size
    return max(1, math.floor(width * scale + EPSILON)), max(
        1, math.floor(height * scale + EPSILON)
    )
