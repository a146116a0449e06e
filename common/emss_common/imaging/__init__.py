"""Checks every photo and signature in EMSS passes (field staff, enterprise confirmers and
reviewers alike): an image by its content within size and pixel limits, EXIF time and position
read, a perceptual hash for look-alikes, and a clear face on a work photo (工作照片)."""
from .faces import NO_FACE_MESSAGE, FaceDetector, require_face
from .photos import (ACCEPTED_TYPES, WEBP_SUPPORTED, DuplicatePhoto, ImageFacts, PhotoLimits, hamming,
                     inspect_image, phash)


class OffloadedDetector:
    """Face detection takes ~130 ms of CPU per phone photo: under eventlet it runs in the thread
    pool so one upload does not stall every other request of the service."""

    def __init__(self, detector=None):
        self.detector = detector or FaceDetector()

    def count(self, data):
        try:
            from eventlet import patcher, tpool
            if patcher.is_monkey_patched("thread"):
                return tpool.execute(self.detector.count, data)
        except ImportError:  # pragma: no cover - eventlet is always installed with nameko
            pass
        return self.detector.count(data)


_shared = None


def shared_detector():
    """One detector per process: the cascade is loaded once."""
    global _shared
    if _shared is None:
        _shared = OffloadedDetector()
    return _shared


def limits_from(setting):
    """Photo limits from a service's configuration (`ctx.setting`); every service holds photos to
    the same FIELD_PHOTO_* settings."""
    defaults = PhotoLimits()
    return PhotoLimits(max_bytes=setting("FIELD_PHOTO_MAX_BYTES", defaults.max_bytes),
                       max_pixels=setting("FIELD_PHOTO_MAX_PIXELS", defaults.max_pixels),
                       min_side=setting("FIELD_PHOTO_MIN_SIDE", defaults.min_side))


__all__ = ["limits_from", "shared_detector", "ACCEPTED_TYPES", "WEBP_SUPPORTED", "DuplicatePhoto", "FaceDetector", "ImageFacts",
           "NO_FACE_MESSAGE", "OffloadedDetector", "PhotoLimits", "hamming", "inspect_image", "phash",
           "require_face"]
