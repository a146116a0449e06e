"""Dates are stored as ISO text, datetimes as UTC; the wire carries JSON-safe values only."""
import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from bson import ObjectId

from emss_common.clock import SHANGHAI
from emss_common.serial import as_date, to_document, to_wire


def test_a_date_is_stored_as_iso_text_so_it_sorts_and_compares_correctly():
    assert to_document({"valid_until": date(2028, 12, 31)}) == {"valid_until": "2028-12-31"}
    assert to_document(date(2026, 9, 30)) < to_document(date(2026, 10, 1))


def test_a_naive_datetime_is_taken_as_utc_and_an_aware_one_is_kept():
    naive = datetime(2026, 10, 12, 2, 0)
    assert to_document(naive) == datetime(2026, 10, 12, 2, 0, tzinfo=timezone.utc)
    aware = datetime(2026, 10, 12, 10, 0, tzinfo=SHANGHAI)
    assert to_document(aware) == aware


def test_a_decimal_is_stored_as_a_number():
    assert to_document({"value": Decimal("1200.00")}) == {"value": 1200.0}


def test_to_document_walks_nested_dicts_and_lists():
    doc = to_document({"staff": [{"certificate": {"valid_until": date(2028, 1, 2)}}],
                       "pair": (date(2026, 1, 1), Decimal("1.5"))})
    assert doc == {"staff": [{"certificate": {"valid_until": "2028-01-02"}}],
                   "pair": ["2026-01-01", 1.5]}


def test_to_wire_drops_mongo_ids_and_makes_everything_json_safe():
    wire = to_wire({"_id": ObjectId(), "id": "abc", "at": datetime(2026, 10, 12, 2, 0),
                    "on": date(2026, 10, 12), "value": Decimal("2.50"), "ref": ObjectId("0" * 24),
                    "items": [{"_id": ObjectId(), "n": 1}]})
    assert wire == {"id": "abc", "at": "2026-10-12T02:00:00+00:00", "on": "2026-10-12",
                    "value": 2.5, "ref": "0" * 24, "items": [{"n": 1}]}
    json.dumps(wire)


def test_to_wire_keeps_the_offset_of_an_aware_datetime():
    at = datetime(2026, 10, 12, 10, 0, tzinfo=timezone(timedelta(hours=8)))
    assert to_wire(at) == "2026-10-12T10:00:00+08:00"


def test_as_date_reads_what_was_stored():
    assert as_date("2028-12-31") == date(2028, 12, 31)
    assert as_date("2028-12-31T00:00:00+00:00") == date(2028, 12, 31)
    assert as_date(date(2028, 12, 31)) == date(2028, 12, 31)
    assert as_date(datetime(2028, 12, 31, 23, 0)) == date(2028, 12, 31)
    assert as_date(None) is None
