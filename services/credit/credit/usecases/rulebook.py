"""The rules catalogue as the rest of the service reads it: a rule's name, severity and category
for the warnings it raises, and the catalogue described for the regulator's page (list_rules).

The catalogue itself is credit/supervision/rules/catalogue.py (RULES: the rules, a sequence or a
dict by code). A finding of a code the catalogue does not hold (none yet, or an inspection's) keeps
its code as its name."""
import importlib
import importlib.util

from emss_common.errors import Forbidden

CATALOGUE = "credit.supervision.rules.catalogue"
DESCRIBED = ("code", "name", "category", "applies_to", "severity", "source")


def rules():
    if importlib.util.find_spec(CATALOGUE) is None:
        return ()
    found = importlib.import_module(CATALOGUE).RULES
    return tuple(found.values()) if isinstance(found, dict) else tuple(found)


def _get(rule, name, default=None):
    return rule.get(name, default) if isinstance(rule, dict) else getattr(rule, name, default)


def rule_named(code):
    """{name, severity, category} of the rule `code`."""
    for rule in rules():
        if _get(rule, "code") == code:
            return {"name": _get(rule, "name") or code, "severity": _get(rule, "severity"),
                    "category": _get(rule, "category")}
    return {"name": code, "severity": None, "category": None}


def describe(rule, limits=None):
    """A rule as the catalogue page shows it (the rule's own `describe()` when it has one, with the
    limits in force)."""
    own = getattr(rule, "describe", None)
    if callable(own):
        return own(limits) if limits is not None else own()
    out = {k: _get(rule, k) for k in DESCRIBED}
    out["limits"] = dict(_get(rule, "limits") or {})
    return out


def list_rules(ctx, actor):
    if actor.is_anonymous:
        raise Forbidden("无权查看监管规则")
    from ..supervision.limits import Limits
    limits = Limits(ctx.config)
    return [describe(r, limits) for r in rules()]
