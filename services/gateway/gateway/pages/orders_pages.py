"""Rectification orders (整改单) on both sides: the regulator issues one from warnings or an
inspection and reviews the answers (销号 or 退回 with a reason); the institution's 整改单管理 (seed
001) and the enterprise list the orders addressed to them and answer each item with text, files
and links to new records. The credit service decides who may do what (may_answer / may_review)."""
from flask import flash, redirect, request, url_for

from emss_common.errors import ValidationFailed
from emss_common.vocabulary import INSPECTION_KINDS, ORDER_ACTIONS, ORDER_STATUSES

from ..api.orders import answer_payload, split_list
from . import attempt, bp, cursor_args, empty_page, page, render, services
from .supervision_pages import LABELS, with_names

READERS = ["regulator", "sysadmin", "institution_admin", "enterprise_user"]
REGULATOR = ["regulator"]
ADDRESSEES = ["institution_admin", "enterprise_user"]
PAGE_SIZE = 20
ORDER_LABELS = {**LABELS, "order_statuses": ORDER_STATUSES, "order_actions": ORDER_ACTIONS}
# How far back the answer form offers the addressee's records to link (newest first).
RECORD_CHOICES = 50


def render_o(template, **context):
    return render(template, labels=ORDER_LABELS, **context)


@bp.get("/portal/orders")
@page(READERS)
def orders_list(actor):
    query = {k: request.args[k] for k in ("status", "overdue", "warning_id") if request.args.get(k)}
    result, error = attempt(services().credit.list_orders, actor, {**query, **cursor_args(), "size": PAGE_SIZE})
    if error:
        result = empty_page(PAGE_SIZE)
    return render_o("orders/list.html", result=result, query=query, error=error, tab="orders")


# ----- issue (regulator) -----

def _sources(actor, warning_ids, inspection_ids):
    """The warnings and inspections an order starts from, as the regulator may see them."""
    credit = services().credit
    warnings = [with_names(actor, credit.get_warning(actor, wid)) for wid in warning_ids]
    inspections = [credit.get_inspection(actor, iid) for iid in inspection_ids]
    return warnings, inspections


def _default_items(warnings, inspections):
    items = [{"title": w.get("rule_name") or w.get("rule"), "requirement": "", "warning_ids": [w["id"]],
              "inspection_ids": [], "summary": w.get("summary")} for w in warnings]
    for ins in inspections:
        kind = INSPECTION_KINDS.get(ins.get("kind"), "")
        items.append({"title": f"{kind}发现的问题", "requirement": "", "warning_ids": [], "inspection_ids": [ins["id"]],
                      "summary": inspection_summary(ins)})
    return items


def inspection_summary(ins):
    """What an inspection found, for the order item it starts: its failed items and factors, then
    the inspectors' own words."""
    failed = [it["label"] + (f"（{it['note']}）" if it.get("note") else "")
              for it in ins.get("items") or () if it.get("result") == "fail"]
    failed += [f"{f.get('factor_name') or f.get('factor_code')}：{f.get('message') or '比对不合格'}"
               for f in ins.get("factors") or () if f.get("passed") is False]
    parts = (["不合格：" + "；".join(failed)] if failed else []) + [t for t in [ins.get("findings_text")] if t]
    return "。".join(parts)


def _addressees(warnings, inspections):
    """The parties the sources are about: [(kind, id, name)], institution first."""
    found = {}
    for s in list(warnings) + list(inspections):
        if s.get("institution_id"):
            found.setdefault(("institution", s["institution_id"]), s.get("institution_name") or s["institution_id"])
        if s.get("enterprise_id"):
            found.setdefault(("enterprise", s["enterprise_id"]), s.get("enterprise_name") or s["enterprise_id"])
    return sorted(((k, i, n) for (k, i), n in found.items()), key=lambda a: a[0] != "institution")


def _issue_form(actor, warning_ids, inspection_ids, values=None, error=None, status=200):
    warnings, inspections = _sources(actor, warning_ids, inspection_ids)
    addressees = _addressees(warnings, inspections)
    if values is None:
        first = addressees[0] if addressees else ("institution", "", "")
        values = {"addressee": f"{first[0]}:{first[1]}", "title": "", "working_days": "", "note": "",
                  "items": _default_items(warnings, inspections)}
    return render_o("orders/new.html", warnings=warnings, inspections=inspections, addressees=addressees,
                    values=values, error=error, tab="orders"), status


def _issue_payload(form):
    kind, _, party = (form.get("addressee") or "").partition(":")
    items = []
    for n in form.getlist("item"):
        items.append({"title": (form.get(f"items.{n}.title") or "").strip(),
                      "requirement": (form.get(f"items.{n}.requirement") or "").strip(),
                      "warning_ids": split_list(form.getlist(f"items.{n}.warning_ids")),
                      "inspection_ids": split_list(form.getlist(f"items.{n}.inspection_ids"))})
    payload = {"addressee": {"kind": kind, "id": party}, "title": (form.get("title") or "").strip(), "items": items}
    days = (form.get("working_days") or "").strip()
    if days:
        if not days.isdigit():
            raise ValidationFailed("应为整数", field="working_days")
        payload["working_days"] = int(days)
    note = (form.get("note") or "").strip()
    if note:
        payload["note"] = note
    return payload


@bp.route("/portal/orders/new", methods=["GET", "POST"])
@page(REGULATOR)
def order_new(actor):
    source = request.form if request.method == "POST" else request.args
    warning_ids = split_list(source.getlist("warning_id"))
    inspection_ids = split_list(source.getlist("inspection_id"))
    if not warning_ids and not inspection_ids:
        return render_o("orders/new.html", warnings=[], inspections=[], addressees=[], values=None, error=None,
                        tab="orders")
    if request.method == "GET":
        return _issue_form(actor, warning_ids, inspection_ids)
    values = {"addressee": request.form.get("addressee", ""), "title": request.form.get("title", ""),
              "working_days": request.form.get("working_days", ""), "note": request.form.get("note", ""),
              "items": [{"title": request.form.get(f"items.{n}.title", ""),
                         "requirement": request.form.get(f"items.{n}.requirement", ""),
                         "warning_ids": split_list(request.form.getlist(f"items.{n}.warning_ids")),
                         "inspection_ids": split_list(request.form.getlist(f"items.{n}.inspection_ids")),
                         "summary": request.form.get(f"items.{n}.summary", "")}
                        for n in request.form.getlist("item")]}
    try:
        payload = _issue_payload(request.form)
    except ValidationFailed as exc:
        return _issue_form(actor, warning_ids, inspection_ids, values, exc, exc.http_status)
    order, error = attempt(services().credit.issue_order, actor, payload)
    if error:
        return _issue_form(actor, warning_ids, inspection_ids, values, error, error.http_status)
    flash(f"整改单 {order['number']} 已下发")
    return redirect(url_for("pages.order_page", order_id=order["id"]))


# ----- one order: read, answer, review -----

def _records_to_link(actor, order):
    """The addressee's recent submitted records, to tie an answer to the new work it did."""
    if not order.get("may_answer") or order["addressee"]["kind"] != "institution":
        return []
    result, _ = attempt(services().fieldrecords.list_records, actor, {"status": "submitted", "size": RECORD_CHOICES})
    return (result or {}).get("items", [])


def _order_context(actor, order_id):
    order = services().credit.get_order(actor, order_id)
    return {"o": order, "records": _records_to_link(actor, order), "tab": "orders"}


@bp.get("/portal/orders/<order_id>")
@page(READERS)
def order_page(actor, order_id):
    return render_o("orders/order.html", error=None, answer_values={}, reason="", **_order_context(actor, order_id))


@bp.post("/portal/orders/<order_id>/answer")
@page(ADDRESSEES)
def order_answer(actor, order_id):
    payload = answer_payload()
    result, error = attempt(services().credit.answer_order, actor, order_id, payload)
    if error:
        values = {a["item_id"]: {"text": a["text"], "record_ids": a["record_ids"]} for a in payload.get("answers", [])}
        return render_o("orders/order.html", error=error, answer_values=values, reason="",
                        **_order_context(actor, order_id)), error.http_status
    flash(f"整改单 {result['number']} 已回复，等待监管部门审核")
    return redirect(url_for("pages.order_page", order_id=order_id))


@bp.post("/portal/orders/<order_id>/review")
@page(REGULATOR)
def order_review(actor, order_id):
    decision = request.form.get("decision", "")
    reason = (request.form.get("reason") or "").strip()
    payload = {"decision": decision, **({"reason": reason} if reason else {})}
    result, error = attempt(services().credit.review_order, actor, order_id, payload)
    if error:
        return render_o("orders/order.html", error=error, answer_values={}, reason=reason,
                        **_order_context(actor, order_id)), error.http_status
    flash(f"整改单 {result['number']} {'已销号' if decision == 'accept' else '已退回重新整改'}")
    return redirect(url_for("pages.order_page", order_id=order_id))


# ----- WeChat: the institution's main account sees new orders (整改通知 → 整改单) -----

WX_ROLES = ["institution_admin"]
AWAITING = ("issued", "returned")   # waiting for the addressee's answer
WX_PAGE_SIZE = 30


def awaiting_count(actor):
    """How many orders wait for this institution's answer (the count on the WeChat home's tile);
    None when the credit service cannot say (the tile then shows no count)."""
    total = 0
    for status in AWAITING:
        result, error = attempt(services().credit.list_orders, actor, {"status": status, "size": 1})
        if error:
            return None
        total += result.get("total") or 0
    return total


@bp.get("/wx/orders")
@page(WX_ROLES)
def wx_orders(actor):
    waiting = {"items": []}
    for status in AWAITING:
        result = services().credit.list_orders(actor, {"status": status, "size": WX_PAGE_SIZE})
        waiting["items"] += result["items"]
    waiting["items"].sort(key=lambda o: o.get("due") or "")
    others = services().credit.list_orders(actor, {**cursor_args(), "size": WX_PAGE_SIZE})
    others["items"] = [o for o in others["items"] if o["status"] not in AWAITING]
    return render_o("wx/orders/list.html", waiting=waiting["items"], others=others)


@bp.get("/wx/orders/<order_id>")
@page(WX_ROLES)
def wx_order(actor, order_id):
    return render_o("wx/orders/order.html", o=services().credit.get_order(actor, order_id))
