"""The gateway's own input schemas agree with the schemas the services validate with at their edge:
same fields, same requiredness, defaults, choices and limits (tests may import both; the gateway's
runtime code imports no service). A service's own field types (a credit code with its check digit)
compare as the marshmallow type they extend: that check stays with the service."""
import inspect

import pytest
from marshmallow import Schema, fields, validate

from confirmation import schemas as service_confirmation
from fieldrecords import schemas as service_fieldrecords
from gateway.schemas import confirmation as gateway_confirmation
from gateway.schemas import fieldrecords as gateway_fieldrecords
from gateway.schemas import registry as gateway_registry
from gateway.schemas import tasks as gateway_tasks
from registry import schemas as service_registry
from tasks import schemas as service_tasks

PAIRS = [(gateway_tasks, service_tasks), (gateway_registry, service_registry),
         (gateway_fieldrecords, service_fieldrecords), (gateway_confirmation, service_confirmation)]
# A gateway schema named differently from the one it mirrors: (service schema, fields the gateway
# takes from the URL path rather than the query or body).
RENAMED = {"AsOfQuerySchema": ("DeviceAsOfSchema", {"device_id"})}


def marshmallow_type(field):
    return next(c.__name__ for c in type(field).__mro__ if c.__module__.startswith("marshmallow."))


def rules(field):
    """What a field accepts, comparable between two schema classes."""
    out = {"type": marshmallow_type(field), "required": field.required, "allow_none": field.allow_none,
           "load_default": field.load_default}
    for v in field.validators:
        if not isinstance(v, validate.Validator):  # a shared check function (emss_common.schema)
            out.setdefault("checks", []).append(f"{v.__module__}.{v.__qualname__}")
        if isinstance(v, validate.OneOf):
            out["choices"] = sorted(v.choices)
        elif isinstance(v, validate.Length):
            out["length"] = (v.min, v.max, v.equal)
        elif isinstance(v, validate.Range):
            out["range"] = (v.min, v.max, v.min_inclusive, v.max_inclusive)
        elif isinstance(v, validate.Regexp):
            out["regexp"] = v.regex.pattern
    if isinstance(field, fields.Nested):
        nested = field.nested if isinstance(field.nested, type) else type(field.nested)
        out["nested"] = shape(nested)
    if isinstance(field, fields.List):
        out["inner"] = rules(field.inner)
    return out


def shape(schema_cls):
    return {name: rules(f) for name, f in schema_cls().fields.items()}


def schemas(module):
    return {name: cls for name, cls in inspect.getmembers(module, inspect.isclass)
            if issubclass(cls, Schema) and cls.__module__ == module.__name__}


@pytest.mark.parametrize("gateway_module, service_module", PAIRS, ids=lambda m: m.__name__)
def test_each_gateway_schema_accepts_what_the_service_schema_accepts(gateway_module, service_module):
    mine = schemas(gateway_module)
    assert mine, "the gateway module defines its schemas"
    theirs = schemas(service_module)
    for name, cls in mine.items():
        their_name, from_path = RENAMED.get(name, (name, set()))
        assert their_name in theirs, f"{name} mirrors no {service_module.__name__} schema"
        expected = {k: v for k, v in shape(theirs[their_name]).items() if k not in from_path}
        assert shape(cls) == expected, name


def test_the_credit_schemas_agree():
    """Supervision (credit.schemas), sweeps (credit.usecases.sweeps), orders and inspections
    (credit.schemas_orders): the gateway keeps them all in gateway.schemas.credit."""
    credit_schemas = pytest.importorskip("credit.schemas")
    credit_orders = pytest.importorskip("credit.schemas_orders")
    credit_sweeps = pytest.importorskip("credit.usecases.sweeps")
    from gateway.schemas import credit as gateway_credit
    theirs = {**schemas(credit_schemas), **schemas(credit_orders), **schemas(credit_sweeps)}
    mine = schemas(gateway_credit)
    assert mine
    for name, cls in mine.items():
        assert name in theirs, f"{name} mirrors no credit schema"
        assert shape(cls) == shape(theirs[name]), name
