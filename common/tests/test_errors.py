"""Typed errors: one field named for the user, and they survive nameko's (de)serialisation."""
import json

import pytest
from marshmallow import fields, Schema, ValidationError
from nameko.exceptions import deserialize, serialize

from emss_common.errors import (Conflict, EmssError, Forbidden, InvalidTransition, NotAuthenticated,
                                NotFound, ValidationFailed)
from emss_common.validation import load


class Certificate(Schema):
    valid_until = fields.Date(required=True)


class Staff(Schema):
    name = fields.String(required=True)
    certificate = fields.Nested(Certificate, required=True)


class Registration(Schema):
    institution = fields.Nested(Staff, required=True)


def _messages(schema, payload):
    with pytest.raises(ValidationError) as exc:
        schema.load(payload)
    return exc.value.messages


def test_a_nested_field_is_named_by_its_dotted_path():
    messages = _messages(Staff(), {"name": "赵强", "certificate": {"valid_until": "2026/13/01"}})
    err = ValidationFailed.from_marshmallow(messages)
    assert err.field == "certificate.valid_until"
    assert err.details == messages
    assert err.message == messages["certificate"]["valid_until"][0]


def test_a_doubly_nested_field_is_named_by_its_full_path():
    messages = _messages(Registration(), {"institution": {"name": "x", "certificate": {}}})
    assert ValidationFailed.from_marshmallow(messages).field == "institution.certificate.valid_until"


def test_a_prefix_is_put_in_front_of_the_path():
    err = ValidationFailed.from_marshmallow({"valid_until": ["bad"]}, prefix="payload")
    assert err.field == "payload.valid_until"


def test_a_schema_level_error_names_the_enclosing_object():
    assert ValidationFailed.from_marshmallow({"_schema": ["bad"]}).field is None
    assert ValidationFailed.from_marshmallow({"certificate": {"_schema": ["bad"]}}).field == "certificate"


def test_a_list_item_is_named_by_its_index():
    assert ValidationFailed.from_marshmallow({"capabilities": {0: ["取值无效"]}}).field == "capabilities.0"


def test_load_raises_validation_failed_naming_the_field():
    with pytest.raises(ValidationFailed) as exc:
        load(Staff(), {"certificate": {"valid_until": "2028-12-31"}})
    assert exc.value.field == "name"


def test_load_refuses_a_payload_that_is_not_an_object():
    with pytest.raises(ValidationFailed):
        load(Staff(), ["not", "an", "object"])


def test_each_error_has_its_code_and_http_status():
    assert (ValidationFailed.code, ValidationFailed.http_status) == ("validation_failed", 400)
    assert (NotAuthenticated.code, NotAuthenticated.http_status) == ("not_authenticated", 401)
    assert (Forbidden.code, Forbidden.http_status) == ("forbidden", 403)
    assert (NotFound.code, NotFound.http_status) == ("not_found", 404)
    assert (Conflict.code, Conflict.http_status) == ("conflict", 409)
    assert (InvalidTransition.code, InvalidTransition.http_status) == ("invalid_transition", 409)


def test_to_dict_is_the_gateway_error_body():
    assert Conflict("已被登记", field="credit_code").to_dict() == {
        "code": "conflict", "message": "已被登记", "field": "credit_code"}
    assert str(NotFound("机构不存在", field="id")) == "id: 机构不存在"
    assert str(NotFound("机构不存在")) == "机构不存在"


def _over_the_wire(exc):
    """What nameko does to an expected exception between the worker and the caller."""
    return deserialize(json.loads(json.dumps(serialize(exc))))


@pytest.mark.parametrize("cls", [ValidationFailed, NotAuthenticated, Forbidden, NotFound, Conflict,
                                 InvalidTransition])
def test_a_typed_error_arrives_at_the_caller_as_itself_with_its_field(cls):
    out = _over_the_wire(cls("出错了", field="institution.credit_code", details={"a": ["b"]}))
    assert type(out) is cls
    assert (out.message, out.field, out.details) == ("出错了", "institution.credit_code", {"a": ["b"]})


def test_an_error_without_a_field_arrives_without_one():
    out = _over_the_wire(NotAuthenticated("请先登录"))
    assert out.field is None
    assert out.details is None
    assert out.to_dict() == {"code": "not_authenticated", "message": "请先登录", "field": None}


def test_a_field_set_after_construction_is_what_the_caller_sees():
    err = Conflict("已被登记", field="credit_code")
    err.field = "enterprise.credit_code"
    assert _over_the_wire(err).field == "enterprise.credit_code"


def test_every_emss_error_is_an_emss_error():
    assert issubclass(ValidationFailed, EmssError)
