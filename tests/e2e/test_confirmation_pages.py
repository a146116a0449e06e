"""The confirmation pages rendered by the gateway over the whole system in one process, on the
frozen clock the browser tests cannot move: the enterprise's 待确认日期 and 确认列表 before and after
midnight Shanghai time (逾期), who may open which page, the reviewer's list marking their own record,
and the portal's lists by status, by day and by task with the trail's who / when / from where."""
import re

import pytest

from tests.e2e.test_confirmation_journey import (  # noqa: F401  (fixtures: world, service_config)
    DAY, PHONE, file_record, pending_seen, service_config, signed, signed_from_phone, world)
from tests.waiting import eventually


def page(api, path, **query):
    resp = api.client.get(path, query_string=query, headers=api._headers())
    return resp.status_code, resp.get_data(as_text=True)


def rows(html):
    """The record ids listed with data-row (phone) or data-record (portal), in order."""
    return re.findall(r'data-(?:row|record)="([^"]+)"', html)


def count(html, status):
    match = re.search(rf'data-count="{status}"[^>]*>[^<]*<b>(\d+)</b>', html)
    return int(match.group(1)) if match else None


def row_html(html, record_id):
    start = html.index(f'data-row="{record_id}"')
    end = html.find("data-row=", start + 10)
    return html[start:end if end > 0 else None]


@pytest.fixture
def filed(world):
    w = world
    r1 = file_record(w, w["zhao"], w["task"]["id"], "ww", "ww_inspection", ("cod", "nh3", "sampler"), 21)
    r2 = file_record(w, w["zhao"], w["task"]["id"], "fg", "fg_inspection_extractive", ("so2", "nox", "o2"), 22)
    r3 = file_record(w, w["zhou"], w["task2"]["id"], "ww", "ww_inspection", ("cod", "nh3", "sampler"), 23)
    pending_seen(w["enterprise"], 3)
    return w, r1, r2, r3


def test_the_enterprise_pages_list_the_day_and_mark_overdue_records_after_midnight(filed, clock):
    w, r1, r2, r3 = filed
    ent = w["enterprise"]

    status, html = page(ent, "/wx/confirm")
    assert status == 200 and f'data-day="{DAY}"' in html, html
    assert (count(html, "pending"), count(html, "overdue"), count(html, "confirmed")) == (3, 0, 0)
    assert "今天" in html and 'class="cf-tag overdue"' not in html
    assert 'href="/wx/confirm/trips"' in html  # 采样行程确认 beside it

    status, html = page(ent, f"/wx/confirm/days/{DAY}")
    assert status == 200 and rows(html) == [r1["id"], r2["id"], r3["id"]], html
    first = row_html(html, r1["id"])
    for text in (r1["number"], "日常巡检", "赵强", "待确认", 'name="record_ids"'):
        assert text in first, text
    assert re.search(r'data-role="coordinates">121\.54\d{4}, 31\.22\d{4}<', first), first
    assert f'data-url="/api/v1/confirmation/days/{DAY}/confirm"' in html and "请签字" in html

    status, html = page(ent, f"/wx/confirm/records/{r1['id']}")
    assert status == 200 and 'id="record-detail"' in html and r1["number"] in html
    assert 'id="trail"' in html and "提交" in html

    # r1 confirmed from the phone; the others left until after midnight
    status, out = signed_from_phone(ent, f"/confirmation/days/{DAY}/confirm", record_ids=r1["id"])
    assert status == 200 and len(out["confirmed"]) == 1, out
    clock.set("2026-11-24T00:00:30+08:00")

    def overdue():
        status, html = page(ent, "/wx/confirm")
        assert count(html, "overdue") == 2, html
        return html
    html = eventually(overdue)
    assert (count(html, "pending"), count(html, "confirmed")) == (0, 1)
    assert 'class="cf-tag overdue"' in html

    status, html = page(ent, f"/wx/confirm/days/{DAY}")
    assert 'id="deadline-passed"' in html and "逾期确认" in html
    assert 'data-role="overdue"' in row_html(html, r2["id"]) and 'name="record_ids"' in row_html(html, r2["id"])
    assert 'data-role="overdue"' not in row_html(html, r1["id"])
    assert 'name="record_ids"' not in row_html(html, r1["id"])  # confirmed: nothing to choose

    # confirmed late: the row says so
    status, out = w["enterprise"].post(f"/confirmation/days/{DAY}/confirm", signed())
    assert status == 200 and len(out["confirmed"]) == 2, out
    status, html = page(ent, f"/wx/confirm/days/{DAY}")
    assert 'id="all-confirmed"' in html and 'id="act-form"' not in html
    assert "逾期确认" in row_html(html, r2["id"])


def test_who_may_open_which_page(filed):
    w, r1, _, _ = filed
    assert page(w["other"], f"/wx/confirm/records/{r1['id']}")[0] == 404     # another enterprise
    assert page(w["other"], f"/wx/confirm/days/{DAY}")[1].count("data-row=") == 0
    assert page(w["qian"], "/wx/confirm")[0] == 403                          # a reviewer is no enterprise
    assert page(w["enterprise"], "/wx/review")[0] == 403                     # nor the other way round
    assert page(w["zhao"], "/wx/review")[0] == 403                           # field staff without the role
    assert page(w["enterprise"], "/wx/confirm/days/2026-13-01")[0] == 400
    status, html = page(w["hp_regulator"], "/portal/confirmation")
    assert status == 200 and rows(html) == [], html                          # outside the district
    assert page(w["hp_regulator"], f"/portal/confirmation/records/{r1['id']}")[0] == 404


def test_the_reviewer_sees_confirmed_records_and_their_own_marked(filed):
    w, r1, r2, r3 = filed
    status, html = page(w["zhou"], "/wx/review")
    assert status == 200 and rows(html) == [] and 'id="act-form"' not in html  # nothing confirmed yet
    status, out = w["enterprise"].post(f"/confirmation/days/{DAY}/confirm", signed())
    assert status == 200 and len(out["confirmed"]) == 3, out

    status, html = page(w["zhou"], "/wx/review")
    assert sorted(rows(html)) == sorted([r1["id"], r2["id"], r3["id"]])
    assert 'data-role="mine"' in row_html(html, r3["id"]) and 'data-role="mine"' not in row_html(html, r1["id"])
    assert 'id="waiting-count">3<' in html and 'data-url="/api/v1/confirmation/reviews"' in html
    status, html = page(w["zhou"], f"/wx/review/records/{r3['id']}")
    assert status == 200 and 'id="mine-note"' in html and 'id="act-form"' not in html
    status, html = page(w["qian"], f"/wx/review/records/{r1['id']}")
    assert status == 200 and 'id="act-form"' in html and f'name="record_ids" value="{r1["id"]}"' in html

    status, out = w["qian"].post("/confirmation/reviews", signed(record_ids=[r1["id"]], decision="void",
                                                                 reason="签到位置与现场照片不符"))
    assert status == 200 and len(out["done"]) == 1, out
    status, html = page(w["qian"], "/wx/review", status="voided")
    assert rows(html) == [r1["id"]] and "签到位置与现场照片不符" in html and 'name="record_ids"' not in html


def test_the_portal_lists_by_status_day_and_task_with_the_trail(filed):
    w, r1, r2, r3 = filed
    status, out = signed_from_phone(w["enterprise"], f"/confirmation/days/{DAY}/confirm",
                                    record_ids=f"{r1['id']},{r3['id']}")
    assert status == 200 and len(out["confirmed"]) == 2, out
    status, out = w["qian"].post("/confirmation/reviews", signed(record_ids=[r1["id"]], decision="void",
                                                                 reason="照片与现场不符"))
    assert status == 200 and len(out["done"]) == 1, out

    inst = w["inst"]
    status, html = page(inst, "/portal/confirmation")
    assert status == 200 and sorted(rows(html)) == sorted([r1["id"], r2["id"], r3["id"]])
    assert "运维记录审核</a>" in html                                          # the nav entry
    assert rows(page(inst, "/portal/confirmation", status="voided")[1]) == [r1["id"]]
    assert rows(page(inst, "/portal/confirmation", status="pending")[1]) == [r2["id"]]
    assert rows(page(inst, "/portal/confirmation", task_id=w["task2"]["id"])[1]) == [r3["id"]]
    assert len(rows(page(inst, "/portal/confirmation", day=DAY)[1])) == 3
    assert rows(page(inst, "/portal/confirmation", day="2026-11-22")[1]) == []
    status, html = page(inst, "/portal/confirmation", status="done")  # an unknown tab is all of them
    assert status == 200 and len(rows(html)) == 3

    status, html = page(w["regulator"], "/portal/confirmation", view="days")
    assert status == 200 and f'data-day="{DAY}"' in html and "上海东方化工有限公司" in html
    assert re.search(r'data-count="pending"[^>]*>1<', html) and re.search(r'data-count="voided"[^>]*>1<', html)

    status, html = page(w["regulator"], f"/portal/confirmation/records/{r1['id']}")
    assert status == 200, html
    trail = html[html.index('id="trail"'):html.index('id="acts"')]
    assert [a for a in re.findall(r'data-action="(\w+)"', trail)] == ["submit", "enterprise_confirm", "void"]
    assert "待确认 → 排污单位已确认" in trail and "排污单位已确认 → 作废" in trail
    assert "IP 127.0.0.1" in trail and "121.545700, 31.219000" in trail and "微信" in trail
    assert "照片与现场不符" in trail and "钱伟" in trail and "ent_user" in trail
    assert f'href="/portal/records/{r1["id"]}"' in html                      # 表单详情
    acts = html[html.index('id="acts"'):]
    assert acts.count('data-role="signature"') == 2 and acts.count('data-role="photo"') == 2
    assert f"/api/v1/confirmation/acts/{out['act_id']}/photo" in acts
    assert PHONE in html  # the whole user agent is kept, in the title
