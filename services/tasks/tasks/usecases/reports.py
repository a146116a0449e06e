"""Report uploads (上传报告): comparison / calibration reports with their deadline, stored in GridFS."""
from emss_common.access import load_visible
from emss_common.errors import Forbidden, ValidationFailed
from emss_common.outbox import staged
from emss_common.files import FileStore, decode_upload, encode
from emss_common.serial import as_date, to_document, to_wire
from emss_common.validation import load

from ..domain.access import may_edit, may_view, scope_query
from ..domain.frequency import Frequency
from ..domain.occurrences import needs_report
from ..domain.reports import REPORT_FOR_FORM, REPORT_KINDS, sniff
from ..schemas import ReportMetaSchema
from ..storage import audit, insert, new_id
from . import obligations as owed, sampling  # (reports.obligations below is the RPC)

REPORT_FILES = "report_files"
STATUS_LABELS = {"on_time": "按时上传", "late": "逾期上传", "overdue": "超期未上传", "pending": "待上传"}


def _deadline(ctx):
    return owed.upload_rule(ctx)


def _file(ctx, upload):
    """The uploaded file: type recognised from its content, size limited."""
    content = decode_upload(upload, "file", ctx.setting("EMSS_REPORT_MAX_BYTES", 10 * 1024 * 1024),
                            missing="请选择报告文件")
    mime = sniff(content)
    if mime is None:
        raise ValidationFailed("只接受 PDF、PNG 或 JPEG 文件（按文件内容识别）", field="file")
    name = (upload.get("name") or "report").replace("/", "_")[-120:]
    return content, mime, name


def upload(ctx, actor, payload):
    payload = dict(payload or {})
    upload_ = payload.pop("file", None)
    meta = load(ReportMetaSchema(), payload)
    task = _owning_task(ctx, actor, meta["task_id"])
    if meta["issued_on"] > ctx.today:
        raise ValidationFailed("出具日期不能晚于今天", field="issued_on")
    if meta.get("plan_item_id") and meta["plan_item_id"] not in {p["id"] for p in task.get("plan", [])}:
        raise ValidationFailed("关联的运维计划不属于该任务", field="plan_item_id")
    known = {c["record_id"] for c in ctx.db["completions"].find({"task_id": task["id"]}, {"record_id": 1, "voided": 1})
             if not c.get("voided")}
    for i, record_id in enumerate(meta["record_ids"]):
        if record_id not in known:
            raise ValidationFailed("关联表单不是该任务已提交的运维记录", field=f"record_ids[{i}]")
    content, mime, name = _file(ctx, upload_)
    due = _deadline(ctx).due(meta["issued_on"])
    report_id = new_id()
    files = FileStore(ctx.db, REPORT_FILES)
    file_id, sha = files.put(content, name, mime, report_id=report_id)
    report = {"id": report_id, **meta, "institution_id": task["institution_id"], "enterprise_id": task["enterprise_id"],
              "district": task.get("district"), "task_name": task.get("name") or task.get("title"),
              "file_id": file_id, "file_name": name, "content_type": mime, "size": len(content),
              "sha256": sha, "due": due.date, "due_provisional": due.provisional,
              "late": ctx.today > due.date, "uploaded_at": ctx.now, "uploaded_by": actor.to_dict()}
    # Which report obligations it answers, so credit can resolve report.missing and judge lateness.
    report.update(owed.upload_facts(ctx, task["id"], report, due.date))
    ev = ctx.events.new("report.uploaded", report_id, {"report": view(to_document(report))}, actor=actor.to_dict())
    try:
        insert(ctx.db["reports"], staged(report, ev), conflict_field="number", conflict_message="报告编号已登记")
    except Exception:
        files.delete(file_id)  # nothing accepted, nothing kept
        raise
    ctx.events.flush("reports", report_id, ev)
    owed.close_answered(ctx, task["id"], report)
    if task.get("stage") == "report":
        sampling.attach_report(ctx, task["id"], report_id)
    audit(ctx.db, task["id"], "report_uploaded", actor.to_dict(), ctx.now, report_id=report_id, late=report["late"])
    return view(to_document(report))


def _owning_task(ctx, actor, task_id):
    task = ctx.db["tasks"].find_one({"id": task_id}, {"_id": 0}) or \
        ctx.db["sampling_tasks"].find_one({"id": task_id}, {"_id": 0})
    if task is None or not may_view(actor, task):
        raise ValidationFailed("任务不存在", field="task_id")
    if not may_edit(actor, task):
        raise Forbidden("只有本机构主账户可以上传报告")
    return task


def view(report):
    out = to_wire(report)
    out["kind_label"] = REPORT_KINDS[report["kind"]]
    out["status"] = "late" if report["late"] else "on_time"
    out["status_label"] = STATUS_LABELS[out["status"]]
    return out


def list_reports(ctx, actor, query=None):
    scope = scope_query(actor)
    if scope is None:
        raise Forbidden("无权查看报告")
    mongo = dict(scope)
    if (query or {}).get("task_id"):
        mongo["task_id"] = query["task_id"]
    rows = ctx.db["reports"].find(mongo, {"_id": 0}).sort([("uploaded_at", -1), ("id", 1)]).limit(500)
    return [view(r) for r in rows]


def download(ctx, actor, report_id):
    report = load_visible(ctx.db["reports"], report_id, actor, may_view, "报告")
    content = FileStore(ctx.db, REPORT_FILES).get(report["file_id"])
    return {"name": report["file_name"], "content_type": report["content_type"], "content_base64": encode(content)}


def obligations(ctx, actor, task_id):
    """Reports a task owes: each ended window of a comparison / periodic-check plan item needs a
    report performed in it, uploaded within the deadline counted from the window's end at the
    latest; none by then is overdue."""
    from .om_tasks import _load, _dated
    task = _dated(_load(ctx, actor, task_id))
    reports = list(ctx.db["reports"].find({"task_id": task_id}, {"_id": 0}))
    rule = _deadline(ctx)
    out = []
    for item in task["plan"]:
        if not needs_report(item["form_kind"]):
            continue
        end = min(task["end"], ctx.today)
        for first, last in Frequency.of(item["frequency"]).windows(task["start"], end, anchor=task["start"]):
            if last >= ctx.today:
                continue  # the window is still open
            match = [r for r in reports if r.get("plan_item_id") == item["id"]
                     and first <= as_date(r["performed_on"]) <= last]
            due = rule.due(last)
            if match:
                status = "late" if any(r["late"] for r in match) and not any(not r["late"] for r in match) else "on_time"
            else:
                status = "overdue" if ctx.today > due.date else "pending"
            out.append({"plan_item_id": item["id"], "form_kind": item["form_kind"],
                        "report_kind": REPORT_FOR_FORM.get(item["form_kind"]),
                        "window_start": first.isoformat(), "window_end": last.isoformat(),
                        "due": due.date.isoformat(), "due_provisional": due.provisional,
                        "status": status, "status_label": STATUS_LABELS[status],
                        "report_ids": [r["id"] for r in match]})
    return out


