"""The rules catalogue as the service reads it: names for the warnings, descriptions for the page;
a finding of a code the catalogue lacks keeps its code as its name."""
import importlib.machinery
import sys
import types
from dataclasses import dataclass, field

import pytest

from credit.usecases import rulebook
from emss_common.actor import ANONYMOUS
from emss_common.errors import Forbidden
from services.credit.tests.findings import PUDONG


@dataclass(frozen=True)
class Plain:
    code: str
    name: str
    category: str
    applies_to: str
    severity: str
    source: str
    limits: dict = field(default_factory=dict)


class Described(Plain):
    def describe(self):
        return {"code": self.code, "own": True}


@pytest.fixture
def catalogue(monkeypatch):
    module = types.ModuleType(rulebook.CATALOGUE)
    module.__spec__ = importlib.machinery.ModuleSpec(rulebook.CATALOGUE, None)
    module.RULES = {"OM_MISSED": Plain("OM_MISSED", "运维频次不足", "done", "task", "medium", "[S] HJ 75",
                                       {"grace_hours": {"value": 0, "label": "宽限小时"}}),
                    "FAULT_SLOW": Described("FAULT_SLOW", "故障处理超时", "quality", "record", "high", "[S]")}
    monkeypatch.setitem(sys.modules, rulebook.CATALOGUE, module)
    return module


def test_a_warning_takes_its_rule_s_name_severity_and_category(catalogue):
    assert rulebook.rule_named("OM_MISSED") == {"name": "运维频次不足", "severity": "medium", "category": "done"}
    assert rulebook.rule_named("INSPECTION") == {"name": "INSPECTION", "severity": None, "category": None}


def test_the_catalogue_is_described_for_a_signed_in_actor(catalogue):
    assert rulebook.list_rules(None, PUDONG) == [
        {"code": "OM_MISSED", "name": "运维频次不足", "category": "done", "applies_to": "task", "severity": "medium",
         "source": "[S] HJ 75", "limits": {"grace_hours": {"value": 0, "label": "宽限小时"}}},
        {"code": "FAULT_SLOW", "own": True}]
    with pytest.raises(Forbidden):
        rulebook.list_rules(None, ANONYMOUS)
