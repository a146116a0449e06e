"""Leads on the store, without a broker: a warning is marked once, its message id is the one the
forwarded event gets, and the outcome sent to the agency is noted on the warning."""
from datetime import datetime, timezone

import pytest

from credit.usecases import leads
from emss_common.actor import Actor
from emss_common.clock import FrozenClock
from emss_common.context import Context
from emss_common.errors import InvalidTransition
from emss_common.events import make_event
from emss_common.outbound import follow_up_message_id, lead_message_id, make_message
from emss_common.store import open_database
from services.credit.tests.lead_facts import MARKED_AT, REGULATOR, SYSTEM, closed, warning_doc


@pytest.fixture
def ctx(store_config):
    db = open_database("credit", store_config)
    return Context(db, FrozenClock("2026-06-09T09:30:00.123456+08:00"), None, {})


def stored(ctx, doc):
    ctx.db["warnings"].insert_one(dict(doc))
    return ctx.db["warnings"].find_one({"id": doc["id"]}, {"_id": 0})


def test_a_mark_stores_the_lead_with_the_time_of_the_suspect_step(ctx):
    warning = stored(ctx, warning_doc())
    marked = leads.lead_mark(ctx, warning, Actor.from_dict(REGULATOR))
    lead = marked["lead"]
    assert lead["message_id"] == lead_message_id(warning["id"], MARKED_AT)
    assert lead["at"].replace(tzinfo=timezone.utc) == datetime(2026, 6, 9, 1, 2, 3, 456000, tzinfo=timezone.utc)
    assert lead["by"]["account_id"] == "acc-r1" and lead["outcome"] is None
    assert ctx.db["warnings"].find_one({"id": warning["id"]})["lead"]["message_id"] == lead["message_id"]


def test_a_second_mark_keeps_the_first(ctx):
    warning = stored(ctx, warning_doc())
    first = leads.lead_mark(ctx, warning, REGULATOR)["lead"]
    other = {**REGULATOR, "account_id": "acc-r2", "name": "李监管"}
    # A stale copy without the lead (another worker's) and a fresh one: both keep the first mark.
    assert leads.lead_mark(ctx, warning, other)["lead"] == first
    assert leads.lead_mark(ctx, leads.lead_mark(ctx, warning, other), other)["lead"] == first


def test_without_a_suspect_step_the_mark_takes_the_clock_to_the_millisecond(ctx):
    warning = stored(ctx, warning_doc(trail=[]))
    lead = leads.lead_mark(ctx, warning, REGULATOR)["lead"]
    assert lead["at"].replace(tzinfo=timezone.utc) == datetime(2026, 6, 9, 1, 30, 0, 123000, tzinfo=timezone.utc)
    assert lead["message_id"] == lead_message_id(warning["id"], "2026-06-09T01:30:00.123Z")


def test_a_warning_not_marked_suspected_cannot_be_a_lead(ctx):
    warning = stored(ctx, warning_doc(suspected=False))
    with pytest.raises(InvalidTransition):
        leads.lead_mark(ctx, warning, REGULATOR)
    assert ctx.db["warnings"].find_one({"id": warning["id"]})["lead"] is None


def test_the_parties_names_are_taken_from_the_registry_copies(ctx):
    ctx.db["institutions"].insert_one({"id": "inst-1", "name": "上海某环境技术有限公司"})
    ctx.db["outlets"].insert_one({"id": "out-1", "name": "1#废气排放口"})
    warning = stored(ctx, warning_doc())
    outbound = FakeOutbound(public_url="https://emss.example.gov.cn")
    message = leads.to_enforcement(ctx, outbound, event("warning.suspected", warning))
    assert message["data"]["institution"] == {"id": "inst-1", "name": "上海某环境技术有限公司"}
    assert message["data"]["enterprise"] == {"id": "ent-1", "name": None}
    assert message["data"]["evidence"][0]["link"] == "https://emss.example.gov.cn/records/rec-9"


class FakeOutbound:
    """The Outbound provider's handle: messages made as it makes them, kept by id."""

    def __init__(self, public_url=None):
        self.public_url, self.sent = public_url, {}

    def publish(self, type_, subject, data, actor=None, id_=None, occurred_at=None):
        message = make_message(type_, "credit", subject, data, actor, id_, occurred_at)
        return self.sent.setdefault(message["id"], message)


def event(type_, warning, actor=REGULATOR):
    return make_event(type_, "credit", warning["id"], {"warning": warning}, actor=actor)


def test_the_event_before_and_after_the_mark_publish_one_message(ctx):
    warning = stored(ctx, warning_doc())
    outbound = FakeOutbound()
    before = leads.forward(outbound, event("warning.suspected", warning))
    after = leads.forward(outbound, event("warning.suspected", leads.lead_mark(ctx, warning, REGULATOR)))
    assert before == after and list(outbound.sent) == [before["id"]]


def test_a_follow_up_is_forwarded_and_noted_on_the_lead_once(ctx):
    warning = leads.lead_mark(ctx, stored(ctx, warning_doc()), REGULATOR)
    outbound = FakeOutbound()
    done = closed(warning, "rectify", "rectified", SYSTEM, "2026-06-20T02:00:00+00:00", order_id="O-1")
    message = leads.to_enforcement(ctx, outbound, event("warning.rectified", done, actor=SYSTEM))
    assert message["id"] == follow_up_message_id(warning["id"], "rectified")
    assert message["data"]["lead_message_id"] == warning["lead"]["message_id"]
    lead = ctx.db["warnings"].find_one({"id": warning["id"]})["lead"]
    assert lead["outcome"] == "rectified" and lead["follow_up"]["message_id"] == message["id"]
    assert lead["message_id"] == warning["lead"]["message_id"]  # the lead itself stays as marked


def test_the_outcome_of_a_warning_never_marked_is_not_forwarded(ctx):
    warning = stored(ctx, warning_doc(suspected=False))
    outbound = FakeOutbound()
    done = closed(warning, "dismiss", "dismissed", REGULATOR, "2026-06-20T02:00:00+00:00", reason="误报")
    assert leads.to_enforcement(ctx, outbound, event("warning.dismissed", done)) is None
    assert outbound.sent == {} and ctx.db["warnings"].find_one({"id": warning["id"]})["lead"] is None
