"""Photo and signature uploads: type by content, limits, EXIF evidence, perceptual hash."""
import io
import random
from datetime import datetime, timedelta, timezone

import pytest
from PIL import Image

from emss_common.errors import ValidationFailed
from emss_common.imaging.photos import (
    WEBP_SUPPORTED, DuplicatePhoto, ImageFacts, PhotoLimits, hamming, inspect_image, phash)
from tests import images


def refused(data, limits=None, field="photo"):
    with pytest.raises(ValidationFailed) as caught:
        inspect_image(data, limits or PhotoLimits(), field=field)
    assert caught.value.field == field
    return caught.value.message


# --- accepted ---------------------------------------------------------------------------------

def test_the_face_photo_is_accepted_with_its_facts():
    data = images.face_jpeg()
    facts = inspect_image(data, PhotoLimits(), field="photo")
    assert isinstance(facts, ImageFacts)
    assert (facts.content_type, facts.width, facts.height) == ("image/jpeg", 512, 512)
    assert facts.size_bytes == len(data)
    assert len(facts.sha256) == 64 and len(facts.phash) == 16
    int(facts.phash, 16)
    assert facts.taken_at is None and facts.gps is None


def test_a_signature_png_is_accepted():
    facts = inspect_image(images.signature_png(), PhotoLimits(), field="signature")
    assert (facts.content_type, facts.width, facts.height) == ("image/png", 600, 240)


@pytest.mark.skipif(not WEBP_SUPPORTED, reason="this Pillow has no WEBP")
def test_webp_is_accepted_where_pillow_reads_it():
    facts = inspect_image(images.as_webp(images.face_jpeg()), PhotoLimits())
    assert facts.content_type == "image/webp"


def test_a_12_megapixel_phone_photo_passes_the_default_limits():
    facts = inspect_image(images.photo_12mp(), PhotoLimits())
    assert (facts.width, facts.height) == (4000, 3000)


def test_the_as_document_form_is_plain():
    facts = inspect_image(images.face_jpeg(exif_gps=(121.4737, 31.2304)), PhotoLimits())
    doc = facts.as_document()
    assert doc["gps"] == [pytest.approx(121.4737, abs=1e-6), pytest.approx(31.2304, abs=1e-6)]
    assert doc["phash"] == facts.phash and doc["content_type"] == "image/jpeg"


# --- type by content --------------------------------------------------------------------------

@pytest.mark.parametrize("make", [images.pdf_bytes, images.gif_bytes], ids=["pdf", "gif"])
def test_other_types_are_refused_even_when_named_jpg(make):
    # The upload's name ("工作照片.jpg") and declared type are never consulted: only the bytes.
    message = refused(make(), field="photo")
    assert "文件类型不支持" in message and "JPEG" in message


def test_text_and_empty_uploads_are_refused():
    assert "文件类型不支持" in refused(b"GIF89a" + b"\x00" * 50)
    assert "文件类型不支持" in refused("照片".encode("utf-8") * 100)
    assert refused(b"") == "请上传图片文件"


@pytest.mark.parametrize("make", [
    lambda: images.truncated(images.face_jpeg()),
    lambda: images.truncated(images.as_png(images.face_jpeg())),
    lambda: images.jpeg_garbage(),
    lambda: images.png_bad_crc(images.face_jpeg()),
    lambda: images.face_jpeg()[:200],
], ids=["truncated-jpeg", "truncated-png", "jpeg-magic-then-noise", "png-bad-crc", "header-only"])
def test_corrupt_images_are_refused(make):
    assert refused(make(), field="blocks[0].photo") == "图片文件已损坏或不完整，请重新上传"


def test_an_animated_png_is_refused():
    frames = [Image.new("RGB", (300, 300), colour) for colour in ("red", "blue")]
    buffer = io.BytesIO()
    frames[0].save(buffer, "PNG", save_all=True, append_images=frames[1:])
    assert "动图" in refused(buffer.getvalue())


# --- limits -----------------------------------------------------------------------------------

def test_limits_have_defaults():
    limits = PhotoLimits()
    assert (limits.max_bytes, limits.max_pixels, limits.min_side) == (10 * 1024 * 1024, 40_000_000, 200)


def test_too_many_bytes_is_refused_before_anything_else():
    message = refused(images.padded(images.face_jpeg(), 11 * 1024 * 1024))
    assert message == "图片文件过大（11 MB），不能超过 10 MB"
    small_limit = PhotoLimits(max_bytes=50_000)
    assert refused(images.face_jpeg(), small_limit) == "图片文件过大（52 KB），不能超过 48 KB"
    assert inspect_image(images.face_jpeg(), PhotoLimits(max_bytes=60_000)).width == 512


def test_too_many_pixels_is_refused_from_the_header_alone():
    # The file is 53 KB but declares 9000×9000: refused without decoding 81 M pixels.
    message = refused(images.declared_size_jpeg(9000, 9000))
    assert message == "图片像素过多（9000×9000），不能超过 40 百万像素"
    assert "像素过多" in refused(images.face_jpeg(), PhotoLimits(max_pixels=512 * 511))
    assert inspect_image(images.face_jpeg(), PhotoLimits(max_pixels=512 * 512)).width == 512


def test_a_decompression_bomb_is_refused():
    bomb = images.bomb_png(15000)           # 225 M pixels in ~30 KB
    assert len(bomb) < 100_000
    assert "像素过多" in refused(bomb)
    # Even with a generous configured limit, Pillow's own guard still refuses it cleanly.
    assert "像素过多" in refused(bomb, PhotoLimits(max_pixels=10**12))


def test_too_small_is_refused():
    message = refused(images.resized(images.face_jpeg(), (300, 150)))
    assert message == "图片尺寸过小（300×150），短边至少 200 像素"
    assert inspect_image(images.resized(images.face_jpeg(), (300, 200)), PhotoLimits()).height == 200
    assert "尺寸过小" in refused(images.face_jpeg(), PhotoLimits(min_side=600))


# --- EXIF -------------------------------------------------------------------------------------

def test_exif_time_without_offset_is_shanghai_time():
    facts = inspect_image(images.face_jpeg(exif_time=datetime(2026, 5, 11, 14, 30, 5)), PhotoLimits())
    assert facts.taken_at == datetime(2026, 5, 11, 6, 30, 5, tzinfo=timezone.utc)
    assert facts.taken_at.tzinfo is not None


def test_exif_time_with_an_offset_tag_uses_it():
    tokyo = timezone(timedelta(hours=9))
    facts = inspect_image(images.face_jpeg(exif_time=datetime(2026, 5, 11, 14, 30, 5, tzinfo=tokyo)),
                          PhotoLimits())
    assert facts.taken_at == datetime(2026, 5, 11, 5, 30, 5, tzinfo=timezone.utc)


def test_exif_gps_is_read_back_as_lng_lat():
    facts = inspect_image(images.face_jpeg(exif_gps=(121.4737, 31.2304)), PhotoLimits())
    lng, lat = facts.gps
    assert lng == pytest.approx(121.4737, abs=1e-6)
    assert lat == pytest.approx(31.2304, abs=1e-6)


def test_exif_gps_in_the_southern_and_western_hemispheres():
    facts = inspect_image(images.face_jpeg(exif_gps=(-43.1729, -22.9068)), PhotoLimits())
    assert facts.gps == (pytest.approx(-43.1729, abs=1e-6), pytest.approx(-22.9068, abs=1e-6))


def test_exif_time_and_gps_together():
    data = images.face_jpeg(exif_time=datetime(2026, 1, 2, 8, 0, 0), exif_gps=(116.3974, 39.9087))
    facts = inspect_image(data, PhotoLimits())
    assert facts.taken_at == datetime(2026, 1, 2, 0, 0, 0, tzinfo=timezone.utc)
    assert facts.gps[1] == pytest.approx(39.9087, abs=1e-6)


def test_a_png_carries_no_exif_here():
    facts = inspect_image(images.signature_png(), PhotoLimits(), field="signature")
    assert facts.taken_at is None and facts.gps is None


@pytest.mark.parametrize("orientation, stored", [(6, (512, 512)), (8, (512, 512)), (3, (512, 512))])
def test_orientation_is_applied_before_hashing(orientation, stored):
    upright = inspect_image(images.face_jpeg(), PhotoLimits())
    turned = inspect_image(images.face_jpeg(orientation=orientation), PhotoLimits())
    assert (turned.width, turned.height) == stored
    assert hamming(turned.phash, upright.phash) <= 4


def test_orientation_swaps_the_reported_sides():
    portrait = images.resized(images.face_jpeg(), (400, 600))
    stored_sideways = images.with_exif(portrait, orientation=6)
    with Image.open(io.BytesIO(stored_sideways)) as raw:
        assert raw.size == (600, 400)
    facts = inspect_image(stored_sideways, PhotoLimits())
    assert (facts.width, facts.height) == (400, 600)


# --- perceptual hash --------------------------------------------------------------------------

def test_a_re_encoded_and_resized_copy_matches():
    original = inspect_image(images.face_jpeg(), PhotoLimits())
    copy = inspect_image(images.variant(images.face_jpeg()), PhotoLimits())
    assert copy.sha256 != original.sha256
    assert DuplicatePhoto().matches(copy.phash, original.phash)
    smaller_png = inspect_image(images.as_png(images.variant(images.face_jpeg(), 0.6, 60)), PhotoLimits())
    assert DuplicatePhoto().matches(smaller_png.phash, original.phash)


def test_a_different_photo_does_not_match():
    original = inspect_image(images.face_jpeg(), PhotoLimits()).phash
    rule = DuplicatePhoto()
    for other in (images.different_photo(), images.no_face_jpeg(), images.form_jpeg(),
                  images.photo_12mp()):
        assert not rule.matches(inspect_image(other, PhotoLimits()).phash, original)
        assert hamming(inspect_image(other, PhotoLimits()).phash, original) > 12


def test_hamming_counts_differing_bits():
    assert hamming("0000000000000000", "0000000000000000") == 0
    assert hamming("ffffffffffffffff", "0000000000000000") == 64
    assert hamming("8000000000000001", "0000000000000000") == 2


def test_duplicate_threshold_is_configuration():
    a, b = "0000000000000000", "000000000000007f"      # 7 bits apart
    assert not DuplicatePhoto().matches(a, b)
    assert DuplicatePhoto(max_distance=7).matches(a, b)
    assert DuplicatePhoto().max_distance == 6


def test_phash_of_a_pillow_image_is_stable():
    image = Image.open(io.BytesIO(images.face_jpeg()))
    assert phash(image) == phash(image.copy())
    assert phash(image) == inspect_image(images.face_jpeg(), PhotoLimits()).phash


def test_exif_written_into_a_png_is_read_too():
    with Image.open(io.BytesIO(images.face_jpeg(exif_time=datetime(2026, 5, 11, 9, 15, 0),
                                                exif_gps=(121.4737, 31.2304)))) as jpeg:
        buffer = io.BytesIO()
        jpeg.save(buffer, "PNG", exif=jpeg.getexif())
    facts = inspect_image(buffer.getvalue(), PhotoLimits())
    assert facts.content_type == "image/png"
    assert facts.taken_at == datetime(2026, 5, 11, 1, 15, 0, tzinfo=timezone.utc)
    assert facts.gps == (pytest.approx(121.4737, abs=1e-6), pytest.approx(31.2304, abs=1e-6))


def test_damaged_bytes_are_either_accepted_or_refused_cleanly():
    # Random byte changes in headers, EXIF and pixel data: nothing but ValidationFailed escapes.
    rng = random.Random(20260511)
    sources = [images.face_jpeg(exif_time=datetime(2026, 1, 1), exif_gps=(121.0, 31.0)),
               images.signature_png(), images.face_jpeg(orientation=6)]
    outcomes = set()
    for _ in range(300):
        data = bytearray(rng.choice(sources))
        for _ in range(rng.randint(1, 8)):
            # Half the changes land in the first 600 bytes, where the headers and EXIF are.
            at = rng.randrange(len(data)) if rng.random() < 0.5 else rng.randrange(600)
            data[at] = rng.randrange(256)
        try:
            inspect_image(bytes(data), PhotoLimits())
            outcomes.add("accepted")
        except ValidationFailed as refusal:
            assert refusal.field == "photo"
            outcomes.add("refused")
    assert outcomes == {"accepted", "refused"}
