"""The services' common validation refuses what no store or broker can carry, naming the field,
whatever the gateway let through (defence in depth)."""
import pytest
from marshmallow import fields

from emss_common.errors import ValidationFailed
from emss_common.schema import StrictSchema, text
from emss_common.validation import MAX_DEPTH, check_json_value, load


class Note(StrictSchema):
    title = text(max_len=50)
    lines = fields.List(fields.String(), load_default=list)
    on = fields.Date(load_default=None)
    at = fields.AwareDateTime(load_default=None, default_timezone=None)


def failure(payload):
    with pytest.raises(ValidationFailed) as caught:
        load(Note(), payload)
    return caught.value


def test_a_lone_surrogate_is_refused_naming_its_path():
    assert failure({"title": "水\ud800"}).field == "title"
    assert failure({"title": "ok", "lines": ["a", "\udfff"]}).field == "lines[1]"
    assert failure({"title": "ok", "\ud800": 1}).field == "body"   # a bad key: its parent is named
    assert load(Note(), {"title": "水质 ✓ 𝌆"})["title"] == "水质 ✓ 𝌆"


def test_nesting_deeper_than_the_limit_is_refused_without_recursing():
    deep = []
    for _ in range(MAX_DEPTH * 100):   # far beyond Python's recursion limit
        deep = [deep]
    with pytest.raises(ValidationFailed) as caught:
        check_json_value({"lines": deep})
    assert caught.value.field == "body"
    shallow = [[["fine"]]]
    assert check_json_value({"lines": shallow}) == {"lines": shallow}


@pytest.mark.parametrize("field, value", [("on", "0001-01-01"), ("on", "9999-12-31"),
                                          ("at", "0001-01-01T00:00:00+08:00"), ("at", "9999-12-31T23:00:00-05:00")])
def test_a_date_or_time_outside_the_accepted_years_names_the_field(field, value):
    error = failure({"title": "ok", field: value})
    assert error.field == field and "1900" in error.message
