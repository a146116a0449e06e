"""Enterprises (排污单位), their outlets (排口) and monitoring devices."""
from ..auth import PUBLIC
from ..schemas import registry as rs
from . import route, services, body, args
from .roles import ANY_ROLE, ENTERPRISE_USER

TAG = "排污单位"


@route("/enterprises", "POST", PUBLIC, "排污单位注册：基本信息与账户", TAG,
       body=rs.EnterpriseRegistrationSchema, status=201)
def register_enterprise(actor):
    return services().registry.register_enterprise(body())


@route("/enterprises", "GET", ANY_ROLE, "排污单位名录（监管方按辖区）", TAG, query=rs.EnterpriseQuerySchema)
def list_enterprises(actor):
    return services().registry.list_enterprises(actor, args())


@route("/enterprises/<enterprise_id>", "GET", ANY_ROLE, "排污单位详情：排口与监测设备", TAG)
def get_enterprise(actor, enterprise_id):
    return services().registry.get_enterprise(actor, enterprise_id)


@route("/enterprises/<enterprise_id>", "PUT", [ENTERPRISE_USER], "修改排污单位基本信息", TAG,
       body=rs.EnterpriseSchema)
def update_enterprise(actor, enterprise_id):
    return services().registry.update_enterprise(actor, enterprise_id, body())


@route("/enterprises/<enterprise_id>/outlets", "POST", [ENTERPRISE_USER], "登记排口", TAG,
       body=rs.OutletSchema, status=201)
def add_outlet(actor, enterprise_id):
    return services().registry.add_outlet(actor, enterprise_id, body())


@route("/outlets/<outlet_id>", "PUT", [ENTERPRISE_USER], "修改排口", TAG, body=rs.OutletSchema)
def update_outlet(actor, outlet_id):
    return services().registry.update_outlet(actor, outlet_id, body())


@route("/outlets/<outlet_id>/devices", "POST", [ENTERPRISE_USER], "新增监测设备（仪器备案）", TAG,
       body=rs.DeviceChangeSchema, status=201)
def add_device(actor, outlet_id):
    return services().registry.add_device(actor, outlet_id, body())


@route("/devices/<device_id>", "PUT", [ENTERPRISE_USER],
       "变更监测设备信息（形成新版本；须在变更后5个工作日内登记）", TAG, body=rs.DeviceChangeSchema)
def update_device(actor, device_id):
    return services().registry.update_device(actor, device_id, body())


@route("/devices/<device_id>/history", "GET", ANY_ROLE, "设备参数版本历史", TAG)
def device_history(actor, device_id):
    return services().registry.device_history(actor, device_id)


@route("/devices/<device_id>/as-of", "GET", ANY_ROLE, "某一时刻的设备参数（?at=ISO 8601）", TAG,
       query=rs.AsOfQuerySchema)
def device_as_of(actor, device_id):
    return services().registry.device_as_of(actor, {"device_id": device_id, "at": args().get("at")})
