"""The rules catalogue as the service reads it: names for the warnings, descriptions with the limits
in force for the page; every code a finding may carry is catalogued."""
import pytest

from credit.supervision.rules.catalogue import RULES
from credit.usecases import rulebook
from emss_common.actor import ANONYMOUS
from emss_common.context import Context
from emss_common.errors import Forbidden
from emss_common.vocabulary import RULE_SUBJECTS, SEVERITIES, WARNING_CATEGORIES
from services.credit.tests.findings import PUDONG


def ctx(config=None):
    return Context(None, None, None, config or {})


def test_a_warning_takes_its_rule_s_name_severity_and_category():
    assert rulebook.rule_named("FAULT_SLOW") == {"name": "故障处理超时", "severity": "high", "category": "quality"}
    assert rulebook.rule_named("ORDER_OVERDUE")["name"] == "整改单逾期未整改"
    assert rulebook.rule_named("NOT_A_RULE") == {"name": "NOT_A_RULE", "severity": None, "category": None}


def test_every_rule_is_described_in_the_vocabulary_the_pages_label_it_with():
    codes = [r.code for r in RULES]
    assert len(codes) == len(set(codes))
    for rule in RULES:
        assert rule.category in WARNING_CATEGORIES and rule.severity in SEVERITIES
        assert rule.applies_to in RULE_SUBJECTS and rule.source in ("P", "S", "D") and rule.citation


def test_the_catalogue_shows_the_limits_in_force_to_a_signed_in_actor():
    described = {r["code"]: r for r in rulebook.list_rules(ctx({"EMSS_RULE_TASK_IDLE_DAYS": "10"}), PUDONG)}
    assert described["TASK_IDLE"]["limits"] != rulebook.list_rules(ctx(), PUDONG)[
        [r.code for r in RULES].index("TASK_IDLE")]["limits"]
    assert "10" in str(described["TASK_IDLE"]["limits"])
    with pytest.raises(Forbidden):
        rulebook.list_rules(ctx(), ANONYMOUS)
