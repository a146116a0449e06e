"""The plan editor proposes the default frequencies the tasks service checks plans against, its
configured overrides (EMSS_FREQUENCY_<FORM_KIND>) included, not the built-in catalogue's."""
import pytest

from tests.e2e.worlds import ADMIN_PASSWORD


@pytest.fixture
def service_config(service_config):
    return {**service_config, "EMSS_FREQUENCY_WW_INSPECTION": "daily",
            "EMSS_FREQUENCY_FG_CALIBRATION": "every_n_days:5"}


def test_the_plan_defaults_carry_the_configured_overrides(login, system):
    status, defaults = login("admin", ADMIN_PASSWORD).get("/task-plan-defaults")
    assert status == 200, defaults
    assert defaults["ww_inspection"] == {"kind": "daily", "label": "每日"}
    assert defaults["fg_calibration"] == {"kind": "every_n_days", "n": 5, "label": "每5天"}
    assert defaults["ww_maintenance"] == {"kind": "on_demand", "label": "按需（不定期）"}  # the catalogue's


def test_the_plan_editor_proposes_the_overridden_default(system):
    from gateway.pages.tasks_om import plan_rows
    enterprise = {"outlets": [{"id": "o1", "name": "废水总排口", "kind": "wastewater"}]}
    with system.test_request_context("/portal/tasks/om/new"):
        rows = {r["form_kind"]: r for r in plan_rows(enterprise)}
    assert (rows["ww_inspection"]["default_label"], rows["ww_inspection"]["kind"]) == ("每日", "daily")
    assert rows["ww_standard_check"]["default_label"] == "每7天"  # not overridden: the catalogue's
