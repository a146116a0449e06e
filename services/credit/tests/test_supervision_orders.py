"""The rectification order (整改单) as its rules state it: the steps it allows, the reason a return
needs, its deadline in official working days, and the finding an overdue order makes."""
from datetime import date

import pytest

from credit.supervision import orders as o
from credit.supervision.findings import finding_id
from emss_common.actor import Actor
from emss_common.errors import Forbidden, InvalidTransition, ValidationFailed


def test_the_order_runs_issued_answered_returned_answered_accepted():
    status = o.ISSUED
    status = o.transition(status, "answer")
    assert status == o.ANSWERED
    status = o.transition(status, "return", reason="照片不清晰")
    assert status == o.RETURNED
    status = o.transition(status, "answer")
    assert status == o.ANSWERED
    assert o.transition(status, "accept") == o.ACCEPTED


@pytest.mark.parametrize("status, action", [
    (o.ISSUED, "accept"), (o.ISSUED, "return"), (o.RETURNED, "accept"), (o.RETURNED, "return"),
    (o.ANSWERED, "answer"), (o.ACCEPTED, "answer"), (o.ACCEPTED, "return"), (o.ACCEPTED, "accept"),
])
def test_steps_out_of_turn_are_refused(status, action):
    with pytest.raises(InvalidTransition):
        o.transition(status, action, reason="x")


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_a_return_needs_a_reason(reason):
    with pytest.raises(ValidationFailed) as err:
        o.transition(o.ANSWERED, "return", reason=reason)
    assert err.value.field == "reason"


# 2026: 25 Sep is Mid-Autumn; 1–7 Oct National Day; Saturday 10 Oct is a working day (调休).
@pytest.mark.parametrize("issued_on, days, due", [
    (date(2026, 9, 24), 1, date(2026, 9, 28)),     # holiday Friday and the weekend are skipped
    (date(2026, 9, 30), 1, date(2026, 10, 8)),     # the whole National Day week is skipped
    (date(2026, 9, 30), 3, date(2026, 10, 10)),    # the adjusted Saturday counts
    (date(2026, 9, 30), 10, date(2026, 10, 20)),
    (date(2026, 12, 4), 10, date(2026, 12, 18)),   # a Friday: two weekends inside
])
def test_the_deadline_counts_official_working_days_from_the_day_of_issue(issued_on, days, due):
    assert o.OrderPolicy(days).due(issued_on).date == due


def _order(status=o.ISSUED, due="2026-10-20", **kw):
    return {"id": "ord1", "number": "ZG2026000001", "status": status, "due": due, "issued_on": "2026-09-30",
            "issued_at": "2026-09-30T02:00:00+00:00", "district": "徐汇区",
            "addressee": {"kind": "institution", "id": "inst1"}, "institution_id": "inst1", "enterprise_id": None,
            "items": [{"id": "1"}, {"id": "2"}], **kw}


@pytest.mark.parametrize("status", [o.ISSUED, o.RETURNED])
def test_an_order_waiting_for_its_addressee_is_overdue_from_the_day_after_its_last_day(status):
    policy = o.OrderPolicy(10)
    assert not policy.is_overdue(_order(status), date(2026, 10, 20))    # the last day itself
    assert policy.is_overdue(_order(status), date(2026, 10, 21))


@pytest.mark.parametrize("status", [o.ANSWERED, o.ACCEPTED])
def test_an_order_answered_or_accepted_is_not_overdue(status):
    assert not o.OrderPolicy(10).is_overdue(_order(status), date(2026, 11, 30))


def test_the_overdue_finding_is_the_order_itself_against_its_addressee():
    finding = o.overdue_finding(_order(), date(2026, 10, 21), 10)
    assert finding.rule == "ORDER_OVERDUE" and finding.key == "ord1"
    assert finding.id == finding_id("ORDER_OVERDUE", "ord1")
    assert (finding.subject_kind, finding.subject_id, finding.institution_id) == ("institution", "inst1", "inst1")
    assert finding.district == "徐汇区"
    assert (finding.period_start, finding.period_end) == ("2026-09-30", "2026-10-20")
    assert finding.numbers["working_days"] == 10 and finding.numbers["due"] == "2026-10-20"
    assert [(e.kind, e.id, e.link) for e in finding.evidence] == [("order", "ord1", "/orders/ord1")]
    assert "ZG2026000001" in finding.summary and "2026-10-20" in finding.summary


def _actor(roles, **kw):
    return Actor(account_id="a", username="u", roles=frozenset(roles), **kw)


def test_only_the_regulator_of_its_district_or_the_city_issues_and_reviews():
    xuhui = _actor({"regulator"}, district="徐汇区")
    city = _actor({"regulator"}, district="*")
    other = _actor({"regulator"}, district="长宁区")
    inst_admin = _actor({"institution_admin"}, institution_id="inst1")
    assert o.may_issue(xuhui, "徐汇区") and o.may_issue(city, "徐汇区")
    assert not o.may_issue(other, "徐汇区") and not o.may_issue(inst_admin, "徐汇区")
    order = _order()
    assert o.may_review(xuhui, order) and o.may_review(city, order) and not o.may_review(other, order)
    assert not o.may_view(other, order)


def test_only_the_addressee_answers():
    order = _order()
    assert o.may_answer(_actor({"institution_admin"}, institution_id="inst1"), order)
    assert not o.may_answer(_actor({"field_staff"}, institution_id="inst1"), order)
    assert not o.may_answer(_actor({"institution_admin"}, institution_id="inst2"), order)
    assert not o.may_answer(_actor({"regulator"}, district="徐汇区"), order)
    to_enterprise = _order(addressee={"kind": "enterprise", "id": "ent1"}, institution_id=None, enterprise_id="ent1")
    assert o.may_answer(_actor({"enterprise_user"}, enterprise_id="ent1"), to_enterprise)
    assert not o.may_answer(_actor({"institution_admin"}, institution_id="inst1"), to_enterprise)


def test_the_district_of_an_order_is_the_one_of_its_sources_and_the_issuer_must_cover_it():
    city = _actor({"regulator"}, district="*")
    xuhui = _actor({"regulator"}, district="徐汇区")
    assert o.order_district(city, [{"district": "徐汇区"}, {"district": "徐汇区"}]) == "徐汇区"
    assert o.order_district(xuhui, [{"district": "徐汇区"}]) == "徐汇区"
    with pytest.raises(ValidationFailed) as err:
        o.order_district(city, [{"district": "徐汇区"}, {"district": "长宁区"}])
    assert err.value.field == "district"
    with pytest.raises(ValidationFailed):
        o.order_district(xuhui, [{"district": "长宁区"}])   # sources outside the issuer's district
    with pytest.raises(Forbidden):
        o.order_district(_actor({"institution_admin"}, institution_id="inst1"), [{"district": "徐汇区"}])


def test_every_item_is_answered_exactly_once():
    order = {"items": [{"id": "1"}, {"id": "2"}]}
    o.check_answers(order, [{"item_id": "2"}, {"item_id": "1"}])
    for answers, field in [([{"item_id": "1"}], "answers"),
                           ([{"item_id": "1"}, {"item_id": "1"}], "answers[1].item_id"),
                           ([{"item_id": "1"}, {"item_id": "9"}], "answers[1].item_id")]:
        with pytest.raises(ValidationFailed) as err:
            o.check_answers(order, answers)
        assert err.value.field == field
