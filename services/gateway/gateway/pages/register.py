"""Self-service registration: an institution files its basic information (备案注册), an enterprise
(排污单位) registers; each gets its main account."""
from flask import request

from emss_common.errors import ValidationFailed

from ..auth import PUBLIC
from . import bp, page, render, services, attempt, form_payload


def _account_checked(payload):
    """The password is typed twice; only the first goes to the registry."""
    account = payload.get("account") or {}
    again = account.pop("password_confirm", None)
    if account.get("password") and again != account.get("password"):
        return ValidationFailed("两次输入的密码不一致", field="account.password_confirm")
    return None


@bp.route("/register/institution", methods=["GET", "POST"])
@page(PUBLIC)
def register_institution(actor):
    values, error = {"institution": {"capabilities": []}}, None
    if request.method == "POST":
        values = form_payload(lists=("institution.capabilities",))
        error = _account_checked(values)
        if error is None:
            result, error = attempt(services().registry.register_institution, values)
            if result:
                return render("register/done.html", kind="institution", result=result)
    return render("register/institution.html", values=values, error=error)


@bp.route("/register/enterprise", methods=["GET", "POST"])
@page(PUBLIC)
def register_enterprise(actor):
    values, error = {}, None
    if request.method == "POST":
        values = form_payload()
        error = _account_checked(values)
        if error is None:
            result, error = attempt(services().registry.register_enterprise, values)
            if result:
                return render("register/done.html", kind="enterprise", result=result)
    return render("register/enterprise.html", values=values, error=error)
