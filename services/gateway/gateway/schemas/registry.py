"""The gateway's own shapes of the registry routes' input."""
from marshmallow import fields

from emss_common.schema import StrictSchema


class AsOfQuerySchema(StrictSchema):
    """A device's parameters at an instant: `at` is required (ISO 8601; without an offset it is Shanghai time)."""
    at = fields.DateTime(required=True)
