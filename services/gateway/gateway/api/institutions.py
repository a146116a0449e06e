"""Institution filing (备案): registration, 二审 information, reviews, change requests, listings."""
from emss_common.errors import NotFound

from ..auth import PUBLIC
from ..schemas import registry as rs
from . import args, body, checked, route, services
from .roles import INSTITUTION_ADMIN, INSTITUTION_MEMBERS, REGULATOR, SYSADMIN

TAG = "机构备案"
READERS = INSTITUTION_MEMBERS + [REGULATOR, SYSADMIN]
# URL spelling → the registry's name for each kind of 二审 item
TARGETS = {"staff": "staff", "equipment": "equipment", "vehicles": "vehicles",
           "spare-parts": "spare_parts"}
ITEM_SCHEMAS = list(rs.SECOND_STAGE_SCHEMAS.values())


def _target(name):
    if name not in TARGETS:
        raise NotFound(f"未知的二审信息类别：{name}", field="target")
    return TARGETS[name]


def _item(name):
    """The item in the body, checked with the schema of its kind (the URL names the kind)."""
    _target(name)
    return checked(rs.SECOND_STAGE_SCHEMAS[name], body())


@route("/institutions", "POST", PUBLIC, "机构备案注册：基本信息与主账户", TAG,
       body=rs.InstitutionRegistrationSchema, status=201)
def register_institution(actor):
    return services().registry.register_institution(body())


@route("/institutions", "GET", READERS, "机构列表（监管方按辖区，机构只见本机构）", TAG,
       query=rs.InstitutionQuerySchema)
def list_institutions(actor):
    return services().registry.list_institutions(actor, args())


@route("/institutions/<institution_id>", "GET", READERS, "机构备案详情（含证书有效性、待更新事项）", TAG)
def get_institution(actor, institution_id):
    return services().registry.get_institution(actor, institution_id)


@route("/institutions/<institution_id>/basic", "PUT", [INSTITUTION_ADMIN], "修改基本信息（草稿或退回时）", TAG,
       body=rs.InstitutionBasicSchema)
def update_basic(actor, institution_id):
    return services().registry.update_institution_basic(actor, institution_id, body())


@route("/institutions/<institution_id>/<target>", "POST", [INSTITUTION_ADMIN],
       "新增二审信息条目：staff 人员 / equipment 设备 / vehicles 车辆 / spare-parts 备品备件", TAG,
       body=ITEM_SCHEMAS, status=201)
def add_item(actor, institution_id, target):
    item = _item(target)
    return services().registry.add_institution_item(actor, institution_id, _target(target), item)


@route("/institutions/<institution_id>/<target>/<item_id>", "PUT", [INSTITUTION_ADMIN],
       "修改二审信息条目", TAG,
       body=ITEM_SCHEMAS)
def update_item(actor, institution_id, target, item_id):
    item = _item(target)
    return services().registry.update_institution_item(actor, institution_id, _target(target), item_id, item)


@route("/institutions/<institution_id>/<target>/<item_id>", "DELETE", [INSTITUTION_ADMIN],
       "删除二审信息条目", TAG)
def remove_item(actor, institution_id, target, item_id):
    return services().registry.remove_institution_item(actor, institution_id, _target(target), item_id)


@route("/institutions/<institution_id>/transitions", "POST", [INSTITUTION_ADMIN, REGULATOR],
       "备案流转：submit 提交 / approve_first 初审通过 / return_first 初审退回 / submit_second 提交二审 / "
       "approve_second 二审通过 / return_second 二审退回 / publish 公开", TAG, body=rs.TransitionSchema)
def transition(actor, institution_id):
    return services().registry.transition_institution(actor, institution_id, body())


@route("/institutions/<institution_id>/audit", "GET", READERS, "备案留痕：谁、何时、改了什么", TAG)
def audit_trail(actor, institution_id):
    return services().registry.institution_audit_trail(actor, institution_id)


@route("/institutions/<institution_id>/change-requests", "POST", [INSTITUTION_ADMIN],
       "信息变更申请（备案通过后；须在变更发生后5个工作日内提交）", TAG, body=rs.ChangeRequestSchema,
       status=201)
def submit_change_request(actor, institution_id):
    return services().registry.submit_change_request(actor, institution_id, body())


@route("/change-requests", "GET", [INSTITUTION_ADMIN, REGULATOR, SYSADMIN],
       "信息变更申请列表（?status=pending|approved|rejected）", TAG,
       query=rs.ChangeRequestQuerySchema)
def list_change_requests(actor):
    return services().registry.list_change_requests(actor, args())


@route("/change-requests/<change_request_id>/decision", "POST", [REGULATOR],
       "审核信息变更申请：approve 通过（立即生效）/ reject 驳回（须填原因）", TAG,
       body=rs.ChangeDecisionSchema)
def decide_change_request(actor, change_request_id):
    return services().registry.decide_change_request(actor, change_request_id, body())


@route("/public/institutions", "GET", PUBLIC, "公开的备案机构名录（一网通办）", "信息公开",
       query=rs.PublicQuerySchema)
def public_institutions(actor):
    return services().registry.public_institutions(args())
