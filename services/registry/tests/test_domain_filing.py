"""The filing (备案) lifecycle as rules: who may move an institution from which status to which."""
import pytest

from emss_common.errors import Forbidden, InvalidTransition, ValidationFailed
from registry.domain.filing import (FilingStatus as S, STATUS_LABELS, TRANSITIONS, allowed_actions,
                                    may_take_tasks, next_status)
from registry.domain.roles import Actor

INSTITUTION = Actor("a1", "qingyuan01", frozenset({"institution_admin"}), institution_id="i1")
REGULATOR = Actor("r1", "reg01", frozenset({"regulator"}), district="浦东新区")
FIELD_STAFF = Actor("f1", "field01", frozenset({"field_staff"}), institution_id="i1")
SYSADMIN = Actor("s1", "admin", frozenset({"sysadmin"}))
ENTERPRISE = Actor("e1", "ent01", frozenset({"enterprise_user"}), enterprise_id="e1")

EVERY_STATUS = list(S)

# (from, action, actor, to) for every allowed move of the lifecycle
ALLOWED = [
    (S.DRAFT, "submit", INSTITUTION, S.FIRST_SUBMITTED),
    (S.FIRST_RETURNED, "submit", INSTITUTION, S.FIRST_SUBMITTED),
    (S.FIRST_SUBMITTED, "approve_first", REGULATOR, S.FIRST_APPROVED),
    (S.FIRST_SUBMITTED, "return_first", REGULATOR, S.FIRST_RETURNED),
    (S.FIRST_APPROVED, "submit_second", INSTITUTION, S.SECOND_SUBMITTED),
    (S.SECOND_RETURNED, "submit_second", INSTITUTION, S.SECOND_SUBMITTED),
    (S.SECOND_SUBMITTED, "approve_second", REGULATOR, S.SECOND_APPROVED),
    (S.SECOND_SUBMITTED, "return_second", REGULATOR, S.SECOND_RETURNED),
    (S.SECOND_APPROVED, "publish", REGULATOR, S.PUBLISHED),
]


@pytest.mark.parametrize("current, action, actor, target", ALLOWED,
                         ids=[f"{c.value}-{a}" for c, a, _, _ in ALLOWED])
def test_each_step_of_the_lifecycle_leads_to_its_status(current, action, actor, target):
    reason = "材料不全" if TRANSITIONS[action].needs_reason else None
    assert next_status(current, action, actor, reason) == target


@pytest.mark.parametrize("action", sorted(TRANSITIONS))
def test_no_action_is_allowed_from_a_status_it_does_not_start_from(action):
    actor = REGULATOR if TRANSITIONS[action].by_role == "regulator" else INSTITUTION
    for current in EVERY_STATUS:
        if current in TRANSITIONS[action].sources:
            continue
        with pytest.raises(InvalidTransition) as exc:
            next_status(current, action, actor, reason="原因")
        assert exc.value.field == "status"


def test_a_regulator_cannot_publish_a_filing_that_has_not_passed_second_review():
    for current in (S.DRAFT, S.FIRST_SUBMITTED, S.FIRST_APPROVED, S.SECOND_SUBMITTED,
                    S.SECOND_RETURNED):
        with pytest.raises(InvalidTransition):
            next_status(current, "publish", REGULATOR)


def test_a_published_filing_cannot_be_moved_by_anyone():
    assert allowed_actions(S.PUBLISHED, REGULATOR) == []
    assert allowed_actions(S.PUBLISHED, INSTITUTION) == []


@pytest.mark.parametrize("action", ["submit", "submit_second"])
@pytest.mark.parametrize("actor", [REGULATOR, FIELD_STAFF, SYSADMIN, ENTERPRISE],
                         ids=["regulator", "field_staff", "sysadmin", "enterprise"])
def test_only_the_institution_main_account_submits(action, actor):
    current = next(iter(TRANSITIONS[action].sources))
    with pytest.raises(Forbidden):
        next_status(current, action, actor)


@pytest.mark.parametrize("action", ["approve_first", "return_first", "approve_second",
                                    "return_second", "publish"])
@pytest.mark.parametrize("actor", [INSTITUTION, FIELD_STAFF, SYSADMIN, ENTERPRISE],
                         ids=["institution", "field_staff", "sysadmin", "enterprise"])
def test_only_a_regulator_reviews_and_publishes(action, actor):
    current = next(iter(TRANSITIONS[action].sources))
    with pytest.raises(Forbidden):
        next_status(current, action, actor, reason="原因")


def test_the_role_is_checked_before_the_status_so_an_outsider_learns_nothing():
    with pytest.raises(Forbidden):
        next_status(S.DRAFT, "publish", INSTITUTION)


@pytest.mark.parametrize("action, current", [("return_first", S.FIRST_SUBMITTED),
                                             ("return_second", S.SECOND_SUBMITTED)])
@pytest.mark.parametrize("reason", [None, "", "   "])
def test_a_return_for_correction_needs_a_reason(action, current, reason):
    with pytest.raises(ValidationFailed) as exc:
        next_status(current, action, REGULATOR, reason=reason)
    assert exc.value.field == "reason"


def test_an_approval_needs_no_reason():
    assert next_status(S.FIRST_SUBMITTED, "approve_first", REGULATOR) == S.FIRST_APPROVED


def test_an_unknown_action_is_refused_naming_the_action_field():
    with pytest.raises(ValidationFailed) as exc:
        next_status(S.DRAFT, "approve_everything", REGULATOR)
    assert exc.value.field == "action"


def test_a_self_operating_enterprise_is_filed_at_once_and_goes_straight_to_second_stage():
    assert next_status(S.DRAFT, "submit", INSTITUTION, self_operating=True) == S.FIRST_APPROVED
    assert next_status(S.FIRST_RETURNED, "submit", INSTITUTION, self_operating=True) == S.FIRST_APPROVED


def test_a_self_operating_enterprise_still_goes_through_the_second_review():
    assert next_status(S.FIRST_APPROVED, "submit_second", INSTITUTION,
                       self_operating=True) == S.SECOND_SUBMITTED


def test_a_third_party_institution_waits_for_the_first_review():
    assert next_status(S.DRAFT, "submit", INSTITUTION, self_operating=False) == S.FIRST_SUBMITTED


def test_statuses_are_accepted_as_their_stored_text():
    assert next_status("second_approved", "publish", REGULATOR) == S.PUBLISHED


@pytest.mark.parametrize("current, institution_may, regulator_may", [
    (S.DRAFT, ["submit"], []),
    (S.FIRST_SUBMITTED, [], ["approve_first", "return_first"]),
    (S.FIRST_RETURNED, ["submit"], []),
    (S.FIRST_APPROVED, ["submit_second"], []),
    (S.SECOND_SUBMITTED, [], ["approve_second", "return_second"]),
    (S.SECOND_RETURNED, ["submit_second"], []),
    (S.SECOND_APPROVED, [], ["publish"]),
    (S.PUBLISHED, [], []),
])
def test_allowed_actions_are_what_each_party_may_do_now(current, institution_may, regulator_may):
    assert allowed_actions(current, INSTITUTION) == institution_may
    assert allowed_actions(current, REGULATOR) == regulator_may
    assert allowed_actions(current, FIELD_STAFF) == []
    assert allowed_actions(current, SYSADMIN) == []


@pytest.mark.parametrize("status", EVERY_STATUS)
def test_only_an_approved_or_published_institution_may_take_om_tasks(status):
    assert may_take_tasks(status) is (status in (S.SECOND_APPROVED, S.PUBLISHED))


def test_every_status_has_a_chinese_label():
    assert set(STATUS_LABELS) == set(S)
    assert STATUS_LABELS[S.SECOND_APPROVED] == "二审通过"
    assert STATUS_LABELS[S.PUBLISHED] == "已公开"
