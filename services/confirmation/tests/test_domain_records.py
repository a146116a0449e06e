"""The record confirmation state machine and its rules, without nameko, RabbitMQ or MongoDB."""
from datetime import date, datetime, timedelta

import pytest

from emss_common.actor import Actor
from emss_common.clock import SHANGHAI, as_utc
from emss_common.errors import Forbidden, InvalidTransition
from confirmation.domain.records import (ENTERPRISE_CONFIRM, MARK_OVERDUE, REVIEW_CONFIRM, VOID,
                                         ConfirmationDeadline, RecordConfirmation, Refusal, confirmation_day,
                                         ensure_enterprise_user, ensure_reviewer, is_filer,
                                         judge_each, judge_enterprise_confirmation, judge_review, not_ours)

DAY = date(2026, 11, 23)
DEADLINE = ConfirmationDeadline()
MORNING = as_utc("2026-11-23T10:00:00+08:00")

FILER = {"account_id": "a-zhao", "staff_id": "s-zhao", "name": "赵强"}
ENTERPRISE = Actor("a-ent", "dongfang", frozenset({"enterprise_user"}), enterprise_id="e1")
OTHER_ENTERPRISE = Actor("a-ent2", "xinghuo", frozenset({"enterprise_user"}), enterprise_id="e2")
REVIEWER = Actor("a-qian", "qianwei", frozenset({"reviewer"}), institution_id="i1", staff_id="s-qian")
FILER_REVIEWING = Actor("a-zhao", "zhaoqiang", frozenset({"field_staff", "reviewer"}), institution_id="i1",
                        staff_id="s-zhao")
# The same filed person under a second account: still the filer.
FILER_OTHER_ACCOUNT = Actor("a-zhao-2", "zhaoqiang2", frozenset({"reviewer"}), institution_id="i1",
                            staff_id="s-zhao")
OTHER_INSTITUTION_REVIEWER = Actor("a-x", "x", frozenset({"reviewer"}), institution_id="i2", staff_id="s-x")
FIELD_STAFF_ONLY = Actor("a-zhou", "zhoujie", frozenset({"field_staff"}), institution_id="i1", staff_id="s-zhou")


def record(status="pending", day="2026-11-23", **kw):
    return {"id": "r1", "number": "YW2026000001", "institution_id": "i1", "enterprise_id": "e1",
            "day": day, "status": status, "filer": FILER, **kw}


def steps(transitions):
    return [(t.action, t.source, t.target) for t in transitions]


# ----- the machine -----

def test_the_machine_goes_pending_then_enterprise_confirmed_then_reviewed_or_voided():
    m = RecordConfirmation("pending")
    assert m.apply(ENTERPRISE_CONFIRM).target == "enterprise_confirmed"
    assert m.can(REVIEW_CONFIRM) and m.can(VOID) and not m.can(ENTERPRISE_CONFIRM)
    assert m.apply(VOID).target == "voided"
    for step in (REVIEW_CONFIRM, VOID, ENTERPRISE_CONFIRM, MARK_OVERDUE):
        assert not m.can(step)          # reviewed and voided are final
    with pytest.raises(InvalidTransition) as exc:
        m.apply(REVIEW_CONFIRM)
    assert exc.value.field == "status" and "作废" in exc.value.message


def test_only_a_pending_record_becomes_overdue_and_an_overdue_one_may_still_be_confirmed():
    m = RecordConfirmation("pending")
    assert steps([m.apply(MARK_OVERDUE)]) == [("mark_overdue", "pending", "overdue")]
    assert not m.can(MARK_OVERDUE)
    assert m.apply(ENTERPRISE_CONFIRM).source == "overdue"
    assert not RecordConfirmation("enterprise_confirmed").can(MARK_OVERDUE)


# ----- the deadline: end of the day in Shanghai -----

def test_a_day_is_due_at_the_next_midnight_in_shanghai_plus_grace():
    assert DEADLINE.due_at(DAY) == datetime(2026, 11, 24, 0, 0, tzinfo=SHANGHAI)
    assert not DEADLINE.has_passed(DAY, as_utc("2026-11-23T23:59:59+08:00"))
    assert DEADLINE.has_passed(DAY, as_utc("2026-11-24T00:00:00+08:00"))
    # 16:30 UTC is already the next day in Shanghai: the UTC date would be wrong
    assert DEADLINE.has_passed(DAY, as_utc("2026-11-23T16:30:00+00:00"))
    grace = ConfirmationDeadline(timedelta(hours=2))
    assert not grace.has_passed(DAY, as_utc("2026-11-24T01:59:00+08:00"))
    assert grace.has_passed(DAY, as_utc("2026-11-24T02:00:00+08:00"))


def test_days_before_the_cutoff_are_overdue():
    assert DEADLINE.overdue_before(as_utc("2026-11-24T00:00:30+08:00")) == date(2026, 11, 24)
    assert DEADLINE.overdue_before(as_utc("2026-11-23T23:59:00+08:00")) == date(2026, 11, 23)
    assert ConfirmationDeadline(timedelta(hours=2)).overdue_before(as_utc("2026-11-24T01:00:00+08:00")) \
        == date(2026, 11, 23)


def test_the_confirmation_day_is_the_shanghai_date_of_submission():
    assert confirmation_day(as_utc("2026-11-23T16:10:00+00:00")) == date(2026, 11, 24)
    assert confirmation_day(as_utc("2026-11-23T23:50:00+08:00")) == DAY


# ----- enterprise confirmation -----

def test_the_enterprise_confirms_its_own_record_of_that_days_list():
    assert steps(judge_enterprise_confirmation(ENTERPRISE, record(), DAY, MORNING, DEADLINE)) == [
        ("enterprise_confirm", "pending", "enterprise_confirmed")]


@pytest.mark.parametrize("actor, rec, field, code", [
    (OTHER_ENTERPRISE, record(), "record_id", "not_found"),
    (REVIEWER, record(), "record_id", "not_found"),
    (ENTERPRISE, record(day="2026-11-22"), "day", "other_day"),
    (ENTERPRISE, record(status="enterprise_confirmed"), "status", "already_confirmed"),
    (ENTERPRISE, record(status="voided"), "status", "already_confirmed"),
    (Actor("a-zhao", "zhao", frozenset({"enterprise_user"}), enterprise_id="e1"), record(), "filer", "own_record"),
])
def test_an_enterprise_confirmation_is_refused_with_its_reason(actor, rec, field, code):
    with pytest.raises(Refusal) as exc:
        judge_enterprise_confirmation(actor, rec, DAY, MORNING, DEADLINE)
    assert (exc.value.field, exc.value.code) == (field, code)
    assert exc.value.message


def test_a_late_confirmation_goes_through_overdue_first_and_an_overdue_one_stays_late():
    after_midnight = as_utc("2026-11-24T00:00:10+08:00")   # before the sweep noticed
    assert steps(judge_enterprise_confirmation(ENTERPRISE, record(), DAY, after_midnight, DEADLINE)) == [
        ("mark_overdue", "pending", "overdue"), ("enterprise_confirm", "overdue", "enterprise_confirmed")]
    assert steps(judge_enterprise_confirmation(ENTERPRISE, record(status="overdue"), DAY, after_midnight,
                                               DEADLINE)) == [("enterprise_confirm", "overdue", "enterprise_confirmed")]


def test_only_enterprise_users_confirm_and_only_reviewers_review():
    with pytest.raises(Forbidden):
        ensure_enterprise_user(REVIEWER)
    ensure_enterprise_user(ENTERPRISE)
    with pytest.raises(Forbidden):
        ensure_reviewer(FIELD_STAFF_ONLY)
    with pytest.raises(Forbidden):
        ensure_reviewer(ENTERPRISE)
    ensure_reviewer(REVIEWER)


# ----- institution review -----

def test_a_reviewer_of_the_institution_confirms_or_voids_an_enterprise_confirmed_record():
    assert steps(judge_review(REVIEWER, record(status="enterprise_confirmed"), "confirm")) == [
        ("review_confirm", "enterprise_confirmed", "reviewed")]
    assert steps(judge_review(REVIEWER, record(status="enterprise_confirmed"), "void")) == [
        ("void", "enterprise_confirmed", "voided")]


@pytest.mark.parametrize("actor, status, field, code", [
    (REVIEWER, "pending", "status", "not_confirmed"),
    (REVIEWER, "overdue", "status", "not_confirmed"),
    (REVIEWER, "reviewed", "status", "already_reviewed"),
    (REVIEWER, "voided", "status", "already_reviewed"),
    (FILER_REVIEWING, "enterprise_confirmed", "filer", "own_record"),
    (FILER_OTHER_ACCOUNT, "enterprise_confirmed", "filer", "own_record"),
    (OTHER_INSTITUTION_REVIEWER, "enterprise_confirmed", "record_id", "not_found"),
    (FIELD_STAFF_ONLY, "enterprise_confirmed", "record_id", "not_found"),
])
def test_a_review_is_refused_with_its_reason(actor, status, field, code):
    with pytest.raises(Refusal) as exc:
        judge_review(actor, record(status=status), "confirm")
    assert (exc.value.field, exc.value.code) == (field, code)


def test_the_filer_is_recognised_by_account_or_by_filed_person():
    assert is_filer(FILER_REVIEWING, record())
    assert is_filer(FILER_OTHER_ACCOUNT, record())
    assert not is_filer(REVIEWER, record())
    # an account with no staff link is compared by account only
    assert not is_filer(Actor("a-y", "y", frozenset({"reviewer"}), institution_id="i1"),
                        record(filer={"account_id": "a-zhao", "staff_id": None}))


def test_in_a_batch_each_record_is_judged_alone():
    recs = {"r1": record(status="enterprise_confirmed"),
            "r2": {**record(status="enterprise_confirmed"), "id": "r2", "number": "YW2026000002",
                   "filer": {"account_id": "a-zhou", "staff_id": "s-zhou"}},
            "r3": {**record(status="pending"), "id": "r3", "number": "YW2026000003",
                   "filer": {"account_id": "a-zhou", "staff_id": "s-zhou"}}}
    passed, refused = judge_each(["r1", "r2", "r3", "r2", "nope"], recs,
                                 lambda r: judge_review(FILER_REVIEWING, r, "confirm"), not_ours)
    assert [r["id"] for r, _ in passed] == ["r2"]                 # duplicates are judged once
    assert [(x["record_id"], x["code"]) for x in refused] == [
        ("r1", "own_record"), ("r3", "not_confirmed"), ("nope", "not_found")]
    assert refused[0]["number"] == "YW2026000001" and refused[2]["number"] is None


def test_a_refusal_does_not_describe_a_record_of_someone_else():
    passed, refused = judge_each(["r1"], {"r1": record()},
                                 lambda r: judge_enterprise_confirmation(OTHER_ENTERPRISE, r, DAY, MORNING, DEADLINE),
                                 not_ours)
    assert passed == [] and refused == [{"record_id": "r1", "number": None, "field": "record_id",
                                         "code": "not_found", "message": "运维记录不存在或不属于本单位"}]
