"""Image bytes for tests: real photos from tests/fixtures/images and variants built from them.

    from tests.images import face_jpeg, no_face_jpeg, signature_png, variant, different_photo

Every helper returns bytes as a phone or browser would upload them. See
tests/fixtures/images/README.md for where each fixture comes from.
"""
import functools
import io
import os
import struct
import zlib
from fractions import Fraction

import numpy as np
from PIL import ExifTags, Image

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "images")


def fixture(name):
    with open(os.path.join(FIXTURES, name), "rb") as f:
        return f.read()


# --- accepted pictures ------------------------------------------------------------------------

def face_jpeg(exif_time=None, exif_gps=None, orientation=None):
    """The work photo: a clear frontal face (512×512 JPEG).

    exif_time: datetime written as EXIF DateTimeOriginal (its wall-clock time); an aware datetime
    also writes OffsetTimeOriginal. exif_gps: (lng, lat) in WGS-84 written as EXIF GPSInfo.
    orientation: 3, 6 or 8 stores the pixels turned so that the EXIF Orientation tag turns them
    upright again, as phones do. With no argument the committed file is returned unchanged.
    """
    if exif_time is None and exif_gps is None and orientation is None:
        return fixture("face.jpg")
    return with_exif(fixture("face.jpg"), exif_time=exif_time, exif_gps=exif_gps,
                     orientation=orientation)


def different_photo():
    """Another photo with a clear face, of another person (its pHash is far from face_jpeg's)."""
    return fixture("face_other.jpg")


def no_face_jpeg():
    """A landscape photo: sky, sun, hills, a field. No face."""
    return fixture("landscape.jpg")


def form_jpeg():
    """A scanned-looking printed form (ruled table, text). No face."""
    return fixture("form.jpg")


def signature_png():
    """A handwritten signature, dark ink on white, 600×240 PNG."""
    return fixture("signature.png")


def blank_jpeg(size=(800, 600), colour=(128, 128, 128)):
    """A uniform image: the lens cap was on."""
    return _encode(Image.new("RGB", size, colour), "JPEG", quality=90)


def variant(data, scale=0.85, quality=80):
    """The same photo re-encoded and slightly resized, as a chat app forwards it: EXIF dropped,
    new bytes (another sha256), same perceptual hash within a few bits."""
    image = Image.open(io.BytesIO(data)).convert("RGB")
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return _encode(image.resize(size, Image.Resampling.LANCZOS), "JPEG", quality=quality)


def as_png(data):
    return _encode(Image.open(io.BytesIO(data)), "PNG")


def as_webp(data, quality=85):
    return _encode(Image.open(io.BytesIO(data)).convert("RGB"), "WEBP", quality=quality)


def resized(data, size, fmt="JPEG"):
    """The picture stretched to exactly `size` (width, height)."""
    image = Image.open(io.BytesIO(data)).convert("RGB").resize(size, Image.Resampling.LANCZOS)
    return _encode(image, fmt, **({"quality": 90} if fmt == "JPEG" else {}))


@functools.lru_cache(maxsize=2)
def photo_12mp(data=None):
    """A 4000×3000 phone-sized JPEG (~3 MB: sensor grain makes it as costly to decode as a real
    one) with the face photo filling most of its height."""
    face = Image.open(io.BytesIO(data or fixture("face.jpg"))).convert("RGB")
    canvas = Image.linear_gradient("L").resize((4000, 3000)).convert("RGB")
    canvas.paste(face.resize((2400, 2400), Image.Resampling.BICUBIC), (800, 300))
    grain = np.random.default_rng(12).normal(0, 10, (500, 500, 3))
    pixels = np.asarray(canvas, dtype=np.float64) + np.tile(grain, (6, 8, 1))
    return _encode(Image.fromarray(pixels.clip(0, 255).astype(np.uint8)), "JPEG", quality=90)


def with_exif(data, exif_time=None, exif_gps=None, orientation=None):
    """A JPEG re-saved with the given EXIF (pixels kept: same quantisation tables)."""
    image = Image.open(io.BytesIO(data))
    exif = Image.Exif()
    if exif_time is not None:
        sub = exif.get_ifd(ExifTags.IFD.Exif)
        sub[ExifTags.Base.DateTimeOriginal] = exif_time.strftime("%Y:%m:%d %H:%M:%S")
        if exif_time.tzinfo is not None:
            offset = exif_time.utcoffset()
            minutes = int(offset.total_seconds() // 60)
            sign = "+" if minutes >= 0 else "-"
            sub[ExifTags.Base.OffsetTimeOriginal] = f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    if exif_gps is not None:
        lng, lat = exif_gps
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps[ExifTags.GPS.GPSVersionID] = b"\x02\x03\x00\x00"
        gps[ExifTags.GPS.GPSLatitudeRef] = "N" if lat >= 0 else "S"
        gps[ExifTags.GPS.GPSLatitude] = _dms(abs(lat))
        gps[ExifTags.GPS.GPSLongitudeRef] = "E" if lng >= 0 else "W"
        gps[ExifTags.GPS.GPSLongitude] = _dms(abs(lng))
        gps[ExifTags.GPS.GPSMapDatum] = "WGS-84"
    if orientation is not None:
        # The stored pixels are the upright picture turned the other way.
        undo = {1: None, 3: Image.Transpose.ROTATE_180, 6: Image.Transpose.ROTATE_90,
                8: Image.Transpose.ROTATE_270}[orientation]
        if undo is not None:
            image = image.transpose(undo)
        exif[ExifTags.Base.Orientation] = orientation
        return _encode(image, "JPEG", quality=92, exif=exif.tobytes())
    return _encode(image, "JPEG", quality="keep", exif=exif.tobytes())


# --- refused inputs ---------------------------------------------------------------------------

def pdf_bytes():
    """A small but complete PDF document (what a user picks from 文件 instead of 相册)."""
    return (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
            b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\n"
            b"trailer<</Root 1 0 R>>\n%%EOF\n")


def gif_bytes(size=(400, 400)):
    """A real GIF image (to be uploaded under a .jpg name)."""
    return _encode(Image.new("RGB", size, (200, 30, 30)), "GIF")


def truncated(data, keep=0.6):
    """The first `keep` share of the bytes: an upload cut off on a weak mobile connection."""
    return data[: int(len(data) * keep)]


def jpeg_garbage(n=4096, seed=5):
    """JPEG magic bytes followed by noise."""
    import random
    return b"\xff\xd8\xff\xe0" + random.Random(seed).randbytes(n)


def png_bad_crc(data):
    """A PNG (from `data`) whose first IDAT chunk has a wrong checksum."""
    png = bytearray(as_png(data))
    at = png.index(b"IDAT") - 4
    length = struct.unpack(">I", png[at:at + 4])[0]
    crc_at = at + 8 + length
    png[crc_at:crc_at + 4] = bytes(b ^ 0xFF for b in png[crc_at:crc_at + 4])
    return bytes(png)


def padded(data, total_bytes):
    """`data` followed by zero bytes up to `total_bytes` (a valid image, just a huge file)."""
    return data + b"\x00" * max(0, total_bytes - len(data))


def declared_size_jpeg(width, height, data=None):
    """A small JPEG whose frame header claims width×height: a decompression bomb's header."""
    jpeg = bytearray(data or fixture("face.jpg"))
    i = 2
    while i < len(jpeg):
        marker, length = jpeg[i + 1], struct.unpack(">H", jpeg[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            jpeg[i + 5:i + 9] = struct.pack(">HH", height, width)
            return bytes(jpeg)
        i += 2 + length
    raise ValueError("no SOF marker")


def bomb_png(side=15000):
    """A real side×side 1-bit PNG of a few tens of KB that would need side² pixels in memory."""
    row = b"\x00" + b"\x00" * ((side + 7) // 8)      # filter byte + packed bits
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()

    def chunk(kind, payload):
        return (struct.pack(">I", len(payload)) + kind + payload
                + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF))

    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", body)
            + chunk(b"IEND", b""))


def _dms(value):
    degrees = int(value)
    minutes_full = (value - degrees) * 60
    minutes = int(minutes_full)
    seconds = Fraction((minutes_full - minutes) * 60).limit_denominator(10000)
    return (Fraction(degrees), Fraction(minutes), seconds)


def _encode(image, fmt, **options):
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()

