"""The gateway's own input schemas agree with the schemas the services validate with at their edge:
same fields, same requiredness, same choices and limits (tests may import both; the gateway's
runtime code imports no service)."""
import inspect

import pytest
from marshmallow import Schema, fields, validate

from gateway.schemas import tasks as gateway_tasks
from tasks import schemas as service_tasks

PAIRS = [(gateway_tasks, service_tasks)]


def rules(field):
    """What a field accepts, comparable between two schema classes."""
    out = {"type": type(field).__name__, "required": field.required, "allow_none": field.allow_none}
    for v in field.validators:
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
        assert name in theirs, f"{name} mirrors no {service_module.__name__} schema"
        assert shape(cls) == shape(theirs[name]), name
