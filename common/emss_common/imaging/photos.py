"""Checks on an uploaded photo or signature image before it is stored, and what is kept about it.

The type is decided by content, never by the file name or the browser's content type: the magic
bytes must be those of JPEG, PNG or WEBP and Pillow must decode the whole image. Size is checked
before decoding, and the pixel count from the header before any pixel is decoded, so a
decompression bomb costs nothing. EXIF DateTimeOriginal and GPS are kept as evidence of when and
where the photo was taken; the perceptual hash lets the service find one photo reused for two
records (re-encoding or resizing keeps it; another picture changes a third to a half of its 64 bits).
"""
import hashlib
import io
import math
import struct
import warnings
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import numpy as np
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from emss_common.clock import SHANGHAI
from emss_common.errors import ValidationFailed

MB = 1024 * 1024

# Magic bytes → (Pillow format, content type). WEBP only where this Pillow was built with it.
_SIGNATURES = (
    (b"\xff\xd8\xff", "JPEG", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "PNG", "image/png"),
)
_WEBP = ("WEBP", "image/webp")

# What Pillow's parsers and decoders raise on malformed data (found by fuzzing the fixtures).
_DECODE_ERRORS = (OSError, ValueError, SyntaxError, EOFError, IndexError, TypeError, KeyError,
                  struct.error, zlib.error)

_HASH_SIDE = 32          # pHash: DCT of a 32×32 grey image, keep the 8×8 lowest frequencies
_HASH_BITS_SIDE = 8


def _webp_supported():
    from PIL import features
    return bool(features.check("webp"))


WEBP_SUPPORTED = _webp_supported()
ACCEPTED_TYPES = tuple(t for _, _, t in _SIGNATURES) + ((_WEBP[1],) if WEBP_SUPPORTED else ())


@dataclass(frozen=True)
class PhotoLimits:
    """Limits on one uploaded image. Defaults [D]: a 12–50 MP phone photo is 3–8 MB as JPEG; 40 MP
    keeps the decoded pixels within ~120 MB; a short side under 200 px shows no face or signature
    legibly. The service fills these from its configuration."""
    max_bytes: int = 10 * MB
    max_pixels: int = 40_000_000
    min_side: int = 200


@dataclass(frozen=True)
class ImageFacts:
    content_type: str
    width: int                 # as displayed: EXIF orientation applied
    height: int
    size_bytes: int
    sha256: str
    phash: str                 # 64-bit perceptual hash, 16 hex chars
    taken_at: datetime | None  # EXIF DateTimeOriginal as aware UTC
    gps: tuple | None          # (lng, lat) WGS-84 from EXIF GPSInfo

    def as_document(self):
        """A plain dict for storage (gps as [lng, lat])."""
        return {"content_type": self.content_type, "width": self.width, "height": self.height,
                "size_bytes": self.size_bytes, "sha256": self.sha256, "phash": self.phash,
                "taken_at": self.taken_at, "gps": list(self.gps) if self.gps else None}


def inspect_image(data, limits=None, field="photo"):
    """Check `data` against `limits` and return its facts; ValidationFailed(field=field) if refused."""
    limits = limits or PhotoLimits()
    if not data:
        raise ValidationFailed("请上传图片文件", field=field)
    if len(data) > limits.max_bytes:
        size, limit = _size_text(len(data), True), _size_text(limits.max_bytes, False)
        raise ValidationFailed(f"图片文件过大（{size}），不能超过 {limit}", field=field)
    fmt, content_type = _sniff(data, field)

    with warnings.catch_warnings():
        # Pillow's own bomb warning: the pixel limit below is the one that applies. Damaged EXIF
        # only warns: the photo is judged by its pixels, EXIF facts are read where they parse.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        warnings.simplefilter("ignore", UserWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=[fmt])
        except Image.DecompressionBombError:
            raise _too_many_pixels(None, limits, field) from None
        except (UnidentifiedImageError, *_DECODE_ERRORS):
            raise _corrupt(field) from None
        width, height = image.size
        if width * height > limits.max_pixels:
            raise _too_many_pixels((width, height), limits, field)
        # A phone JPEG may carry extra MPF frames (previews, depth); animated PNG/WEBP are refused.
        if fmt != "JPEG" and getattr(image, "n_frames", 1) > 1:
            raise ValidationFailed("不支持动图，请上传静态照片", field=field)
        try:
            image.verify()
            # verify() leaves the image unusable; decode every byte again from a fresh parser so
            # truncated or corrupt pixel data is found now, not when someone views it.
            image = Image.open(io.BytesIO(data), formats=[fmt])
            _reduce_for_analysis(image, 256)
            image.load()
            exif = _exif(image)   # after load: a PNG's eXIf chunk may follow its pixel data
        except Image.DecompressionBombError:
            raise _too_many_pixels((width, height), limits, field) from None
        except _DECODE_ERRORS:
            raise _corrupt(field) from None

    if _orientation(exif) in (5, 6, 7, 8):       # rotated 90°: displayed sides swap
        width, height = height, width
    if min(width, height) < limits.min_side:
        raise ValidationFailed(
            f"图片尺寸过小（{width}×{height}），短边至少 {limits.min_side} 像素", field=field)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)     # Pillow on damaged EXIF: read what parses
        oriented = ImageOps.exif_transpose(image)
        taken_at, gps = _taken_at(exif), _gps(exif)
    return ImageFacts(
        content_type=content_type, width=width, height=height, size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(), phash=phash(oriented), taken_at=taken_at, gps=gps)


def oriented_grey(data, max_side):
    """The image upright (EXIF orientation applied), grey, longest side at most `max_side`.

    For pixel analysis of an image inspect_image has accepted. JPEG is decoded at a reduced scale
    directly (DCT scaling), so a 12 MP photo costs a fraction of a full decode.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)     # damaged EXIF, as in inspect_image
        image = Image.open(io.BytesIO(data))
        _reduce_for_analysis(image, max_side, mode="L")
        image = ImageOps.exif_transpose(image).convert("L")
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return image


def phash(image):
    """DCT perceptual hash of a Pillow image as 16 hex chars (bit order as the ImageHash library)."""
    grey = image.convert("L").resize((_HASH_SIDE, _HASH_SIDE), Image.Resampling.LANCZOS)
    pixels = np.asarray(grey, dtype=np.float64)
    dct = _DCT @ pixels @ _DCT.T
    low = dct[:_HASH_BITS_SIDE, :_HASH_BITS_SIDE]
    bits = (low > np.median(low)).flatten()
    return f"{int(''.join('1' if b else '0' for b in bits), 2):016x}"


def hamming(hex_a, hex_b):
    """Number of differing bits between two hex hashes."""
    return bin(int(hex_a, 16) ^ int(hex_b, 16)).count("1")


@dataclass(frozen=True)
class DuplicatePhoto:
    """Two photos whose pHashes differ in at most max_distance of 64 bits show the same picture.

    Default [D] 6: a re-encoded or resized copy of a photo stays within 0–4 bits, while another
    photo (another person, another scene, the same portrait framed in a wider shot, another
    signature) differs by 18 or more in the tests."""
    max_distance: int = 6

    def matches(self, phash, other_phash):
        return hamming(phash, other_phash) <= self.max_distance


def _dct_matrix(n):
    # Type-II DCT basis; the scale does not matter for a median threshold.
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    return np.cos(np.pi * (2 * i + 1) * k / (2 * n))


_DCT = _dct_matrix(_HASH_SIDE)


def _sniff(data, field):
    for magic, fmt, content_type in _SIGNATURES:
        if data.startswith(magic):
            return fmt, content_type
    if WEBP_SUPPORTED and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _WEBP
    names = "JPEG、PNG 或 WEBP" if WEBP_SUPPORTED else "JPEG 或 PNG"
    raise ValidationFailed(f"文件类型不支持：只接受 {names} 格式的图片", field=field)


def _reduce_for_analysis(image, max_side, mode=None):
    """Ask the JPEG decoder for a reduced scale no smaller than max_side (no-op for PNG/WEBP).

    The decoder still reads every scan, so truncated data is still found."""
    if image.format == "JPEG":
        w, h = image.size
        scale = max(w, h) / max_side
        if scale >= 2:
            image.draft(mode or image.mode, (math.ceil(w / scale), math.ceil(h / scale)))


def _corrupt(field):
    return ValidationFailed("图片文件已损坏或不完整，请重新上传", field=field)


def _too_many_pixels(size, limits, field):
    shown = f"（{size[0]}×{size[1]}）" if size else ""
    return ValidationFailed(
        f"图片像素过多{shown}，不能超过 {limits.max_pixels / 1e6:g} 百万像素", field=field)


def _size_text(n, round_up):
    # The upload's size rounds up and the limit down, so the two never read as equal.
    unit, name, step = (1024, "KB", 1) if n < MB else (MB, "MB", 10)
    scaled = (math.ceil if round_up else math.floor)(n / unit * step) / step
    return f"{scaled:g} {name}"


def _exif(image):
    try:
        return image.getexif()
    except Exception:   # noqa: BLE001 — damaged EXIF is no reason to refuse the photo itself
        return None


def _orientation(exif):
    try:
        return int(exif.get(ExifTags.Base.Orientation, 1)) if exif else 1
    except (TypeError, ValueError):
        return 1


def _taken_at(exif):
    """EXIF DateTimeOriginal as aware UTC; Asia/Shanghai when the photo states no offset."""
    if not exif:
        return None
    try:
        sub = exif.get_ifd(ExifTags.IFD.Exif)
        raw = sub.get(ExifTags.Base.DateTimeOriginal)
        if not raw:
            return None
        local = datetime.strptime(str(raw).strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
        offset = _parse_offset(sub.get(ExifTags.Base.OffsetTimeOriginal))
        zone = timezone(offset) if offset is not None else SHANGHAI
        return local.replace(tzinfo=zone).astimezone(timezone.utc)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def _parse_offset(raw):
    """'+08:00' → timedelta; anything else → None."""
    if not raw:
        return None
    text = str(raw).strip("\x00 ")
    if len(text) != 6 or text[0] not in "+-" or text[3] != ":":
        return None
    minutes = int(text[1:3]) * 60 + int(text[4:6])
    if minutes > 14 * 60:
        return None
    return timedelta(minutes=minutes if text[0] == "+" else -minutes)


def _gps(exif):
    """(lng, lat) from EXIF GPSInfo, or None when absent or not a valid position."""
    if not exif:
        return None
    try:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        lat = _dms(gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef), "NS")
        lng = _dms(gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef), "EW")
    except (KeyError, TypeError, ValueError, AttributeError, ZeroDivisionError):
        return None
    if lat is None or lng is None or not (-90 <= lat <= 90 and -180 <= lng <= 180):
        return None
    return lng, lat


def _dms(value, ref, hemispheres):
    if value is None or ref is None:
        return None
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    ref = str(ref).strip("\x00 ").upper()
    if ref not in hemispheres:
        return None
    parts = [float(v) for v in value]
    if len(parts) != 3 or not all(math.isfinite(p) for p in parts):
        return None
    degrees = parts[0] + parts[1] / 60.0 + parts[2] / 3600.0
    return -degrees if ref == hemispheres[1] else degrees
