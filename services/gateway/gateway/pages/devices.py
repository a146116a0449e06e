"""A monitoring device's version history: every recorded change, what it changed, whether it was
recorded within the deadline. Whoever may see the enterprise may see it (the registry checks)."""
from flask import request

from ..auth import AUTHENTICATED
from . import bp, page, render, services, reference

PARAMETER_ORDER = ("kind", "factor_code", "name", "model", "brand", "origin", "method_principle",
                   "construction_status", "unit", "range_lower", "range_upper", "serial_number",
                   "manufacturer", "current_maintainer", "previous_maintainer",
                   "production_licence_no", "test_report_no", "install_point_name",
                   "install_point_code", "system_producer", "system_installer",
                   "reference_o2_pct", "velocity_field_coefficient", "cross_section_m2",
                   "detection_limit", "pitot_coefficient", "functions", "mixed_sample_ready",
                   "refrigerated")


@bp.get("/portal/devices/<device_id>/history")
@page(AUTHENTICATED)
def device_history(actor, device_id):
    versions = services().registry.device_history(actor, device_id)
    rows, previous = [], None
    for ver in versions:
        params = ver.get("params") or {}
        changed = [k for k in PARAMETER_ORDER
                   if previous is not None and params.get(k) != previous.get(k)]
        shown = [k for k in PARAMETER_ORDER if params.get(k) not in (None, "")]
        rows.append({**ver, "changed": changed, "shown": shown, "previous": previous or {}})
        previous = params
    latest = versions[-1]["params"] if versions else {}
    back = request.args.get("back")
    back = back if back and back.startswith("/") and not back.startswith("//") else None
    factors = {code: f"{f['name']}（{code}）" for table in reference()["factors"].values()
               for code, f in table.items()}
    return render("device_history.html", device_id=device_id, rows=list(reversed(rows)),
                  latest=latest, back=back, factors=factors)
