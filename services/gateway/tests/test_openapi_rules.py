"""The OpenAPI document states the rules the server enforces (issue 10, defect 10)."""
import pytest

from gateway.openapi import build_spec


@pytest.fixture(scope="module")
def spec():
    return build_spec()


def _op(spec, path, method="get"):
    return spec["paths"]["/api/v1" + path][method]


def test_decimal_bounds_are_numbers(spec):
    schemas = spec["components"]["schemas"]
    assert schemas["TasksContract"]["properties"]["amount"]["minimum"] == 0
    assert schemas["RegistryInstitutionBasic"]["properties"]["registered_capital"]["minimum"] == 0


def test_a_day_in_the_path_is_a_date(spec):
    params = _op(spec, "/confirmation/days/{day}/records")["parameters"]
    assert {"name": "day", "in": "path", "required": True,
            "schema": {"type": "string", "format": "date"}} in params


def test_as_of_requires_at(spec):
    params = _op(spec, "/devices/{device_id}/as-of")["parameters"]
    at = next(p for p in params if p["name"] == "at")
    assert at["in"] == "query" and at["required"] is True and at["schema"]["format"] == "date-time"


def test_the_occurrence_range_limit_is_stated(spec):
    params = _op(spec, "/tasks/{task_id}/occurrences")["parameters"]
    end = next(p for p in params if p["name"] == "end")
    assert "400天" in end["description"] or "400天" in end["schema"].get("description", "")


def test_the_password_length_is_stated(spec):
    schemas = spec["components"]["schemas"]
    assert schemas["RegistryAccount"]["properties"]["password"]["minLength"] == 10
    assert schemas["RegistryPasswordChange"]["properties"]["new_password"]["minLength"] == 10


def test_a_report_upload_states_its_file(spec):
    body = _op(spec, "/reports", "post")["requestBody"]["content"]["application/json"]["schema"]
    name = body["$ref"].rsplit("/", 1)[1]
    upload = spec["components"]["schemas"][name]
    from gateway.schemas.tasks import ReportMetaSchema
    assert "file" in upload["required"]
    assert set(upload["properties"]) == set(ReportMetaSchema().fields) | {"file"}
