"""The work photo must show a clear face; landscapes, forms, signatures and blank frames do not."""
import io
import time

import eventlet
import pytest
from PIL import Image

from emss_common.errors import ValidationFailed
from emss_common.imaging import OffloadedDetector, faces
from emss_common.imaging.faces import NO_FACE_MESSAGE, FaceDetector, require_face
from emss_common.imaging.photos import WEBP_SUPPORTED
from tests import images


@pytest.fixture(scope="module")
def detector():
    return FaceDetector()


@pytest.mark.parametrize("make", [
    images.face_jpeg,
    images.different_photo,
    lambda: images.variant(images.face_jpeg()),
    lambda: images.as_png(images.face_jpeg()),
    lambda: images.face_jpeg(orientation=6),
    lambda: images.face_jpeg(orientation=8),
    images.photo_12mp,
], ids=["face", "another-person", "re-encoded", "png", "stored-sideways-6", "stored-sideways-8", "12mp"])
def test_a_face_is_found(detector, make):
    assert detector.count(make()) == 1


@pytest.mark.skipif(not WEBP_SUPPORTED, reason="this Pillow has no WEBP")
def test_a_face_is_found_in_webp(detector):
    assert detector.count(images.as_webp(images.face_jpeg())) == 1


@pytest.mark.parametrize("make", [
    images.no_face_jpeg, images.form_jpeg, images.signature_png, images.blank_jpeg,
], ids=["landscape", "printed-form", "signature", "blank"])
def test_no_face_is_found(detector, make):
    assert detector.count(make()) == 0


def test_the_exif_orientation_is_what_makes_a_sideways_photo_readable(detector):
    tagged = images.face_jpeg(orientation=6)          # pixels stored sideways, tag turns them back
    untagged = io.BytesIO()
    Image.open(io.BytesIO(tagged)).save(untagged, "JPEG", quality=92)   # same pixels, tag lost
    assert detector.count(tagged) == 1
    assert detector.count(untagged.getvalue()) == 0


def test_a_face_too_small_to_be_clear_is_not_counted():
    tiny_face = Image.new("RGB", (1600, 1200), (180, 180, 170))
    tiny_face.paste(Image.open(io.BytesIO(images.face_jpeg())).resize((300, 300)), (650, 450))
    buffer = io.BytesIO()
    tiny_face.save(buffer, "JPEG", quality=90)
    data = buffer.getvalue()
    # The face spans ~56 px of 1200: found by a lenient detector, not clear enough by default.
    assert FaceDetector(min_face_fraction=0.03).count(data) == 1
    assert FaceDetector().count(data) == 0


def test_require_face_returns_the_count(detector):
    assert require_face(detector, images.face_jpeg(), field="photo") == 1


@pytest.mark.parametrize("make", [images.no_face_jpeg, images.signature_png])
def test_require_face_refuses_a_photo_without_one(detector, make):
    with pytest.raises(ValidationFailed) as caught:
        require_face(detector, make(), field="confirm.photo")
    assert caught.value.field == "confirm.photo"
    assert caught.value.message == NO_FACE_MESSAGE == "照片中未检测到清晰人脸，请重新拍摄工作照片"


def test_cascades_are_loaded_once_per_thread(detector):
    detector.count(images.face_jpeg())
    loaded = faces._local.cascade
    FaceDetector().count(images.no_face_jpeg())
    assert loaded is not None and faces._local.cascade is loaded


def test_photos_checked_at_once_in_the_thread_pool_are_counted_as_one_at_a_time():
    # Uploads run detection in eventlet's OS-thread pool; a cascade shared by threads miscounted
    # (0 or 2–4 faces on a one-face photo) when 8 uploads came in together.
    photos = [images.face_jpeg(), images.different_photo(), images.variant(images.face_jpeg()),
              images.face_jpeg(orientation=6)] * 6
    offloaded = OffloadedDetector()
    alone = [offloaded.count(p) for p in photos]
    assert alone == [1] * len(photos)
    pool = eventlet.GreenPool(8)
    for _ in range(3):
        assert list(pool.imap(offloaded.count, photos)) == alone


def test_a_12_megapixel_photo_is_checked_quickly(detector):
    data = images.photo_12mp()
    detector.count(data)                 # warm: cascades loaded
    runs = 3
    started = time.perf_counter()
    for _ in range(runs):
        detector.count(data)
    per_photo_ms = (time.perf_counter() - started) / runs * 1000
    # ~130 ms on the 2-core development machine; a loose bound so a busy CI host still passes.
    assert per_photo_ms < 1500, per_photo_ms
