"""Image optimization: real downscales, EXIF gone, remote URLs untouched."""

from __future__ import annotations

import copy

import pytest

from appliance.compression import images
from tests.compression.pictures import b64, opened, photo, plain_png

GPS_IFD = 0x8825


@pytest.fixture(scope="module")
def phone_photo() -> bytes:
    return photo((4032, 3024))


def _openai(url, detail=None, model="gpt-4o"):
    image = {"url": url} if detail is None else {"url": url, "detail": detail}
    return {
        "model": model,
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is on this receipt?"},
                    {"type": "image_url", "image_url": image},
                ],
            }
        ],
    }


def _payload_of_openai(body):
    url = body["messages"][0]["content"][1]["image_url"]["url"]
    media, _, payload = url.partition(";base64,")
    return media.removeprefix("data:"), payload


def test_phone_photo_is_downscaled_to_768_short_side_and_loses_exif(
    counter, options, phone_photo
):
    data = phone_photo
    body = _openai("data:image/jpeg;base64," + b64(data))
    result = images.apply(body, "openai", counter, "gpt-4o", options)
    media, payload = _payload_of_openai(result.body)
    picture = opened(payload)
    assert media == "image/jpeg"
    assert picture.size == (1024, 768)
    assert picture.format == "JPEG"
    assert not picture.info.get("exif")
    assert not picture.getexif()
    assert result.detail["images_optimized"] == 1
    assert result.detail["bytes_before"] == len(data)
    assert result.detail["bytes_saved"] == len(data) - result.detail["bytes_after"] > 0
    # OpenAI bills the same 4 tiles once it has shrunk the photo itself.
    text_message = 3 + 1 + 6
    assert result.tokens_before == result.tokens_after == 3 + text_message + 765


def test_low_detail_images_fit_512(counter, options):
    body = _openai("data:image/jpeg;base64," + b64(photo((2000, 1000))), detail="low")
    result = images.apply(body, "openai", counter, "gpt-4o", options)
    assert opened(_payload_of_openai(result.body)[1]).size == (512, 256)
    assert result.body["messages"][0]["content"][1]["image_url"]["detail"] == "low"


def test_sideways_photo_is_turned_upright_before_its_exif_goes(counter, options):
    body = _openai("data:image/jpeg;base64," + b64(photo((2016, 1512), orientation=6)))
    result = images.apply(body, "openai", counter, "gpt-4o", options)
    assert opened(_payload_of_openai(result.body)[1]).size == (768, 1024)


def test_anthropic_image_in_a_tool_result_shrinks_to_1568_and_115_megapixels(
    counter, options
):
    data = photo((3000, 1000), fmt="PNG", noise=0)
    source = {"type": "base64", "media_type": "image/png", "data": b64(data)}
    body = {
        "model": "claude-sonnet-4-5",
        "messages": [
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "shot",
                        "content": [{"type": "image", "source": source}],
                    }
                ],
            }
        ],
    }
    result = images.apply(body, "anthropic", counter, "claude-sonnet-4-5", options)
    new_source = result.body["messages"][0]["content"][0]["content"][0]["source"]
    picture = opened(new_source["data"])
    assert picture.size == (1568, 522)
    assert picture.format == "PNG"
    assert new_source["media_type"] == "image/png"
    assert not picture.info.get("exif")
    assert result.tokens_before == result.tokens_after == 3 + 3 + 1092


def test_image_already_small_and_clean_is_left_alone(counter, options):
    body = _openai("data:image/png;base64," + b64(plain_png((300, 200))))
    result = images.apply(body, "openai", counter, "gpt-4o", options)
    assert not result.changed
    assert result.body is body


def test_small_photo_loses_only_its_metadata(counter, options):
    data = photo((640, 480))
    body = _openai("data:image/jpeg;base64," + b64(data))
    result = images.apply(body, "openai", counter, "gpt-4o", options)
    picture = opened(_payload_of_openai(result.body)[1])
    assert picture.size == (640, 480)
    assert not picture.getexif().get_ifd(GPS_IFD)
    assert result.detail["bytes_after"] < len(data)


def test_remote_urls_are_never_fetched_or_changed(counter, options):
    body = _openai("https://example.invalid/receipt.jpg")
    result = images.apply(body, "openai", counter, "gpt-4o", options)
    assert not result.changed
    assert result.body is body


def test_broken_base64_is_left_alone(counter, options):
    body = _openai("data:image/png;base64,bm90IGFuIGltYWdl")
    assert not images.apply(body, "openai", counter, "gpt-4o", options).changed


def test_input_body_is_never_mutated(counter, options):
    body = _openai("data:image/jpeg;base64," + b64(photo((1600, 1200))))
    snapshot = copy.deepcopy(body)
    images.apply(body, "openai", counter, "gpt-4o", options)
    assert body == snapshot
