"""A warning as credit's warnings use case keeps it (CONTRACT.md), for the lead tests."""
REGULATOR = {"account_id": "acc-r1", "username": "pd_jg", "name": "张监管", "roles": ["regulator"],
             "district": "浦东新区"}
SYSTEM = {"account_id": None, "username": "system", "roles": ["system"], "name": None}
MARKED_AT = "2026-06-09T01:02:03.456+00:00"


def warning_doc(warning_id="W-0123456789abcdef0123", suspected=True, **changes):
    """Marked suspected at MARKED_AT by REGULATOR (suspected=False: acknowledged only)."""
    trail = [{"action": "acknowledge", "by": REGULATOR, "at": "2026-06-05T01:00:00+00:00", "reason": None,
              "order_id": None}]
    if suspected:
        trail.append({"action": "suspect", "by": REGULATOR, "at": MARKED_AT, "reason": None, "order_id": None})
    doc = {"id": warning_id, "rule": "FAULT_SLOW", "rule_name": "故障处理超时", "severity": "high",
           "category": "quality", "subject_kind": "record", "subject_id": "rec-9",
           "institution_id": "inst-1", "enterprise_id": "ent-1", "outlet_id": "out-1", "person_id": None,
           "district": "浦东新区", "period_start": "2026-06-01", "period_end": "2026-06-03",
           "summary": "故障发现至修复用时 80 小时，超过 72 小时", "numbers": {"hours": 80, "limit": 72},
           "evidence": [{"kind": "record", "id": "rec-9", "label": "故障维修 YW2026000009",
                         "at": "2026-06-01T02:00:00+00:00", "link": "/records/rec-9"}],
           "status": "suspected" if suspected else "acknowledged", "raised_at": "2026-06-04T00:00:00+00:00",
           "trail": trail, "lead": None, "order_ids": []}
    doc.update(changes)
    return doc


def closed(doc, action, status, by, at, reason=None, order_id=None):
    """The warning after a later step (rectify / dismiss)."""
    return {**doc, "status": status,
            "trail": doc["trail"] + [{"action": action, "by": by, "at": at, "reason": reason, "order_id": order_id}]}
