"""Login, logout, the current account, sub-accounts, regulator accounts."""
from flask import current_app, request

from ..auth import AUTHENTICATED, PUBLIC, request_token
from ..schemas import registry as rs
from . import route, services, body, args
from .roles import INSTITUTION_ADMIN, SYSADMIN

TAG = "账户"


@route("/auth/login", "POST", PUBLIC, "登录，返回会话令牌（Bearer）", TAG, body=rs.LoginSchema)
def login(actor):
    # The client's address (behind EMSS_TRUSTED_PROXIES, the one they report): lock-out is per source.
    return services().registry.login(body(), request.remote_addr)


@route("/auth/logout", "POST", AUTHENTICATED, "退出登录，令牌立即失效", TAG)
def logout(actor):
    token, _ = request_token()
    current_app.extensions["emss_sessions"].evict(token)
    return services().registry.logout(token)


@route("/auth/me", "GET", AUTHENTICATED, "当前账户", TAG)
def me(actor):
    return actor


@route("/auth/password", "POST", AUTHENTICATED, "修改密码（其他会话随之失效）", TAG,
       body=rs.PasswordChangeSchema)
def change_password(actor):
    result = services().registry.change_password(actor, body())
    current_app.extensions["emss_sessions"].evict(request_token()[0])
    return result


@route("/sub-accounts", "GET", [INSTITUTION_ADMIN], "本机构子账户列表", TAG)
def list_sub_accounts(actor):
    return services().registry.list_sub_accounts(actor)


@route("/sub-accounts", "POST", [INSTITUTION_ADMIN], "创建子账户（运维人员/运维审核）", TAG,
       body=rs.SubAccountSchema, status=201)
def create_sub_account(actor):
    return services().registry.create_sub_account(actor, body())


@route("/sub-accounts/<account_id>/enable", "POST", [INSTITUTION_ADMIN], "启用子账户", TAG)
def enable_sub_account(actor, account_id):
    return services().registry.set_sub_account_active(actor, account_id, True)


@route("/sub-accounts/<account_id>/disable", "POST", [INSTITUTION_ADMIN], "停用子账户（会话立即失效）", TAG)
def disable_sub_account(actor, account_id):
    return services().registry.set_sub_account_active(actor, account_id, False)


@route("/regulators", "POST", [SYSADMIN], "创建监管方账户（区或全市）", TAG,
       body=rs.RegulatorAccountSchema, status=201)
def create_regulator(actor):
    return services().registry.create_regulator(actor, body())


@route("/accounts", "GET", [SYSADMIN], "全部账户（可按角色筛选 ?role=）", TAG)
def list_accounts(actor):
    return services().registry.list_accounts(actor, args().get("role"))


@route("/reference", "GET", PUBLIC, "代码表：机构类型、业务能力、辖区、排口与设备类型、分析因子等", "参考数据")
def reference(actor):
    return services().registry.reference()
