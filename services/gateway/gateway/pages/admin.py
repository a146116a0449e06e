"""System administration: regulator accounts (a district, or 全市 for the whole city) and the list
of every account."""
from flask import flash, redirect, request, url_for

from emss_common.errors import ValidationFailed

from . import bp, page, render, services, attempt, form_payload

SYSADMIN = ["sysadmin"]


@bp.route("/portal/admin", methods=["GET", "POST"])
@page(SYSADMIN)
def admin_home(actor):
    values, error = {}, None
    if request.method == "POST":
        values = form_payload()
        again = values.pop("password_confirm", None)
        if values.get("password") and again != values.get("password"):
            error = ValidationFailed("两次输入的密码不一致", field="password_confirm")
        else:
            result, error = attempt(services().registry.create_regulator, actor, values)
            if result:
                scope = "全市" if result["district"] == "*" else result["district"]
                flash(f"已创建监管账户 {result['username']}（{scope}）")
                return redirect(url_for("pages.admin_home"))
    regulators = services().registry.list_accounts(actor, "regulator")
    return render("admin/home.html", regulators=regulators, values=values, error=error, tab="admin")


@bp.get("/portal/admin/accounts")
@page(SYSADMIN)
def admin_accounts(actor):
    role = request.args.get("role") or None
    accounts = services().registry.list_accounts(actor, role)
    return render("admin/accounts.html", accounts=accounts, role=role, tab="accounts")
