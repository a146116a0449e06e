"""Set-up and small steps for the task pages' browser tests (contracts, O&M tasks, sampling).

The world is made through the JSON API (it is not what these tests are about); the tasks service
learns registry facts from events, so anything that depends on them is retried until it holds.
"""
import random
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import requests
from playwright.sync_api import Error as PlaywrightError, expect

from tests import builders
from tests.browser.flows import PASSWORD, unique
from tests.waiting import HTTP_PATIENCE, PATIENCE, eventually

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def today():
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def day(offset):
    return (today() + timedelta(days=offset)).isoformat()


def retry(call, timeout=PATIENCE, what="the tasks service to catch up"):
    """Call until it stops raising AssertionError (the tasks service's registry copy lags);
    a timeout says what was awaited and how the last try failed."""
    try:
        return eventually(call, timeout, interval=0.2)  # gently: each try is an HTTP request
    except AssertionError as exc:
        raise AssertionError(f"timed out waiting for {what}: {exc}") from None


def fresh_code():
    """A valid credit code unlikely to be taken (the builders' counter restarts in each process)."""
    return builders.credit_code(random.randrange(10000, 99999))


def _post(base_url, path, token, body):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.post(f"{base_url}/api/v1{path}", json=body, headers=headers, timeout=HTTP_PATIENCE)


PEOPLE = [("赵强", "om_staff"), ("钱伟", "technical_lead"), ("孙丽", "quality_lead")]


def make_world(api, admin_token, regulators, people=PEOPLE, prefix="tk_", ent_contact="张明"):
    """A published 检测运维机构 (O&M and sampling) with a certified 运维人员, a technical and a quality
    lead and one piece of sampling equipment; the 浦东新区 regulator; an enterprise in 浦东新区 with
    a wastewater outlet (COD analyzer) and a flue-gas outlet (SO2 CEMS)."""
    inst_user = unique(f"{prefix}inst_")
    inst_name = f"上海{unique('清源')}检测运维有限公司"
    body = builders.institution(name=inst_name, type_="testing_om", code=fresh_code())
    body["capabilities"] = ["wastewater_om", "flue_gas_om", "sampling"]
    inst_id = api.call("POST", "/institutions", None,
                       {"institution": body, "account": builders.account(inst_user, PASSWORD)})["institution"]["id"]
    token = api.login(inst_user, PASSWORD)
    reg_token = api.login(regulators["pudong"], PASSWORD)
    api.call("POST", f"/institutions/{inst_id}/transitions", token, {"action": "submit"})
    api.call("POST", f"/institutions/{inst_id}/transitions", reg_token, {"action": "approve_first"})
    staff = {}
    for n, (name, role) in enumerate(people):
        made = api.call("POST", f"/institutions/{inst_id}/staff", token,
                        builders.staff(name, role, n=n + 1))
        staff[name] = made["staff"][-1]["id"]
    equipment = api.call("POST", f"/institutions/{inst_id}/equipment", token, builders.equipment())
    for action, who in (("submit_second", token), ("approve_second", reg_token), ("publish", reg_token)):
        api.call("POST", f"/institutions/{inst_id}/transitions", who, {"action": action})

    ent_user = unique(f"{prefix}ent_")
    ent_name = f"上海{unique('东方')}化工有限公司"
    ent_id = api.call("POST", "/enterprises", None,
                      {"enterprise": builders.enterprise(name=ent_name, code=fresh_code()),
                       "account": builders.account(ent_user, PASSWORD, name=ent_contact)})["enterprise"]["id"]
    ent_token = api.login(ent_user, PASSWORD)
    ww = api.call("POST", f"/enterprises/{ent_id}/outlets", ent_token, builders.outlet("wastewater"))
    # 80 m from the wastewater outlet: a check-in at one is within the radius of the other.
    fg = api.call("POST", f"/enterprises/{ent_id}/outlets", ent_token,
                  {**builders.outlet("flue_gas", "1#锅炉废气排口DA001"), "permit_point_code": "DA001",
                   "longitude": 121.5461, "latitude": 31.2217})
    cod = api.call("POST", f"/outlets/{ww['id']}/devices", ent_token,
                   {"device": builders.water_analyzer(), "changed_on": day(0)})
    so2 = api.call("POST", f"/outlets/{fg['id']}/devices", ent_token,
                   {"device": builders.cems(), "changed_on": day(0)})
    return {"inst_user": inst_user, "inst_name": inst_name, "inst_id": inst_id, "token": token,
            "regulator": regulators["pudong"], "reg_token": reg_token, "ent_user": ent_user, "ent_id": ent_id,
            "ent_name": ent_name, "ent_token": ent_token, "ww": ww, "fg": fg, "cod": cod, "so2": so2, "staff": staff,
            "equipment": equipment["equipment"][-1]["id"]}


def monitoring_contract(base_url, world):
    """A submitted 监测 contract for the sampling task, made through the API; it also waits until
    the tasks service knows the institution (published) and the enterprise."""
    body = {"title": "2026年度自行监测委托协议", "nature": "monitoring", "enterprise_id": world["ent_id"],
            "amount": "36000.00", "start": day(-30), "end": day(330)}

    def create():
        r = _post(base_url, "/contracts", world["token"], body)
        assert r.status_code == 201, r.text
        return r.json()
    contract = retry(create)

    def submit():
        r = _post(base_url, f"/contracts/{contract['id']}/submit", world["token"], {})
        assert r.status_code == 200, r.text
        return r.json()
    return retry(submit)


def navigate(page, act, timeout=PATIENCE):
    """Do `act` and wait until the page it leads to has loaded.

    Not page.expect_navigation(): under eventlet (root conftest) a wait that only Playwright's
    Python side times cannot end when the navigation is a GET form submission (its event is
    not read until something else wakes the loop, and the timeout timer never fires). Asking
    the browser (evaluate, wait_for_timeout) keeps the loop reading."""
    page.evaluate("window.__emss_before_navigation = true")
    act()
    deadline = time.monotonic() + timeout
    while True:
        try:
            if page.evaluate("!window.__emss_before_navigation && document.readyState === 'complete'"):
                return
        except PlaywrightError:
            pass  # the old document went away mid-question
        assert time.monotonic() < deadline, "the page did not navigate"
        page.wait_for_timeout(50)


def submit(page, label, scope="main"):
    """Click the button with this exact label and wait for the page it leads to."""
    navigate(page, lambda: page.locator(scope).get_by_role("button", name=label, exact=True).first.click())


def follow(page, link):
    navigate(page, link.click)


def press_until(page, label, done, timeout=PATIENCE):
    """Press a form button until `done()` holds: a page that failed only because the tasks
    service had not yet heard of a registry change is sent again."""
    deadline = time.monotonic() + timeout
    while True:
        submit(page, label)
        if done():
            return
        text = page.locator("#form-error").inner_text() if page.locator("#form-error").count() else ""
        lag = any(marker in text for marker in ("尚未同步", "不在名录中", "不是该排污单位登记的排口", "设备未登记"))
        assert lag and time.monotonic() < deadline, f"form refused: {text}"
        time.sleep(0.3)


def plan_row(page, form_kind):
    return page.locator(f'.t-plan-row[data-form-kind="{form_kind}"]')


def set_frequency(page, form_kind, kind, n=None):
    row = plan_row(page, form_kind)
    row.locator("select[data-frequency]").select_option(kind)
    if n is not None:
        row.locator('input[type="number"]').fill(str(n))


def untick(page, *form_kinds):
    for kind in form_kinds:
        plan_row(page, kind).locator("input[data-row-toggle]").uncheck()


def quick_filter(page, label):
    follow(page, page.locator("#views").get_by_role("link", name=label, exact=True))
    expect(page.locator("#views a.active")).to_have_text(label)
