"""A JSON description of one form for the pages: what to render, in which order, with which
units and options; which values are computed (and by what formula) and judged (against which
limit key). Given a device, a block's parts are narrowed to what applies to that device."""
from emss_common.errors import ValidationFailed

from .conditions import all_match
from .model import spec_for


def describe(kind, device=None):
    spec = spec_for(kind)
    if spec is None:
        raise ValidationFailed(f"未知的运维内容：{kind}", field="kind")
    return describe_spec(spec, device)


def describe_spec(spec, device=None):
    sections = []
    for s in spec.sections:
        def keep(thing):
            return device is None or s.scope == "form" or all_match(thing.when, device)
        body = {"key": s.key, "label": s.label, "scope": s.scope,
                "when": s.when.to_dict() if s.when else None,
                "fields": [_field(f, spec, device) for f in s.fields if keep(f)],
                "computed": [_computed(c, spec, device) for c in s.computed if keep(c)],
                "checks": [{"key": c.key, "label": c.label, "judge": c.judge.to_dict(),
                            "when": _when(c.when)} for c in s.checks if keep(c)]}
        if body["fields"] or body["computed"] or body["checks"]:
            sections.append(body)
    return {
        "kind": spec.kind, "name": spec.name, "outlet_kind": spec.outlet_kind,
        "version": spec.version, "catalogue_version": spec.catalogue_version,
        "per_device": spec.per_device, "device_kinds": list(spec.device_kinds),
        "device_kind_labels": dict(spec.device_kind_labels),
        "factor_codes": list(spec.factor_codes) if spec.factor_codes else None,
        "groups": [{"key": g, "label": spec.group_labels[g]} for g in spec.groups],
        "check_results": [{"value": k, "label": v} for k, v in spec.check_results.items()],
        "block_header": [dict(h) for h in spec.block_header],
        "basis": spec.basis, "sections": sections,
    }


def _when(conditions):
    merged = {}
    for c in conditions:
        merged.update(c.to_dict())
    return merged or None


def _unit(thing, device):
    if thing.unit_from_device:
        return device.get("unit") if device else None
    return thing.unit


def _field(f, spec, device):
    out = {"key": f.key, "label": f.label, "type": f.type, "required": f.required,
           "unit": _unit(f, device), "unit_from_device": f.unit_from_device}
    if f.type == "check":
        out["required"] = True
        out["group"] = f.group
        out["group_label"] = spec.group_labels.get(f.group)
        out["options"] = [{"value": k, "label": v} for k, v in spec.check_results.items()]
        out["note_required_when"] = "abnormal"
    optional = {
        "required_when": f.required_when.to_dict() if f.required_when else None,
        "options": [{"value": k, "label": v} for k, v in f.options] if f.options else None,
        "min": f.min, "max": f.max, "gt": f.gt,
        "max_len": f.max_len if f.type == "text" else None,
        "multiline": f.multiline or None,
        "columns": [_field(c, spec, device) for c in f.columns] if f.columns else None,
        "min_rows": f.min_rows if f.type == "rows" else None,
        "max_rows": f.max_rows if f.type == "rows" else None,
        "from_device": f.from_device, "after": f.after, "not_before": f.not_before,
        "when": _when(f.when), "judge": f.judge.to_dict() if f.judge else None, "help": f.help,
    }
    out.update({k: v for k, v in optional.items() if v is not None and k not in out})
    return out


def _computed(c, spec, device):
    labels = {}
    for param in c.formula.fields:
        ref = c.args.get(param)
        labels[param] = _label(spec, ref) if ref else "—"
    for param in c.formula.literals:
        rows_ref = next((c.args[p] for p in c.formula.rows), None)
        rows = spec.field("block", rows_ref) or spec.field("form", rows_ref)
        column = rows.column(c.args[param]) if rows else None
        labels[param] = column.label if column else c.args[param]
    return {"key": c.key, "label": c.label, "unit": _unit(c, device),
            "unit_from_device": c.unit_from_device, "formula": c.formula.name,
            "formula_label": c.formula.describe(labels), "args": dict(c.args), "decimals": c.decimals,
            "when": _when(c.when), "judge": c.judge.to_dict() if c.judge else None}


def _label(spec, key):
    for scope in ("block", "form"):
        f = spec.field(scope, key)
        if f:
            return f.label
        for c in spec.computed(scope):
            if c.key == key:
                return c.label
    return key
