"""The registry's payloads, validated at its edge. A bad payload names its field; nothing is stored."""
from marshmallow import fields, validate, validates, validates_schema, post_load, ValidationError

from emss_common.schema import (DecisionSchema, StrictSchema, one_of, password as password_field, phone, text,
                                 username as username_field)
from emss_common.vocabulary import CONSTRUCTION_STATUSES, DEVICE_ORIGINS, GENDERS, VEHICLE_OWNERSHIPS
from emss_common.paging import KeysetQuerySchema

from .domain.codes import normalise_credit_code, normalise_resident_id, normalise_plate
from .domain.devices import OUTLET_KINDS, DEVICE_KINDS
from .domain.changes import CHANGE_TARGETS, CHANGE_OPS, CHANGE_STATUS_LABELS
from .domain.institution import (INSTITUTION_TYPES, CAPABILITIES, TECHNICAL_ROLES,
                                 EDUCATION_LEVELS)
from .domain.roles import DISTRICTS, SUB_ACCOUNT_ROLES, WHOLE_CITY
from .domain.wechat import OPENID


class CreditCodeField(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        try:
            return normalise_credit_code(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class AccountSchema(StrictSchema):
    username = username_field()
    password = password_field(load_only=True)
    name = text(max_len=50)


class InstitutionBasicSchema(StrictSchema):
    name = text(min_len=2, max_len=100)
    type = one_of(INSTITUTION_TYPES)
    credit_code = CreditCodeField(required=True)
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

    @validates_schema
    def _order(self, data, **kwargs):
        if data["valid_until"] < data["valid_from"]:
            raise ValidationError("有效期止不能早于有效期起", field_name="valid_until")


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

    @validates("id_number")
    def _ric(self, value, **kwargs):
        try:
            normalise_resident_id(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    @validates_schema
    def _om_needs_certificate(self, data, **kwargs):
        if data.get("technical_role") == "om_staff" and not data.get("certificate"):
            raise ValidationError("运维人员必须填写运维能力评定证书", field_name="certificate")


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

    @post_load
    def _plate(self, data, **kwargs):
        try:
            data["plate"] = normalise_plate(data["plate"])
        except ValueError as exc:
            raise ValidationError(str(exc), field_name="plate") from None
        return data

    @validates_schema
    def _lease(self, data, **kwargs):
        if data.get("ownership") != "leased":
            return
        for key in ("lease_start", "lease_end"):
            if not data.get(key):
                raise ValidationError("租赁车辆必须填写租赁期限", field_name=key)
        if data["lease_end"] < data["lease_start"]:
            raise ValidationError("租赁结束日期不能早于开始日期", field_name="lease_end")


class SparePartSchema(StrictSchema):
    name = text(max_len=100)
    model = text(required=False, max_len=100)
    quantity = fields.Integer(required=True, validate=validate.Range(min=0, error="不能为负数"))
    value = fields.Decimal(required=True, places=2, validate=validate.Range(min=0, error="不能为负数"))
    storage_location = text(max_len=200)


SECOND_STAGE_SCHEMAS = {
    "staff": StaffSchema,
    "equipment": EquipmentSchema,
    "vehicles": VehicleSchema,
    "spare_parts": SparePartSchema,
}


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

    @validates_schema
    def _item(self, data, **kwargs):
        if data["target"] == "basic" and data["op"] != "update":
            raise ValidationError("基本信息只能修改", field_name="op")
        if data["target"] != "basic" and data["op"] in ("update", "remove") and not data.get("item_id"):
            raise ValidationError("修改或删除须指明条目", field_name="item_id")


class ChangeRequestQuerySchema(StrictSchema):
    status = one_of(CHANGE_STATUS_LABELS, required=False)
    institution_id = text(required=False, max_len=64)


ChangeDecisionSchema = DecisionSchema  # a regulator's decision on a change request


class PublicQuerySchema(KeysetQuerySchema):
    keyword = text(required=False, max_len=100)
    type = one_of(INSTITUTION_TYPES, required=False)
    status = one_of(("valid", "expired"), required=False)
    capability = one_of(CAPABILITIES, required=False)
    size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class InstitutionQuerySchema(PublicQuerySchema):
    status = fields.String(load_default=None, allow_none=True)
    district = one_of(DISTRICTS, required=False)


class LoginSchema(StrictSchema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256))


class WechatOpenIdSchema(StrictSchema):
    openid = fields.String(required=True, validate=validate.Regexp(
        OPENID, error="微信用户标识（openid）格式不正确"))


class WechatBindSchema(LoginSchema, WechatOpenIdSchema):
    """Binding a WeChat user proves the account with its username and password, like a login."""


class SubAccountSchema(AccountSchema):
    roles = fields.List(one_of(SUB_ACCOUNT_ROLES), required=True,
                        validate=validate.Length(min=1, error="至少选择一个角色"))
    staff_id = text(required=False, max_len=64)

    @validates_schema
    def _staff(self, data, **kwargs):
        if "field_staff" in data.get("roles", []) and not data.get("staff_id"):
            raise ValidationError("运维人员账户必须关联一名已备案人员", field_name="staff_id")


class RegulatorAccountSchema(AccountSchema):
    district = one_of(DISTRICTS + (WHOLE_CITY,))


class PasswordChangeSchema(StrictSchema):
    old_password = fields.String(required=True)
    new_password = password_field()


# ---- enterprises, outlets, devices ----

class EnterpriseSchema(StrictSchema):
    name = text(min_len=2, max_len=100)
    credit_code = CreditCodeField(required=True)
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
    """One schema for the three kinds; the kind decides which fields are required (seed 003)."""
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
    # CEMS parameters (参数信息)
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
    # automatic sampler (自动采样器)
    functions = text(required=False, max_len=200)
    mixed_sample_ready = fields.Boolean(load_default=None, allow_none=True)
    refrigerated = fields.Boolean(load_default=None, allow_none=True)

    REQUIRED_BY_KIND = {
        "water_analyzer": ("factor_code", "model", "brand", "method_principle", "current_maintainer",
                           "previous_maintainer", "install_point_name", "install_point_code",
                           "system_producer", "system_installer"),
        "cems": ("factor_code", "model", "brand", "serial_number", "method_principle",
                 "current_maintainer", "install_point_name", "install_point_code",
                 "system_producer", "system_installer"),
        "water_sampler": ("name", "model", "manufacturer", "mixed_sample_ready", "refrigerated"),
    }

    @validates_schema
    def _required_by_kind(self, data, **kwargs):
        missing = {k: ["必填项"] for k in self.REQUIRED_BY_KIND.get(data.get("kind"), ())
                   if data.get(k) in (None, "")}
        if missing:
            raise ValidationError(missing)
        lower, upper = data.get("range_lower"), data.get("range_upper")
        if lower is not None and upper is not None and upper <= lower:
            raise ValidationError("量程上限应大于下限", field_name="range_upper")


class DeviceChangeSchema(StrictSchema):
    device = fields.Nested(DeviceSchema, required=True)
    changed_on = fields.Date(required=True)
    reason = text(required=False, max_len=500)


class DeviceAsOfSchema(StrictSchema):
    device_id = text(max_len=64)
    at = fields.DateTime(required=True)
