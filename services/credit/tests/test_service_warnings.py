"""The credit service's warning RPCs on the real broker: a finding raised as the rules engine would
raise it is listed, shown and acted on by RPC, errors cross as their types, and the steps go out
as events."""
import pytest

from credit.usecases import warnings
from emss_common.errors import Forbidden, NotFound, ValidationFailed
from services.credit.tests.findings import CITY, INSTITUTION, MINHANG, PUDONG, finding

pytestmark = pytest.mark.broker


def test_a_raised_warning_is_listed_shown_and_acted_on_by_rpc(credit, service_ctx, bus):
    w, created = warnings.raise_finding(service_ctx, finding())
    assert created

    page = credit.list_warnings(PUDONG.to_dict(), {"status": "open"})
    assert [i["id"] for i in page["items"]] == [w["id"]]
    assert page["items"][0]["status_label"] == "新预警"
    assert credit.list_warnings(MINHANG.to_dict(), {})["items"] == []
    assert credit.get_warning(INSTITUTION.to_dict(), w["id"])["evidence"][0]["link"] == "/tasks/t1"
    with pytest.raises(NotFound):
        credit.get_warning(MINHANG.to_dict(), w["id"])

    with pytest.raises(ValidationFailed) as err:
        credit.act_on_warning(PUDONG.to_dict(), w["id"], {"action": "dismiss"})
    assert err.value.field == "reason"
    with pytest.raises(Forbidden):
        credit.act_on_warning(INSTITUTION.to_dict(), w["id"], {"action": "acknowledge"})

    seen = credit.act_on_warning(PUDONG.to_dict(), w["id"], {"action": "acknowledge"})
    assert seen["status"] == "acknowledged"
    seen = credit.act_on_warning(CITY.to_dict(), w["id"], {"action": "dismiss", "reason": "排口已停产"})
    assert seen["status"] == "dismissed"
    assert [(e["action"], e["by"]["username"]) for e in seen["trail"]] == [("acknowledge", "pudong"),
                                                                           ("dismiss", "shi")]

    dismissed = bus.wait_for("warning.dismissed", w["id"])
    assert dismissed["source"] == "credit" and dismissed["actor"]["username"] == "shi"
    assert dismissed["data"]["warning"]["status"] == "dismissed"
    assert dismissed["data"]["step"]["reason"] == "排口已停产"
    assert bus.types(w["id"]) == ["warning.changed", "warning.changed", "warning.dismissed"]

    overview = credit.overview(CITY.to_dict(), {"month": "2026-11"})
    assert overview["total"] == 1 and overview["by_status"][4] == {"status": "dismissed", "label": "已排除",
                                                                  "count": 1}
    with pytest.raises(ValidationFailed) as err:
        credit.overview(CITY.to_dict(), {"month": "11/2026"})
    assert err.value.field == "month"


def test_a_suspected_violation_is_announced_on_the_bus(credit, service_ctx, bus):
    w, _ = warnings.raise_finding(service_ctx, finding(key="occ-9"))
    assert credit.act_on_warning(PUDONG.to_dict(), w["id"], {"action": "suspect"})["status"] == "suspected"
    suspected = bus.wait_for("warning.suspected", w["id"])
    assert suspected["data"]["warning"]["id"] == w["id"]


def test_the_rules_are_listed_for_a_signed_in_actor_only(credit):
    assert isinstance(credit.list_rules(PUDONG.to_dict()), list)
    with pytest.raises(Forbidden):
        credit.list_rules(None)
