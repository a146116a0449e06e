"""Photos and signatures: checked by content, the work photo must show a face, kept in GridFS with
their EXIF time and position; a photo that looks like one of another record is flagged."""
from dataclasses import replace

from pymongo.errors import DuplicateKeyError

from emss_common.errors import NotFound, ValidationFailed
from emss_common.files import FileStore, decode_upload, encode
from emss_common.serial import to_document, to_wire
from emss_common.validation import load

from ..domain.access import may_see_lookalike
from ..domain.checkins import flag, photo_flags
from emss_common.imaging import shared_detector, hamming, inspect_image, require_face
from ..schemas import PHOTO_KINDS, PhotoSchema
from ..storage import PHOTO_FILES, new_id
from . import policy

def bands(phash):
    """The hash's eight bytes, tagged by position: two hashes within 7 bits share at least one
    (pigeonhole), so candidates come from an index instead of a scan of every photo."""
    return [f"{i}:{phash[2 * i:2 * i + 2]}" for i in range(len(phash) // 2)]


def view(photo):
    out = to_wire(photo)
    out.pop("file_id", None)
    out.pop("phash_bands", None)
    out["kind_label"] = PHOTO_KINDS.get(photo.get("kind"), photo.get("kind"))
    return out


def view_for(ctx, actor, photo):
    """A photo's view as `actor` may see it (its flags through shown_flags)."""
    out = view(photo)
    out["flags"] = shown_flags(ctx, actor, photo.get("flags") or [])
    return out


LOOKALIKE_NAMES = ("other_photo_id", "other_subject_id", "other_number")


def shown_flags(ctx, actor, flags):
    """Flags as `actor` may see them: a duplicate_photo flag names the look-alike's record, number
    and photo only to those who may see that record (domain/access.py); to anyone else it says
    only that a look-alike exists elsewhere (`elsewhere`: True)."""
    out = []
    for f in to_wire(flags):
        if f.get("code") == "duplicate_photo" and f.get("other_subject_id"):
            other = _lookalike_subject(ctx, f["other_subject_id"])
            if other is None or not may_see_lookalike(actor, other):
                f = {k: v for k, v in f.items() if k not in LOOKALIKE_NAMES}
                f["elsewhere"] = True
        out.append(f)
    return out


def _lookalike_subject(ctx, subject_id):
    fields = {"_id": 0, "id": 1, "status": 1, "filer": 1, "leader": 1, "institution_id": 1,
              "enterprise_id": 1, "district": 1}
    return ctx.db["records"].find_one({"id": subject_id}, fields) \
        or ctx.db["trips"].find_one({"id": subject_id}, fields)


def _duplicates(ctx, phash, subject_id):
    rule = policy.duplicate_rule(ctx)
    # Only the band index in the query, the rest checked here: an engine that uses an index only
    # when it holds every field of the filter (SecantusDB) would otherwise scan every photo.
    query = {"phash_bands": {"$in": bands(phash)}} if rule.max_distance < 8 else {}
    found = []
    for other in ctx.db["photos"].find(query, {"_id": 0, "id": 1, "phash": 1, "subject_id": 1, "kind": 1,
                                               "subject_number": 1, "subject_type": 1}).limit(2000):
        if other["subject_id"] != subject_id and other.get("kind") != "signature" \
                and rule.matches(phash, other["phash"]):
            other.pop("kind", None)
            found.append(other)
    return found


def attach(ctx, actor, subject, subject_type, payload, outlet=None, checked_in_at=None):
    """Store one photo of a record or trip. Returns (photo view, flags raised)."""
    data = load(PhotoSchema(), payload)
    known = ctx.db["photos"].find_one({"subject_id": subject["id"], "upload_id": data["upload_id"]}, {"_id": 0})
    if known is not None:  # the same upload sent again (weak network): nothing new
        return view_for(ctx, actor, known), []
    limits = policy.photo_limits(ctx)
    content = decode_upload(data["file"], "file", limits.max_bytes)
    facts = inspect_image(content, limits, field="file")
    faces = None
    if data["kind"] == "work":
        faces = require_face(shared_detector(), content, "file")
    flags = []
    for other in _duplicates(ctx, facts.phash, subject["id"]):
        flags.append(flag("duplicate_photo", photo_id=None, other_photo_id=other["id"],
                          other_subject_id=other["subject_id"], other_number=other.get("subject_number"),
                          other_subject_type=other.get("subject_type"),
                          distance=hamming(facts.phash, other["phash"])))
    if outlet is not None:
        flags.extend(photo_flags(policy.checkin_policy(ctx), facts, outlet, checked_in_at))
    photo_id = new_id()
    for f in flags:
        f["photo_id"] = photo_id
    file_id, sha = FileStore(ctx.db, PHOTO_FILES).put(content, data["file"].get("name") or data["kind"],
                                                      facts.content_type, photo_id=photo_id)
    photo = {"id": photo_id, "upload_id": data["upload_id"], "subject_id": subject["id"],
             "subject_type": subject_type, "subject_number": subject.get("number"),
             "kind": data["kind"], "caption": data.get("caption"), "file_id": file_id,
             "content_type": facts.content_type, "width": facts.width, "height": facts.height,
             "size_bytes": facts.size_bytes, "sha256": sha, "phash": facts.phash,
             "phash_bands": bands(facts.phash), "faces": faces,
             "exif": {"taken_at": facts.taken_at,
                      "lng": facts.gps[0] if facts.gps else None, "lat": facts.gps[1] if facts.gps else None},
             "flags": flags, "uploaded_by": actor.account_id, "uploaded_at": ctx.now}
    try:
        ctx.db["photos"].insert_one(to_document(photo))
    except DuplicateKeyError:  # a concurrent retry of the same upload won
        known = ctx.db["photos"].find_one({"subject_id": subject["id"], "upload_id": data["upload_id"]}, {"_id": 0})
        return view_for(ctx, actor, known), []
    return view_for(ctx, actor, to_document(photo)), flags  # flags as stored, not as shown


def signature(ctx, subject_id, upload, field="signature"):
    """A handwritten signature from the signature pad: an image, stored beside the photos."""
    limits = replace(policy.photo_limits(ctx), min_side=50)  # a pad's strip is small by nature
    content = decode_upload(upload, field, limits.max_bytes)
    facts = inspect_image(content, limits, field=field)
    file_id, sha = FileStore(ctx.db, PHOTO_FILES).put(content, "signature", facts.content_type,
                                                      subject_id=subject_id)
    return {"file_id": file_id, "sha256": sha, "content_type": facts.content_type,
            "width": facts.width, "height": facts.height}


def of_subject(ctx, subject_id):
    # _id breaks ties in upload order (pymongo's ObjectIds rise): two photos of one second
    return [{k: v for k, v in p.items() if k != "_id"}
            for p in ctx.db["photos"].find({"subject_id": subject_id}).sort([("uploaded_at", 1), ("_id", 1)])]


def content_of(ctx, photo):
    return {"content_type": photo["content_type"],
            "content_base64": encode(FileStore(ctx.db, PHOTO_FILES).get(photo["file_id"]))}


def encode_file(ctx, file_id):
    return encode(FileStore(ctx.db, PHOTO_FILES).get(file_id))


def ensure_photos_of(ctx, subject_id, photo_ids, field):
    mine = {p["id"] for p in ctx.db["photos"].find({"subject_id": subject_id}, {"id": 1})}
    for i, pid in enumerate(photo_ids):
        if pid not in mine:
            raise ValidationFailed("照片不属于本次记录", field=f"{field}[{i}]")


def get_photo(ctx, photo_id):
    photo = ctx.db["photos"].find_one({"id": photo_id}, {"_id": 0})
    if photo is None:
        raise NotFound("照片不存在", field="photo_id")
    return photo
