"""Warnings on the test store: raised once, closed by a later fact, stepped by orders and
regulators, each change announced with it; seen only by those whose scope holds them."""
import eventlet
import pytest

from credit.supervision.findings import finding_id
from credit.usecases import warnings
from emss_common.actor import Actor
from emss_common.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from services.credit.tests.findings import (ADMIN, CITY, ENTERPRISE, INSTITUTION, MINHANG, OTHER_ENTERPRISE,
                                            OTHER_INSTITUTION, PUDONG, finding)


def types(ctx):
    return [t for t, _, _ in ctx.events.events]


# ----- raising -----

def test_a_finding_becomes_an_open_warning_with_its_evidence_announced_once(ctx):
    warning, created = warnings.raise_finding(ctx, finding())
    assert created
    assert warning["id"] == finding_id("OM_MISSED", "occ-1")
    assert warning["status"] == "open" and warning["trail"] == [] and warning["order_ids"] == []
    assert warning["evidence"][0] == {"kind": "occurrence", "id": "occ-1", "label": "日常巡检 11月16日—11月22日",
                                      "at": "2026-11-22T23:59:59+08:00", "link": "/tasks/t1"}
    assert warning["raised_at"] == "2026-11-23T02:00:00+00:00"
    assert ctx.events.events == [("warning.raised", warning["id"], {"warning": warning})]
    stored = ctx.db["warnings"].find_one({"id": warning["id"]})
    assert "_outbox" not in stored  # the event left the document for the outbox


def test_raising_the_same_finding_again_changes_nothing(ctx):
    first, _ = warnings.raise_finding(ctx, finding())
    ctx.clock.advance(hours=3)
    again, created = warnings.raise_finding(ctx, finding(summary="另一种说法"))
    assert not created
    assert again == first
    assert ctx.db["warnings"].count_documents({}) == 1
    assert types(ctx) == ["warning.raised"]


def test_a_closed_warning_is_not_reopened_when_its_finding_arises_again(ctx):
    w, _ = warnings.raise_finding(ctx, finding())
    warnings.resolve(ctx, "OM_MISSED", "occ-1", "补录了运维记录")
    again, created = warnings.raise_finding(ctx, finding())
    assert not created and again["status"] == "resolved"


def test_replicas_raising_at_once_make_one_warning_and_one_event(ctx):
    for n in range(6):  # several rounds: a race is not lost every time
        key = f"occ-{n}"
        racing = [eventlet.spawn(warnings.raise_finding, ctx, finding(key=key)) for _ in range(8)]
        results = [r.wait() for r in racing]
        assert sorted(created for _, created in results) == [False] * 7 + [True], key
        assert {w["id"] for w, _ in results} == {finding_id("OM_MISSED", key)}
    assert ctx.db["warnings"].count_documents({}) == 6
    assert types(ctx) == ["warning.raised"] * 6


def test_another_key_is_another_warning(ctx):
    warnings.raise_finding(ctx, finding(key="occ-1"))
    warnings.raise_finding(ctx, finding(key="occ-2"))
    assert ctx.db["warnings"].count_documents({}) == 2


# ----- closing and stepping -----

def test_a_later_fact_resolves_an_open_warning(ctx):
    w, _ = warnings.raise_finding(ctx, finding())
    ctx.clock.advance(days=1)
    resolved = warnings.resolve(ctx, "OM_MISSED", "occ-1", "报告已上传")
    assert resolved["status"] == "resolved"
    assert resolved["trail"] == [{"action": "resolve", "from": "open", "to": "resolved", "by": warnings.SYSTEM,
                                  "at": "2026-11-24T02:00:00+00:00", "reason": "报告已上传", "order_id": None}]
    assert types(ctx) == ["warning.raised", "warning.changed"]
    assert ctx.events.events[-1][2]["warning"]["status"] == "resolved"
    assert warnings.resolve(ctx, "OM_MISSED", "occ-1", "again") is None  # once
    assert warnings.resolve(ctx, "OM_MISSED", "nothing-raised", "x") is None


def test_a_warning_under_an_order_is_not_resolved_by_a_fact(ctx):
    w, _ = warnings.raise_finding(ctx, finding())
    warnings.apply(ctx, w["id"], "order", PUDONG, order_id="ZG-1")
    assert warnings.resolve(ctx, "OM_MISSED", "occ-1", "报告已上传") is None
    assert ctx.db["warnings"].find_one({"id": w["id"]})["status"] == "ordered"


def test_an_order_then_its_acceptance_rectify_the_warning_with_both_steps_kept(ctx):
    w, _ = warnings.raise_finding(ctx, finding())
    ordered = warnings.apply(ctx, w["id"], "order", PUDONG, order_id="ZG-1")
    assert ordered["status"] == "ordered" and ordered["order_ids"] == ["ZG-1"]
    ctx.clock.advance(days=5)
    done = warnings.apply(ctx, w["id"], "rectify", PUDONG, order_id="ZG-1")
    assert done["status"] == "rectified"
    assert [(e["action"], e["order_id"], e["by"]["username"]) for e in done["trail"]] == [
        ("order", "ZG-1", "pudong"), ("rectify", "ZG-1", "pudong")]
    assert done["order_ids"] == ["ZG-1"]
    assert types(ctx) == ["warning.raised", "warning.changed", "warning.changed", "warning.rectified"]
    stored = ctx.db["warnings"].find_one({"id": w["id"]}, {"_id": 0})
    assert stored["status"] == "rectified" and len(stored["trail"]) == 2 and "_outbox" not in stored


def test_apply_refuses_a_step_the_status_does_not_allow(ctx):
    w, _ = warnings.raise_finding(ctx, finding())
    with pytest.raises(InvalidTransition):
        warnings.apply(ctx, w["id"], "rectify", None, order_id="ZG-1")
    with pytest.raises(NotFound):
        warnings.apply(ctx, "W-missing", "order", PUDONG, order_id="ZG-1")
    assert types(ctx) == ["warning.raised"]


def test_a_step_on_a_warning_changed_meanwhile_is_a_conflict_and_writes_nothing(ctx):
    w, _ = warnings.raise_finding(ctx, finding())
    stale = ctx.db["warnings"].find_one({"id": w["id"]}, {"_id": 0})
    warnings.act(ctx, PUDONG, w["id"], {"action": "acknowledge"})
    from credit.supervision import warnings as lifecycle
    with pytest.raises(Conflict):
        warnings._write(ctx, stale, lifecycle.step("open", "suspect"), PUDONG)
    assert [e["action"] for e in ctx.db["warnings"].find_one({"id": w["id"]})["trail"]] == ["acknowledge"]


# ----- a regulator's steps -----

def test_a_regulator_acknowledges_then_dismisses_with_a_reason(ctx):
    w, _ = warnings.raise_finding(ctx, finding())
    seen = warnings.act(ctx, PUDONG, w["id"], {"action": "acknowledge"})
    assert seen["status"] == "acknowledged" and seen["status_label"] == "已确认"
    with pytest.raises(ValidationFailed) as err:
        warnings.act(ctx, PUDONG, w["id"], {"action": "dismiss"})
    assert err.value.field == "reason"
    seen = warnings.act(ctx, CITY, w["id"], {"action": "dismiss", "reason": "排口停产，无需运维"})
    assert seen["status"] == "dismissed" and seen["final"] and seen["actions"] == []
    assert [(e["action"], e["by"]["username"], e["reason"]) for e in seen["trail"]] == [
        ("acknowledge", "pudong", None), ("dismiss", "shi", "排口停产，无需运维")]
    assert types(ctx) == ["warning.raised", "warning.changed", "warning.changed", "warning.dismissed"]
    changed = ctx.events.events[-1][2]
    assert changed["step"]["reason"] == "排口停产，无需运维"


def test_a_suspected_violation_is_announced(ctx):
    w, _ = warnings.raise_finding(ctx, finding())
    seen = warnings.act(ctx, PUDONG, w["id"], {"action": "suspect"})
    assert seen["status"] == "suspected"
    assert types(ctx)[-2:] == ["warning.changed", "warning.suspected"]
    assert ctx.events.events[-1][2]["warning"]["status"] == "suspected"


@pytest.mark.parametrize("action", ["order", "resolve", "rectify", "delete"])
def test_a_regulator_cannot_take_the_orders_or_the_system_s_steps_by_hand(ctx, action):
    w, _ = warnings.raise_finding(ctx, finding())
    with pytest.raises(ValidationFailed) as err:
        warnings.act(ctx, PUDONG, w["id"], {"action": action})
    assert err.value.field == "action"


def test_only_a_regulator_acts_and_the_others_see_it_unchanged(ctx):
    w, _ = warnings.raise_finding(ctx, finding())
    with pytest.raises(Forbidden):
        warnings.act(ctx, INSTITUTION, w["id"], {"action": "acknowledge"})
    with pytest.raises(NotFound):
        warnings.act(ctx, MINHANG, w["id"], {"action": "acknowledge"})
    assert warnings.get_warning(ctx, INSTITUTION, w["id"])["actions"] == []
    assert [a["action"] for a in warnings.get_warning(ctx, PUDONG, w["id"])["actions"]] == [
        "acknowledge", "dismiss", "order", "suspect"]
    assert ctx.db["warnings"].find_one({"id": w["id"]})["status"] == "open"


# ----- who sees what -----

@pytest.fixture
def spread(ctx):
    """Four warnings: Pudong i1/e1 (two rules), Pudong i2/e2, Minhang i1/e2."""
    out = {}
    out["a"], _ = warnings.raise_finding(ctx, finding(key="a"))
    ctx.clock.advance(hours=1)
    out["b"], _ = warnings.raise_finding(ctx, finding(rule="FAULT_SLOW", key="b", outlet_id="o2"))
    ctx.clock.advance(hours=1)
    out["c"], _ = warnings.raise_finding(ctx, finding(key="c", institution_id="i2", enterprise_id="e2",
                                                      outlet_id="o3"))
    ctx.clock.advance(hours=1)
    out["d"], _ = warnings.raise_finding(ctx, finding(key="d", district="闵行区", enterprise_id="e2", outlet_id="o4"))
    return out


def listed(ctx, actor, **query):
    return [w["key"] for w in warnings.list_warnings(ctx, actor, query)["items"]]


@pytest.mark.parametrize("actor, keys", [(CITY, ["d", "c", "b", "a"]), (PUDONG, ["c", "b", "a"]),
                                         (MINHANG, ["d"]), (INSTITUTION, ["d", "b", "a"]),
                                         (OTHER_INSTITUTION, ["c"]), (ENTERPRISE, ["b", "a"]),
                                         (OTHER_ENTERPRISE, ["d", "c"])])
def test_each_actor_lists_exactly_the_warnings_of_their_scope_newest_first(ctx, spread, actor, keys):
    assert listed(ctx, actor) == keys


def test_a_warning_outside_one_s_scope_is_not_found(ctx, spread):
    for actor, key in ((MINHANG, "a"), (OTHER_INSTITUTION, "a"), (ENTERPRISE, "c"), (PUDONG, "d")):
        with pytest.raises(NotFound):
            warnings.get_warning(ctx, actor, spread[key]["id"])
    assert warnings.get_warning(ctx, PUDONG, spread["a"]["id"])["key"] == "a"
    assert warnings.get_warning(ctx, ENTERPRISE, spread["a"]["id"])["key"] == "a"


@pytest.mark.parametrize("actor", [ADMIN, Actor.from_dict({"username": "x", "roles": ["field_staff"]}),
                                   Actor.from_dict({"username": "y", "roles": ["regulator"]})])
def test_an_actor_without_a_scope_is_forbidden(ctx, spread, actor):
    with pytest.raises(Forbidden):
        warnings.list_warnings(ctx, actor, {})
    with pytest.raises(Forbidden):
        warnings.get_warning(ctx, actor, spread["a"]["id"])
    with pytest.raises(Forbidden):
        warnings.overview(ctx, actor, {})


@pytest.mark.parametrize("query, keys", [
    ({"rule": "FAULT_SLOW"}, ["b"]), ({"institution_id": "i2"}, ["c"]), ({"enterprise_id": "e2"}, ["d", "c"]),
    ({"outlet_id": "o4"}, ["d"]), ({"district": "闵行区"}, ["d"]), ({"status": "acknowledged"}, ["a"]),
    ({"from": "2026-11-23", "to": "2026-11-23"}, ["d", "c", "b", "a"]), ({"from": "2026-11-24"}, []),
    ({"to": "2026-11-22"}, [])])
def test_the_list_filters(ctx, spread, query, keys):
    warnings.act(ctx, CITY, spread["a"]["id"], {"action": "acknowledge"})
    assert listed(ctx, CITY, **query) == keys


def test_a_district_regulator_filtering_another_district_sees_nothing(ctx, spread):
    assert listed(ctx, PUDONG, district="闵行区") == []


def test_the_list_pages_by_cursor(ctx, spread):
    first = warnings.list_warnings(ctx, CITY, {"size": 3})
    assert [w["key"] for w in first["items"]] == ["d", "c", "b"] and first["total"] == 4
    second = warnings.list_warnings(ctx, CITY, {"size": 3, "after": first["next"]})
    assert [w["key"] for w in second["items"]] == ["a"] and second["next"] is None


@pytest.mark.parametrize("query, field", [({"status": "closed"}, "status"), ({"severity": "x"}, "severity"),
                                          ({"from": "2026-13-01"}, "from"), ({"size": 0}, "size"),
                                          ({"from": "2026-11-24", "to": "2026-11-23"}, "to"),
                                          ({"colour": "red"}, "colour")])
def test_a_bad_list_query_names_its_field(ctx, query, field):
    with pytest.raises(ValidationFailed) as err:
        warnings.list_warnings(ctx, CITY, query)
    assert err.value.field == field


# ----- overview -----

def test_the_overview_counts_the_month_within_the_scope_and_trends_twelve_months(ctx, spread):
    ctx.clock.set("2026-10-05T09:00:00+08:00")
    warnings.raise_finding(ctx, finding(key="oct"))
    ctx.clock.set("2026-12-01T00:30:00+08:00")  # December in Shanghai, still November in UTC
    warnings.raise_finding(ctx, finding(key="dec"))
    warnings.act(ctx, CITY, spread["a"]["id"], {"action": "suspect"})
    ctx.db["institutions"].insert_one({"id": "i1", "name": "上海清源环境运维有限公司"})

    city = warnings.overview(ctx, CITY, {"month": "2026-11"})
    assert city["month"] == "2026-11" and city["total"] == 4
    assert city["by_rule"] == [{"rule": "OM_MISSED", "name": "运维频次未完成", "count": 3},
                               {"rule": "FAULT_SLOW", "name": "故障处理超时", "count": 1}]
    assert city["by_district"] == [{"district": "浦东新区", "count": 3}, {"district": "闵行区", "count": 1}]
    assert city["by_institution"] == [{"institution_id": "i1", "name": "上海清源环境运维有限公司", "count": 3},
                                      {"institution_id": "i2", "name": None, "count": 1}]
    assert {s["status"]: s["count"] for s in city["by_status"]} == {
        "open": 3, "acknowledged": 0, "ordered": 0, "suspected": 1, "dismissed": 0, "resolved": 0, "rectified": 0}
    assert [t["month"] for t in city["trend"]] == ["2025-12"] + [f"2026-{m:02d}" for m in range(1, 12)]
    assert [t["count"] for t in city["trend"]][-3:] == [0, 1, 4]  # September, October, November

    pudong = warnings.overview(ctx, PUDONG, {"month": "2026-11"})
    assert pudong["total"] == 3 and [d["district"] for d in pudong["by_district"]] == ["浦东新区"]
    assert warnings.overview(ctx, OTHER_INSTITUTION, {"month": "2026-11"})["total"] == 1
    december = warnings.overview(ctx, CITY, {})  # this month, by the clock (Shanghai)
    assert december["month"] == "2026-12" and december["total"] == 1
    assert december["trend"][-1] == {"month": "2026-12", "count": 1}


def test_a_bad_month_names_its_field(ctx):
    with pytest.raises(ValidationFailed) as err:
        warnings.overview(ctx, CITY, {"month": "2026-13"})
    assert err.value.field == "month"


# ----- the lead (usecases/leads.py, when the build has it) -----

@pytest.fixture
def leads(monkeypatch):
    """A stand-in for usecases/leads.py recording what it was asked to mark."""
    import importlib.machinery
    import types
    module = types.ModuleType("credit.usecases.leads")
    module.__spec__ = importlib.machinery.ModuleSpec("credit.usecases.leads", None)
    module.marked = []

    def lead_mark(ctx, warning, actor):
        module.marked.append((warning["id"], warning["status"], actor.username))
        ctx.db["warnings"].update_one({"id": warning["id"]}, {"$set": {"lead": {"message_id": "m-1"}}})
    module.lead_mark = lead_mark
    monkeypatch.setitem(__import__("sys").modules, "credit.usecases.leads", module)
    return module


def test_a_suspect_step_hands_the_warning_to_the_lead_once_it_is_suspected(ctx, leads):
    w, _ = warnings.raise_finding(ctx, finding())
    warnings.act(ctx, PUDONG, w["id"], {"action": "acknowledge"})
    assert leads.marked == []
    seen = warnings.act(ctx, PUDONG, w["id"], {"action": "suspect"})
    assert leads.marked == [(w["id"], "suspected", "pudong")]
    assert seen["lead"] == {"message_id": "m-1"}  # the page shows the lead as it was made


def test_without_the_leads_module_a_suspect_step_is_still_taken(ctx, monkeypatch):
    monkeypatch.setattr(warnings, "_leads", lambda: None)
    w, _ = warnings.raise_finding(ctx, finding())
    assert warnings.act(ctx, PUDONG, w["id"], {"action": "suspect"})["lead"] is None


def test_two_regulators_acting_at_once_make_one_step_and_the_other_is_told(ctx):
    w, _ = warnings.raise_finding(ctx, finding())

    def attempt(actor, action):
        try:
            return warnings.act(ctx, actor, w["id"], {"action": action})["status"]
        except (Conflict, InvalidTransition) as exc:
            return type(exc).__name__

    racing = [eventlet.spawn(attempt, actor, action)
              for actor, action in ((PUDONG, "acknowledge"), (CITY, "suspect")) * 3]
    outcomes = [r.wait() for r in racing]
    stored = ctx.db["warnings"].find_one({"id": w["id"]})
    steps = [e["action"] for e in stored["trail"]]
    # Each step the store took was taken from the status it saw; the rest were refused.
    assert sum(o in ("acknowledged", "suspected") for o in outcomes) == len(steps)
    assert 1 <= len(steps) <= 2 and steps.count("acknowledge") <= 1 and steps.count("suspect") <= 1
    assert [e["from"] for e in stored["trail"]] == ["open", *[e["to"] for e in stored["trail"]][:-1]]
    assert types(ctx).count("warning.changed") == len(steps)
