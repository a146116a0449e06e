"""The regulator portal (监管门户): institutions in the jurisdiction, filing reviews, the change
request queue, enterprises with their outlets and devices. The system administrator reads the same
pages (the registry decides who may review)."""
from flask import flash, redirect, request, url_for

from . import attempt, bp, cursor_args, empty_page, page, render, services

READERS = ["regulator", "sysadmin"]
REVIEWERS = ["regulator"]
PAGE_SIZE = 20


def _query(keys):
    return {k: request.args.get(k).strip() for k in keys if (request.args.get(k) or "").strip()}


@bp.get("/portal/regulator")
@page(READERS)
def regulator_home(actor):
    query = _query(("keyword", "status", "type", "district"))
    result, error = attempt(services().registry.list_institutions, actor,
                            {**query, **cursor_args(), "size": PAGE_SIZE})
    if error:
        result = empty_page(PAGE_SIZE)
    return render("regulator/institutions.html", result=result, query=query, error=error, tab="institutions")


def _institution_context(actor, institution_id):
    registry = services().registry
    inst = registry.get_institution(actor, institution_id)
    trail = registry.institution_audit_trail(actor, institution_id)
    changes = registry.list_change_requests(actor, {"institution_id": institution_id})
    return {"inst": inst, "trail": list(reversed(trail)), "changes": changes}


@bp.get("/portal/regulator/institutions/<institution_id>")
@page(READERS)
def regulator_institution(actor, institution_id):
    return render("regulator/institution.html", error=None, reason="", tab="institutions",
                  cr_error=None, error_id=None, cr_reason=None,
                  **_institution_context(actor, institution_id))


@bp.post("/portal/regulator/institutions/<institution_id>/review")
@page(REVIEWERS)
def regulator_review(actor, institution_id):
    action = request.form.get("action", "")
    reason = (request.form.get("reason") or "").strip()
    body = {"action": action, "reason": reason or None}
    result, error = attempt(services().registry.transition_institution, actor, institution_id, body)
    if error:
        return render("regulator/institution.html", error=error, reason=reason, tab="institutions",
                      cr_error=None, error_id=None, cr_reason=None,
                      **_institution_context(actor, institution_id))
    flash(f"已执行“{_action_label(action)}”，当前状态：{result['status_label']}")
    return redirect(url_for("pages.regulator_institution", institution_id=institution_id))


def _action_label(action):
    from . import reference
    return reference().get("filing_actions", {}).get(action, action)


def current_items(actor, rows, limit=20):
    """For each pending request, what it would change (the institution's item or basic info as it
    is now), so the queue shows old → new. One read per institution, for the first `limit`."""
    institutions, out = {}, {}
    for cr in rows:
        if cr["status"] != "pending":
            continue
        iid = cr["institution_id"]
        if iid not in institutions:
            if len(institutions) >= limit:
                continue
            institutions[iid], _ = attempt(services().registry.get_institution, actor, iid)
        inst = institutions[iid]
        if not inst:
            continue
        if cr["target"] == "basic":
            out[cr["id"]] = inst
        elif cr.get("item_id"):
            out[cr["id"]] = next((i for i in inst.get(cr["target"], []) if i["id"] == cr["item_id"]), None)
    return out


def _queue(actor, status, **extra):
    rows = services().registry.list_change_requests(actor, {"status": status} if status else {})
    return render("regulator/changes.html", rows=rows, status=status, currents=current_items(actor, rows),
                  tab="changes", **{"cr_error": None, "error_id": None, "cr_reason": None, **extra})


@bp.get("/portal/regulator/changes")
@page(READERS)
def regulator_changes(actor):
    return _queue(actor, request.args.get("status", "pending"))


@bp.post("/portal/regulator/changes/<change_request_id>/decision")
@page(REVIEWERS)
def regulator_change_decision(actor, change_request_id):
    decision = request.form.get("decision", "")
    reason = (request.form.get("reason") or "").strip() or None
    institution_id = request.form.get("institution_id")  # decided from the institution's page
    result, error = attempt(services().registry.decide_change_request, actor, change_request_id,
                            {"decision": decision, "reason": reason})
    if error:
        # Re-render where the decision was made, the message beside that request's reason.
        if institution_id:
            return render("regulator/institution.html", error=None, reason="", tab="institutions",
                          cr_error=error, error_id=change_request_id, cr_reason=reason,
                          **_institution_context(actor, institution_id))
        return _queue(actor, request.form.get("status", "pending"), cr_error=error,
                      error_id=change_request_id, cr_reason=reason)
    flash(f"变更申请已{'通过并生效' if decision == 'approve' else '驳回'}：{result['institution_name']}")
    if institution_id:
        return redirect(url_for("pages.regulator_institution", institution_id=institution_id))
    return redirect(url_for("pages.regulator_changes"))


@bp.get("/portal/regulator/enterprises")
@page(READERS)
def regulator_enterprises(actor):
    query = _query(("keyword",))
    result, error = attempt(services().registry.list_enterprises, actor,
                            {**query, **cursor_args(), "size": PAGE_SIZE})
    if error:
        result = empty_page(PAGE_SIZE)
    return render("regulator/enterprises.html", result=result, query=query, error=error, tab="enterprises")


@bp.get("/portal/regulator/enterprises/<enterprise_id>")
@page(READERS)
def regulator_enterprise(actor, enterprise_id):
    ent = services().registry.get_enterprise(actor, enterprise_id)
    return render("regulator/enterprise.html", ent=ent, tab="enterprises")
