"""The gateway's own shapes of the registry routes' input. Same fields, choices and limits as the
registry's schemas (services/gateway/tests/test_schemas_agree.py keeps them so); what needs the
registry's own knowledge stays with it: the check digits of credit codes and resident ids, plate
numbers, and the rules that join several fields (a lease's dates, the fields each device kind needs)."""
from marshmallow import fields, validate

from emss_common.actor import DISTRICTS, SUB_ACCOUNT_ROLES, WHOLE_CITY
from emss_common.paging import KeysetQuerySchema
from emss_common.schema import (DecisionSchema, StrictSchema, one_of, password as password_field, phone, text,
                                username as username_field)
from emss_common.vocabulary import (CAPABILITIES, CHANGE_OPS, CHANGE_STATUSES, CHANGE_TARGETS,
                                    CONSTRUCTION_STATUSES, DEVICE_KINDS, DEVICE_ORIGINS, EDUCATION_LEVELS, GENDERS,
                                    INSTITUTION_TYPES, OUTLET_KINDS, TECHNICAL_ROLES, VEHICLE_OWNERSHIPS)


class AsOfQuerySchema(StrictSchema):
    """A device's parameters at an instant: `at` is required (ISO 8601; without an offset it is Shanghai time)."""
    at = fields.DateTime(required=True)


# ---- accounts ----

class AccountSchema(StrictSchema):
    username = username_field()
    password = password_field(load_only=True)
    name = text(max_len=50)


class LoginSchema(StrictSchema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256))


class PasswordChangeSchema(StrictSchema):
    old_password = fields.String(required=True)
    new_password = password_field()


class SubAccountSchema(AccountSchema):
    roles = fields.List(one_of(SUB_ACCOUNT_ROLES), required=True,
                        validate=validate.Length(min=1, error="至少选择一个角色"))
    staff_id = text(required=False, max_len=64)


class RegulatorAccountSchema(AccountSchema):
    district = one_of(DISTRICTS + (WHOLE_CITY,))


# ---- institutions ----

class InstitutionBasicSchema(StrictSchema):
    name = text(min_len=2, max_len=100)
    type = one_of(INSTITUTION_TYPES)
    credit_code = fields.String(required=True)
    legal_representative = text(max_len=50)
    contact_person = text(max_len=50)
    contact_phone = phone()
    email = fields.Email(load_default=None, allow_none=True)
    website = text(required=False, max_len=200)
    address = text(max_len=200)
    lab_address = text(required=False, max_len=200)
    district = one_of(DISTRICTS)
    registered_capital = fields.Decimal(load_default=None, allow_none=True, places=2,
                                        validate=validate.Range(min=0, error="不能为负数"))
    capabilities = fields.List(one_of(CAPABILITIES), required=True,
                               validate=validate.Length(min=1, error="至少选择一项业务能力"))


class InstitutionRegistrationSchema(StrictSchema):
    institution = fields.Nested(InstitutionBasicSchema, required=True)
    account = fields.Nested(AccountSchema, required=True)


class CertificateSchema(StrictSchema):
    number = text(max_len=50)
    issuer = text(max_len=100)
    category = text(max_len=50)
    valid_from = fields.Date(required=True)
    valid_until = fields.Date(required=True)


class StaffSchema(StrictSchema):
    name = text(max_len=50)
    gender = one_of(GENDERS)
    id_number = fields.String(required=True)
    education = one_of(EDUCATION_LEVELS)
    post = text(max_len=50)
    title = text(required=False, max_len=50)
    is_professional = fields.Boolean(load_default=False)
    technical_role = one_of(TECHNICAL_ROLES)
    certificate = fields.Nested(CertificateSchema, load_default=None, allow_none=True)
    resigned = fields.Boolean(load_default=False)


class EquipmentSchema(StrictSchema):
    asset_number = text(max_len=50)
    serial_number = text(max_len=50)
    name = text(max_len=100)
    model = text(required=False, max_len=100)
    calibration_certificate_no = text(required=False, max_len=50)
    calibration_valid_until = fields.Date(required=True)


class VehicleSchema(StrictSchema):
    plate = fields.String(required=True)
    ownership = one_of(VEHICLE_OWNERSHIPS)
    licence_no = text(required=False, max_len=50)
    lessor = text(required=False, max_len=100)
    lease_start = fields.Date(load_default=None, allow_none=True)
    lease_end = fields.Date(load_default=None, allow_none=True)


class SparePartSchema(StrictSchema):
    name = text(max_len=100)
    model = text(required=False, max_len=100)
    quantity = fields.Integer(required=True, validate=validate.Range(min=0, error="不能为负数"))
    value = fields.Decimal(required=True, places=2, validate=validate.Range(min=0, error="不能为负数"))
    storage_location = text(max_len=200)


# URL spelling of each kind of 二审 item → its schema
SECOND_STAGE_SCHEMAS = {"staff": StaffSchema, "equipment": EquipmentSchema, "vehicles": VehicleSchema,
                        "spare-parts": SparePartSchema}


class TransitionSchema(StrictSchema):
    action = fields.String(required=True)
    reason = text(required=False, max_len=500)


class ChangeRequestSchema(StrictSchema):
    target = one_of(CHANGE_TARGETS)
    op = one_of(CHANGE_OPS)
    item_id = text(required=False, max_len=64)
    payload = fields.Dict(load_default=dict)
    changed_on = fields.Date(required=True)
    note = text(required=False, max_len=500)


class ChangeRequestQuerySchema(StrictSchema):
    status = one_of(CHANGE_STATUSES, required=False)
    institution_id = text(required=False, max_len=64)


ChangeDecisionSchema = DecisionSchema


class PublicQuerySchema(KeysetQuerySchema):
    keyword = text(required=False, max_len=100)
    type = one_of(INSTITUTION_TYPES, required=False)
    status = one_of(("valid", "expired"), required=False)
    capability = one_of(CAPABILITIES, required=False)
    size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class InstitutionQuerySchema(PublicQuerySchema):
    status = fields.String(load_default=None, allow_none=True)
    district = one_of(DISTRICTS, required=False)


# ---- enterprises, outlets, devices ----

class EnterpriseSchema(StrictSchema):
    name = text(min_len=2, max_len=100)
    credit_code = fields.String(required=True)
    district = one_of(DISTRICTS)
    address = text(max_len=200)
    legal_representative = text(max_len=50)
    contact_person = text(max_len=50)
    contact_phone = phone()
    industry = text(required=False, max_len=100)


class EnterpriseRegistrationSchema(StrictSchema):
    enterprise = fields.Nested(EnterpriseSchema, required=True)
    account = fields.Nested(AccountSchema, required=True)


class EnterpriseQuerySchema(KeysetQuerySchema):
    keyword = text(required=False, max_len=100)
    size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class OutletSchema(StrictSchema):
    name = text(max_len=100)
    kind = one_of(OUTLET_KINDS)
    permit_point_code = text(max_len=50)
    longitude = fields.Float(required=True, validate=validate.Range(
        min=73.0, max=136.0, error="经度应在中国境内（73到136之间）"))
    latitude = fields.Float(required=True, validate=validate.Range(
        min=3.0, max=54.0, error="纬度应在中国境内（3到54之间）"))
    crs = one_of(("WGS-84", "GCJ-02"), required=False, load_default="WGS-84")
    address = text(required=False, max_len=200)


class DeviceSchema(StrictSchema):
    """One shape for the three kinds (which fields each kind needs is the registry's rule)."""
    kind = one_of(DEVICE_KINDS)
    factor_code = text(required=False, max_len=10)
    name = text(required=False, max_len=100)
    model = text(max_len=100)
    brand = text(required=False, max_len=100)
    origin = one_of(DEVICE_ORIGINS, required=False)
    method_principle = text(required=False, max_len=100)
    construction_status = one_of(CONSTRUCTION_STATUSES)
    unit = text(required=False, max_len=20)
    current_maintainer = text(required=False, max_len=100)
    previous_maintainer = text(required=False, max_len=100)
    manufacturer = text(required=False, max_len=100)
    production_licence_no = text(required=False, max_len=50)
    test_report_no = text(required=False, max_len=50)
    serial_number = text(required=False, max_len=50)
    install_point_name = text(required=False, max_len=100)
    install_point_code = text(required=False, max_len=50)
    system_producer = text(required=False, max_len=100)
    system_installer = text(required=False, max_len=100)
    range_lower = fields.Float(load_default=None, allow_none=True)
    range_upper = fields.Float(load_default=None, allow_none=True,
                               validate=validate.Range(min=0, min_inclusive=False, error="量程上限应大于0"))
    reference_o2_pct = fields.Float(load_default=None, allow_none=True,
                                    validate=validate.Range(min=0, max=21, error="基准氧含量应在0到21之间"))
    velocity_field_coefficient = fields.Float(load_default=None, allow_none=True,
                                              validate=validate.Range(min=0, min_inclusive=False, error="应大于0"))
    cross_section_m2 = fields.Float(load_default=None, allow_none=True,
                                    validate=validate.Range(min=0, min_inclusive=False, error="应大于0"))
    detection_limit = fields.Float(load_default=None, allow_none=True,
                                   validate=validate.Range(min=0, error="不能为负数"))
    pitot_coefficient = fields.Float(load_default=None, allow_none=True,
                                     validate=validate.Range(min=0, min_inclusive=False, error="应大于0"))
    functions = text(required=False, max_len=200)
    mixed_sample_ready = fields.Boolean(load_default=None, allow_none=True)
    refrigerated = fields.Boolean(load_default=None, allow_none=True)


class DeviceChangeSchema(StrictSchema):
    device = fields.Nested(DeviceSchema, required=True)
    changed_on = fields.Date(required=True)
    reason = text(required=False, max_len=500)
