"""Files that travel inside RPC payloads (base64) and live in GridFS: reports, photos, signatures."""
import base64
import hashlib

import gridfs
from bson import ObjectId

from .errors import NotFound, ValidationFailed


def decode_upload(upload, field, max_bytes, missing="请选择文件"):
    """The bytes of `{"content_base64": ..., "name": ...}`, or a ValidationFailed naming the field."""
    if not isinstance(upload, dict) or not upload.get("content_base64"):
        raise ValidationFailed(missing, field=field)
    try:
        content = base64.b64decode(upload["content_base64"], validate=True)
    except (ValueError, TypeError):
        raise ValidationFailed("文件内容编码错误", field=field) from None
    if not content:
        raise ValidationFailed("文件为空", field=field)
    if len(content) > max_bytes:
        raise ValidationFailed(f"文件不能超过{max_bytes / (1024 * 1024):g}MB", field=field)
    return content


# Accepted document types, recognised by their first bytes (a name or a declared type proves nothing).
_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
DOCUMENT_TYPES_MESSAGE = "只接受 PDF、PNG 或 JPEG 文件（按文件内容识别）"


def sniff(content: bytes):
    """The file's real type from its first bytes, or None when it is not an accepted type."""
    for magic, mime in _SIGNATURES:
        if content.startswith(magic):
            return mime
    return None


def document_upload(upload, field, max_bytes, missing="请选择文件", default_name="file"):
    """An uploaded document (report, rectification evidence): (content, mime, safe name), its type
    recognised from its content and its size limited, or a ValidationFailed naming the field."""
    content = decode_upload(upload, field, max_bytes, missing=missing)
    mime = sniff(content)
    if mime is None:
        raise ValidationFailed(DOCUMENT_TYPES_MESSAGE, field=field)
    name = (upload.get("name") or default_name).replace("/", "_")[-120:]
    return content, mime, name


def encode(content):
    return base64.b64encode(content).decode()


class FileStore:
    """A GridFS bucket of the service's own database."""

    def __init__(self, db, collection):
        self.fs = gridfs.GridFS(db, collection=collection)

    def put(self, content, filename, content_type, **metadata):
        sha = hashlib.sha256(content).hexdigest()
        file_id = self.fs.put(content, filename=filename, content_type=content_type, sha256=sha, **metadata)
        return str(file_id), sha

    def get(self, file_id):
        try:
            grid_out = self.fs.get(ObjectId(file_id))
        except Exception:  # noqa: BLE001 - a bad or unknown id is the same "not found"
            raise NotFound("文件不存在", field="file_id") from None
        return grid_out.read()

    def delete(self, file_id):
        self.fs.delete(ObjectId(file_id))
