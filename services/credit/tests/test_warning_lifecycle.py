"""The lifecycle of a warning (预警), rule by rule (credit/supervision/warnings.py)."""
import pytest

from credit.supervision import warnings as w
from emss_common.errors import Forbidden, InvalidTransition, ValidationFailed
from emss_common.vocabulary import WARNING_ACTIONS, WARNING_STATUSES

ALL = [s.value for s in w.Status]


def reachable(status, action, **kw):
    try:
        w.step(status, action, by_system=True, **kw)
        return True
    except InvalidTransition:
        return False


def test_statuses_and_actions_are_those_of_the_vocabulary():
    assert set(ALL) == set(WARNING_STATUSES)
    assert set(w.ACTIONS) == set(WARNING_ACTIONS)


@pytest.mark.parametrize("source, targets", [
    ("open", {"acknowledged", "dismissed", "ordered", "suspected", "resolved"}),
    ("acknowledged", {"dismissed", "ordered", "suspected", "resolved"}),
    ("ordered", {"rectified", "suspected"}),
    ("suspected", {"rectified", "dismissed"}),
    ("dismissed", set()), ("resolved", set()), ("rectified", set()),
])
def test_each_status_leads_exactly_to_the_statuses_the_contract_allows(source, targets):
    extra = {"reason": "企业已提供停产证明", "order_id": "ZG-1"}
    reached = {w.ACTIONS[a].target.value for a in w.ACTIONS if reachable(source, a, **extra)}
    assert reached == targets


@pytest.mark.parametrize("final", ["dismissed", "resolved", "rectified"])
def test_a_closed_warning_takes_no_step_and_says_why(final):
    for action in w.ACTIONS:
        with pytest.raises(InvalidTransition) as err:
            w.step(final, action, reason="理由", order_id="ZG-1", by_system=True)
        assert WARNING_STATUSES[final] in err.value.message
    assert w.allowed(final, by_system=True) == []
    assert w.is_final(final)


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_dismissing_needs_a_reason(reason):
    with pytest.raises(ValidationFailed) as err:
        w.step("open", "dismiss", reason=reason)
    assert err.value.field == "reason"


def test_a_dismissal_keeps_its_reason_trimmed():
    t = w.step("acknowledged", "dismiss", reason="  企业停产，无需运维 ")
    assert (t.source, t.target, t.reason) == ("acknowledged", "dismissed", "企业停产，无需运维")


@pytest.mark.parametrize("action", ["resolve", "rectify"])
def test_the_system_s_steps_are_refused_to_a_person(action):
    source = "open" if action == "resolve" else "ordered"
    with pytest.raises(Forbidden):
        w.step(source, action, order_id="ZG-1")
    assert w.step(source, action, order_id="ZG-1", by_system=True).target in ("resolved", "rectified")
    assert action not in w.allowed(source)


def test_an_order_step_carries_its_order():
    with pytest.raises(ValidationFailed) as err:
        w.step("open", "order")
    assert err.value.field == "order_id"
    t = w.step("open", "order", order_id="ZG-2026-001")
    assert (t.target, t.order_id) == ("ordered", "ZG-2026-001")


def test_a_person_may_acknowledge_dismiss_order_or_suspect_an_open_warning():
    assert set(w.allowed("open")) == {"acknowledge", "dismiss", "order", "suspect"}
    assert set(w.allowed("ordered")) == {"suspect"}


def test_an_unknown_action_names_the_field():
    with pytest.raises(ValidationFailed) as err:
        w.step("open", "delete")
    assert err.value.field == "action"


def test_the_trail_entry_says_who_when_why_and_which_order():
    t = w.step("open", "order", order_id="ZG-1")
    entry = t.trail_entry({"username": "pudong"}, "2026-11-23T10:00:00+08:00")
    assert entry == {"action": "order", "from": "open", "to": "ordered", "by": {"username": "pudong"},
                     "at": "2026-11-23T10:00:00+08:00", "reason": None, "order_id": "ZG-1"}
