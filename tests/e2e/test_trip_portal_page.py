"""采样行程详情 in the desktop portal, over the whole system in one process: a trip taken from 进场签到
to 离场签到 (leaving 1.5 km from every point, so it is flagged) and confirmed by the enterprise from
its phone, then opened from the sampling task's #trips table by the lab's main account with its
samples, flags and the confirmation trail; a regulator of another district gets the 404 page."""
import re

from tests.e2e.test_confirmation_journey import PHONE, signed_from_phone
from tests.e2e.test_sampling_trips_journey import signature, start_trip, world  # noqa: F401  (fixture: world)
from tests.e2e.worlds import PASSWORD, at_outlet, regulator, upload
from tests.system_fixtures import portal_login
from tests.images import face_jpeg, no_face_jpeg
from tests.waiting import eventually

SAMPLE_CODE = "DW001-20261123-07"


def portal(system, username):
    """A desktop browser signed in with the password form (cookie session)."""
    browser = system.test_client()
    resp = portal_login(browser, username, PASSWORD)
    assert resp.status_code in (302, 303), resp.get_data(as_text=True)[:300]
    return browser


def opened(browser, path):
    resp = browser.get(path)
    return resp.status_code, resp.get_data(as_text=True)


def part(html, start_marker, end_marker):
    start = html.index(start_marker)
    return html[start:html.index(end_marker, start)]


def departed_far_away(w, clock):
    """进场签到 at the wastewater outlet → work and sample photos → one sample → 采样工况 → 离场签到
    1.5 km west of it (far_from_outlet)."""
    wu = w["wu"]
    status, trip = start_trip(wu, w["task"]["id"], w["ww"], "trip-portal-0001")
    assert status == 201, trip
    assert upload(wu, f"/sampling-trips/{trip['id']}/photos", face_jpeg(), "work.jpg",
                  upload_id="trip-portal-photo-1", kind="work")[0] == 201
    status, bottle = upload(wu, f"/sampling-trips/{trip['id']}/photos", no_face_jpeg(), "bottle.jpg",
                            upload_id="trip-portal-photo-2", kind="sample", caption="COD样品瓶")
    assert status == 201, bottle
    clock.set("2026-11-23T10:25:00+08:00")
    status, trip = wu.post(f"/sampling-trips/{trip['id']}/samples", {
        "sample_id": "sample-portal-0001", "point_index": 0, "item": "化学需氧量", "sample_code": SAMPLE_CODE,
        "container": "500 mL 硬质玻璃瓶", "preservation": "加硫酸至pH≤2，0～4℃冷藏",
        "taken_at": "2026-11-23T10:20:00+08:00", "photo_ids": [bottle["id"]]})
    assert status == 200, trip
    status, trip = wu.put(f"/sampling-trips/{trip['id']}/conditions", {
        "production_status": "reduced", "load_pct": 60, "treatment_status": "normal",
        "note": "二号生产线检修"})
    assert status == 200, trip
    clock.set("2026-11-23T10:45:00+08:00")
    status, trip = wu.post(f"/sampling-trips/{trip['id']}/depart", {
        "submission_id": "depart-portal-0001", "check_out": at_outlet(w["ww"], east_m=-1500),
        "signature": signature()})
    assert status == 200 and trip["status"] == "awaiting_confirmation", trip
    assert [f["code"] for f in trip["flags"]] == ["far_from_outlet"], trip["flags"]
    return trip, bottle


def test_the_lab_sees_a_confirmed_trip_with_its_trail_and_another_districts_regulator_does_not(
        world, system, clock, login):
    w = world
    lab = portal(system, "lab_admin")
    status, trip = start_trip(w["wu"], w["task"]["id"], w["fg"], "trip-portal-0000")   # still on site
    assert status == 201, trip
    status, html = opened(lab, f"/portal/sampling-trips/{trip['id']}")
    assert status == 200 and 'id="confirmation-none"' in html and "尚在现场" in html, html

    trip, bottle = departed_far_away(w, clock)

    def awaiting():
        status, listed = w["enterprise"].get("/confirmation/trips", status="awaiting_confirmation")
        assert [t["id"] for t in listed["items"]] == [trip["id"]], listed
    eventually(awaiting)
    clock.set("2026-11-23T11:05:00+08:00")
    status, done = signed_from_phone(w["enterprise"], f"/confirmation/trips/{trip['id']}/confirm",
                                     note="采样过程属实")
    assert status == 200 and done["status"] == "confirmed", done

    # the sampling task's trip list links to the trip's page
    status, html = opened(lab, f"/portal/tasks/sampling/{w['task']['id']}")
    assert status == 200 and f'href="/portal/sampling-trips/{trip["id"]}"' in part(html, 'id="trips"', "</table>")

    status, html = opened(lab, f"/portal/sampling-trips/{trip['id']}")
    assert status == 200, html
    assert trip["number"] in html and "吴刚" in html and "上海东方化工有限公司" in html
    # flags first, with their numbers
    flags = part(html, 'id="trip-flags"', "</div>")
    assert 'data-flag="far_from_outlet"' in flags and re.search(r"离场签到，距离 1[45]\d\d 米，允许 500 米", flags), flags
    assert html.index('id="trip-flags"') < html.index('id="arrival"') < html.index('id="samples"')
    assert re.search(r'id="departure".*?data-role="distance" class="fr-bad">1[45]\d\d 米', html, re.S)
    # the samples table: point, item, code, container, preservation, time and the sample's photo
    samples = part(html, 'id="samples"', "</table>")
    row = part(samples, f'data-sample="{SAMPLE_CODE}"', "</tr>")
    for text in ("废水总排口DW001", "化学需氧量", f'data-role="code">{SAMPLE_CODE}<', "500 mL 硬质玻璃瓶",
                 "加硫酸至pH≤2，0～4℃冷藏", "2026-11-23 10:20", f'data-photo="{bottle["id"]}"'):
        assert text in row, text
    conditions = part(html, 'id="conditions"', "</dl>")
    assert "减产" in conditions and "60 %" in conditions and "二号生产线检修" in conditions
    assert 'id="signature-image"' in html and f'src="/api/v1/sampling-trips/{trip["id"]}/signature"' in html

    # the enterprise's confirmation: status, who confirmed, the trail (who, when, from where, from → to)
    assert "排污单位已确认" in part(html, 'id="confirmation-status"', "</dd>")
    assert "采样过程属实" in html
    trail = part(html, 'id="trail"', "</table>")
    assert re.findall(r'<tr data-action="([^"]+)"', trail) == ["depart", "trip_confirm"], trail
    changes = re.findall(r'data-role="change">([^<]*)<', trail)
    assert changes == ["— → 待排污单位确认", "待排污单位确认 → 排污单位已确认"], changes
    assert "2026-11-23 10:45:00" in trail and "2026-11-23 11:05:00" in trail
    who = re.findall(r'data-role="who"><div>([^<]*)<', trail)
    assert who[0] == "吴刚" and "ent_user" in trail, trail
    where = re.findall(r'data-role="where" class="wrap">([^<]*)<', trail)
    assert where[1].startswith("IP ") and "121.545700, 31.219000（±12 米）" in where[1], where
    assert f'title="{PHONE}"' in trail and "微信" in trail
    acts = part(html, 'id="acts"', "</article>")
    paths = re.findall(r'src="(/api/v1/confirmation/acts/[^/]+/(?:signature|photo))"', acts)
    assert [p.rsplit("/", 1)[1] for p in paths] == ["signature", "photo"], acts
    for path in paths:
        assert lab.get(path).status_code == 200, path

    # a regulator of the trip's district sees it; one of another district gets the 404 page
    assert opened(portal(system, "pd_reg"), f"/portal/sampling-trips/{trip['id']}")[0] == 200
    regulator(login, "hp_reg", "黄浦区")
    status, html = opened(portal(system, "hp_reg"), f"/portal/sampling-trips/{trip['id']}")
    assert status == 404 and SAMPLE_CODE not in html and trip["number"] not in html, html
