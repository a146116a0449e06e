"""The rules catalogue as the rest of the service reads it: a rule's name, severity and category
for the warnings it raises, and the catalogue described for the regulator's page (list_rules).
The catalogue itself is credit/supervision/rules/catalogue.py."""
from emss_common.errors import Forbidden

from ..supervision.limits import Limits
from ..supervision.rules.catalogue import BY_CODE, RULES


def rule_named(code):
    """{name, severity, category} of the rule `code` (a code the catalogue lacks keeps its code as name)."""
    rule = BY_CODE.get(code)
    if rule is None:
        return {"name": code, "severity": None, "category": None}
    return {"name": rule.name, "severity": rule.severity, "category": rule.category}


def list_rules(ctx, actor):
    if actor.is_anonymous:
        raise Forbidden("无权查看监管规则")
    limits = Limits(ctx.config)
    return [rule.describe(limits) for rule in RULES]
