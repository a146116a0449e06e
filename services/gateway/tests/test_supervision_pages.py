"""The supervision pages (非现场监管, 考核管理, 整改单) on a fake credit service: they render the
Chinese labels, charts and forms each role needs, and their forms send the payloads the credit
service takes."""
import io
import re

import pytest

from services.gateway.tests.credit_fakes import INSPECTION, ORDER, WARNING, bearer, make_client

HTML = {"Accept": "text/html"}


def get(client, path, who):
    resp = client.get(path, headers={**bearer(who), **HTML})
    assert resp.status_code == 200, resp.get_data(as_text=True)[:2000]
    return resp.get_data(as_text=True)


def test_the_overview_draws_the_month_and_its_trend():
    client, services = make_client()
    html = get(client, "/portal/supervision?month=2026-11", "reg")
    assert "非现场监管概览" in html and "2026-11" in html
    assert services.credit_calls("overview")[0][2][1] == {"month": "2026-11"}
    # the trend: an inline SVG with one bar per month, no script or CDN
    trend = re.search(r'<svg class="chart" id="trend-chart".*?</svg>', html, re.S).group(0)
    assert trend.count('class="bar"') == 12
    assert "25/12" in trend and "26/11" in trend
    assert "<script src" not in html and "cdn" not in html.lower()
    rules = re.search(r'<svg class="chart" id="rule-chart".*?</svg>', html, re.S).group(0)
    assert "应做未做的运维" in rules and "故障修复超时" in rules
    assert 'id="month-total">10<' in html
    assert "做没做" in html and "好不好" in html
    assert "浦东新区" in html and "上海清源环境运维有限公司" in html
    # counts link to that month's warnings
    assert "/portal/supervision/warnings?rule=OM_MISSED&amp;from=2026-11-01&amp;to=2026-11-30" in html \
        or "/portal/supervision/warnings?from=2026-11-01&amp;rule=OM_MISSED&amp;to=2026-11-30" in html


def test_the_overview_is_the_regulators():
    client, _ = make_client()
    resp = client.get("/portal/supervision", headers={**bearer("inst"), **HTML})
    assert resp.status_code == 403


def test_the_warning_list_shows_labels_and_passes_filters():
    client, services = make_client()
    html = get(client, "/portal/supervision/warnings?status=open&category=quality&from=2026-11-01", "reg")
    query = services.credit_calls("list_warnings")[0][2][1]
    assert query == {"status": "open", "category": "quality", "from": "2026-11-01", "size": 20}
    for text in ("预警列表", "故障修复超时", "好不好", "较重", "新预警", "上海清源环境运维有限公司",
                 "故障发现至修复用时 80.5 小时，超过 72 小时", "对选中的预警下整改单"):
        assert text in html, text
    assert f'name="warning_id" value="{WARNING["id"]}"' in html


def test_an_institution_reads_its_warnings_without_the_regulators_tools():
    client, _ = make_client()
    html = get(client, "/portal/supervision/warnings", "inst")
    assert "故障修复超时" in html and "对选中的预警下整改单" not in html and "监管概览" not in html
    html = get(client, f"/portal/supervision/warnings/{WARNING['id']}", "inst")
    assert "处理预警" not in html and "证据" in html
    assert "/portal/regulator/institutions/i1" not in html   # the regulator's page of the institution


def test_a_warning_page_links_each_evidence_to_its_page():
    client, _ = make_client()
    html = get(client, f"/portal/supervision/warnings/{WARNING['id']}", "reg")
    evidence = re.search(r'<table id="evidence">.*?</table>', html, re.S).group(0)
    assert '<a href="/portal/records/r1">故障维修（不定期）记录 FR-001</a>' in evidence   # the gateway's own page
    assert '<a href="/portal/tasks/om/t1/maintenance">' in evidence                   # a link of this site
    assert '<a href="/portal/regulator/institutions/i1">运维人员 李强' in evidence     # the service's resource path
    assert '<a href="/portal/tasks/om/t2">比对报告' in evidence
    assert ">签到<" in evidence and "/nowhere/c1" not in evidence                      # not a page here: no link
    assert "运维记录" in evidence and "计划运维" in evidence
    for text in ("确认", "排除", "下整改单", "标记疑似违法", "处理意见（排除时必填）", "发起现场检查"):
        assert text in html, text
    assert f"/portal/orders/new?warning_id={WARNING['id']}" in html


def test_dismissing_without_a_reason_shows_the_message_beside_the_reason():
    from emss_common.errors import ValidationFailed
    client, services = make_client(act_on_warning=ValidationFailed("排除必须填写原因", field="reason"))
    resp = client.post(f"/portal/supervision/warnings/{WARNING['id']}/act", data={"action": "dismiss"},
                       headers={**bearer("reg"), **HTML})
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert 'id="e-reason">排除必须填写原因<' in html
    assert services.credit_calls("act_on_warning")[0][2][2] == {"action": "dismiss"}


def test_acknowledging_goes_back_to_the_warning():
    client, services = make_client()
    resp = client.post(f"/portal/supervision/warnings/{WARNING['id']}/act", data={"action": "acknowledge"},
                       headers={**bearer("reg"), **HTML})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/portal/supervision/warnings/{WARNING['id']}")


def test_a_final_warning_offers_no_action():
    client, _ = make_client(get_warning={**WARNING, "status": "dismissed", "actions": []})
    html = get(client, f"/portal/supervision/warnings/{WARNING['id']}", "reg")
    assert "处理预警" not in html and "已排除" in html


def test_the_rules_catalogue_and_a_sweep():
    client, services = make_client()
    html = get(client, "/portal/supervision/rules", "reg")
    assert "发现至修复（小时）：72 [S]" in html and "[S] HJ 75-2017 故障72小时内修复" in html
    resp = client.post("/portal/supervision/sweeps", data={"start": "2026-11-01", "end": "2026-11-30"},
                       headers={**bearer("reg"), **HTML})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/portal/supervision/sweeps/S-1")
    html = get(client, "/portal/supervision/sweeps/S-1", "reg")
    assert "31 / 31" in html and "已完成" in html


def test_an_order_is_issued_from_a_warning():
    client, services = make_client()
    html = get(client, f"/portal/orders/new?warning_id={WARNING['id']}", "reg")
    for text in ("下整改单", "整改对象", "运维机构：上海清源环境运维有限公司", "排污单位：上海东方化工有限公司",
                 "整改期限（工作日）", "整改要求", WARNING["summary"]):
        assert text in html, text
    form = {"warning_id": WARNING["id"], "addressee": "institution:i1", "title": "故障修复超时整改",
            "working_days": "10", "item": "0", "items.0.title": "故障修复超时", "items.0.requirement": "说明原因并整改",
            "items.0.warning_ids": WARNING["id"]}
    resp = client.post("/portal/orders/new", data=form, headers={**bearer("reg"), **HTML})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/portal/orders/ord1")
    payload = services.credit_calls("issue_order")[0][2][1]
    assert payload == {"addressee": {"kind": "institution", "id": "i1"}, "title": "故障修复超时整改",
                       "working_days": 10, "items": [{"title": "故障修复超时", "requirement": "说明原因并整改",
                                                      "warning_ids": [WARNING["id"]], "inspection_ids": []}]}


def test_an_order_from_an_inspection_states_what_it_found():
    client, _ = make_client()
    html = get(client, f"/portal/orders/new?inspection_id={INSPECTION['id']}", "reg")
    assert "比对抽测发现的问题" in html
    assert "问题：不合格：二氧化硫：二氧化硫相对误差30%，超出±15%。二氧化硫比对不合格" in html
    assert ">比对抽测 2026-11-10</a>" in html


def test_an_order_without_a_source_points_to_the_warnings():
    client, _ = make_client()
    html = get(client, "/portal/orders/new", "reg")
    assert 'id="no-source"' in html and "order-form" not in html


def test_the_institution_answers_its_order_item_by_item():
    client, services = make_client(get_order={**ORDER, "may_answer": True},
                                   answer_order={**ORDER, "status": "answered"})
    html = get(client, "/portal/orders", "inst")
    assert "整改单管理" in html and "ZG2026000001" in html and "待整改" in html and ">回复<" in html
    html = get(client, "/portal/orders/ord1", "inst")
    for text in ("整改情况", "整改材料", "关联整改后的运维记录", "提交整改回复", "说明故障修复超时原因并整改",
                 "10 个工作日，2026-11-20 前完成"):
        assert text in html, text
    assert "审核整改回复" not in html
    assert '<option value="r9" >' in html and "FR-009" in html   # the institution's records to link
    resp = client.post("/portal/orders/ord1/answer", headers={**bearer("inst"), **HTML},
                       content_type="multipart/form-data",
                       data={"item_id": "1", "text.1": "已整改", "record_ids.1": "r9",
                             "files.1": (io.BytesIO(b"%PDF-1.4"), "说明.pdf")})
    assert resp.status_code == 302
    (answer,) = services.credit_calls("answer_order")[0][2][2]["answers"]
    assert answer["text"] == "已整改" and answer["record_ids"] == ["r9"] and answer["files"][0]["name"] == "说明.pdf"


def test_the_regulator_reviews_an_answer_and_a_return_needs_a_reason():
    from emss_common.errors import ValidationFailed
    answered = {**ORDER, "status": "answered", "may_review": True, "items": [
        {**ORDER["items"][0], "answers": [{"round": 1, "text": "已更换部件", "at": "2026-11-08T02:00:00+00:00",
                                           "by": {"name": "张明"}, "record_ids": ["r9"],
                                           "files": [{"id": "f1", "name": "说明.pdf"}]}]}]}
    client, services = make_client(get_order=answered, review_order=ValidationFailed("退回必须填写原因", field="reason"))
    html = get(client, "/portal/orders/ord1", "reg")
    for text in ("审核整改回复", "销号", "退回", "已更换部件", "说明.pdf", "/api/v1/orders/ord1/files/f1",
                 "/portal/records/r9", "张明"):
        assert text in html, text
    resp = client.post("/portal/orders/ord1/review", data={"decision": "return"}, headers={**bearer("reg"), **HTML})
    assert resp.status_code == 400 and 'id="e-reason">退回必须填写原因<' in resp.get_data(as_text=True)


def test_an_enterprise_sees_orders_addressed_to_it():
    client, services = make_client()
    html = get(client, "/portal/orders", "ent")
    assert "整改单管理" in html and "ZG2026000001" in html
    assert ">整改单管理</a>" in html   # the menu entry


def test_the_inspection_pages():
    client, services = make_client()
    html = get(client, "/portal/inspections", "reg")
    for text in ("现场检查与比对抽测", "登记现场检查", "登记比对抽测", "比对抽测", "王刚、赵敏"):
        assert text in html, text
    html = get(client, "/portal/inspections/ins1", "reg")
    for text in ("二氧化硫", "二氧化硫相对误差30%，超出±15%", "不合格", "/api/v1/inspections/ins1/photos/ph1", "下整改单",
                 "二氧化硫比对不合格", "/portal/supervision/warnings/W-aaaaaaaaaaaaaaaaaaaa"):
        assert text in html, text
    html = get(client, "/portal/inspections/new?kind=comparison", "reg")
    for text in ("登记比对抽测", "监管监测值", "自动监测读数", "测定时间", "现场照片", "二氧化硫"):
        assert text in html, text
    assert "检查所在辖区" not in html
    html = get(client, "/portal/inspections/new?kind=onsite", "city")
    assert "检查所在辖区" in html and "检查内容" in html   # a city regulator names the district


def test_a_comparison_form_becomes_the_services_payload():
    client, services = make_client()
    form = {"kind": "comparison", "subject_kind": "outlet", "institution_id": "i1", "enterprise_id": "e1",
            "outlet_id": "o1", "inspected_on": "2026-11-10", "inspectors": "王刚、赵敏", "factors_rows": "2",
            "factors.0.factor_code": "a21026", "factors.0.reference_value": "40", "factors.0.monitor_value": "52",
            "factors.0.measured_at": "2026-11-10T10:00", "factors.0.velocity": "",
            "photos": (io.BytesIO(b"\xff\xd8\xff"), "现场.jpg")}
    resp = client.post("/portal/inspections/new", data=form, content_type="multipart/form-data",
                       headers={**bearer("reg"), **HTML})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/portal/inspections/ins1")
    payload = services.credit_calls("record_inspection")[0][2][1]
    assert payload["factors"] == [{"factor_code": "a21026", "reference_value": 40.0, "monitor_value": 52.0,
                                   "measured_at": "2026-11-10T10:00:00+08:00"}]
    assert payload["inspectors"] == ["王刚", "赵敏"] and payload["outlet_id"] == "o1"
    assert payload["photos"][0]["name"] == "现场.jpg" and "items" not in payload


@pytest.mark.parametrize("who, entries, absent", [
    ("reg", ["非现场监管", "考核管理"], ["整改单管理"]),
    ("inst", ["整改单管理"], ["非现场监管", "考核管理"]),
])
def test_the_menu_entries(who, entries, absent):
    client, _ = make_client()
    nav = re.search(r"<nav>.*?</nav>", get(client, "/portal/orders", who), re.S).group(0)
    for text in entries:
        assert f">{text}</a>" in nav
    for text in absent:
        assert f">{text}</a>" not in nav


def test_the_wechat_home_counts_the_orders_waiting_and_lists_them():
    client, services = make_client()
    html = get(client, "/wx/", "inst")
    assert 'data-key="WX_ORDERS"' in html and "整改单" in html
    # one issued order and one returned order are waiting (the fake answers one of each)
    assert 'id="count-WX_ORDERS"' in html and ">2<" in html
    html = get(client, "/wx/orders", "inst")
    assert "待整改（2）" in html and "故障修复超时整改" in html and "2026-11-20 前完成" in html
    html = get(client, "/wx/orders/ord1", "inst")
    assert "说明故障修复超时原因并整改" in html and "10 个工作日" in html
    assert client.get("/wx/orders", headers={**bearer("staff"), **HTML}).status_code == 403


def test_no_count_when_nothing_waits():
    client, _ = make_client(list_orders={"items": [], "total": 0, "size": 1, "next": None, "prev": None})
    html = get(client, "/wx/", "inst")
    assert 'data-key="WX_ORDERS"' in html and 'id="count-WX_ORDERS"' not in html
