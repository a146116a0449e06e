"""EMSS is distributed under Apache-2.0 (LICENSE), and every installed dependency's licence allows
that (tools/check_licences.py, run here over this venv so `make test` checks it)."""
import importlib.util
import re
import subprocess
import sys
from email.message import Message
from importlib.metadata import distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("check_licences", ROOT / "tools" / "check_licences.py")
check = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check)


class Dist:
    def __init__(self, name, expression=None, classifiers=(), text=None):
        self.metadata = Message()
        self.metadata["Name"] = name
        if expression:
            self.metadata["License-Expression"] = expression
        for c in classifiers:
            self.metadata["Classifier"] = c
        if text:
            self.metadata["License"] = text


def test_every_installed_distribution_has_an_allowed_licence():
    assert check.problems() == []
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "check_licences.py")], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_each_reviewed_exception_is_a_package_actually_installed():
    installed = {(d.metadata.get("Name") or "").lower() for d in distributions()}
    assert set(check.EXCEPTIONS) <= installed


@pytest.mark.parametrize("dist", [
    Dist("a", expression="GPL-3.0-only"),
    Dist("b", expression="MIT AND AGPL-3.0-or-later"),
    Dist("c", classifiers=["License :: OSI Approved :: GNU General Public License v3 (GPLv3)"]),
    Dist("d", text="UNKNOWN"),
    Dist("e"),
    Dist("f", text="Proprietary"),
], ids=lambda d: d.metadata["Name"])
def test_copyleft_unknown_or_missing_licences_are_flagged(dist):
    assert [name for name, _ in check.problems([dist])] == [dist.metadata["Name"]]


@pytest.mark.parametrize("dist", [
    Dist("a", expression="Apache-2.0 OR GPL-2.0-only"),
    Dist("b", expression="(MIT AND Zlib) OR GPL-3.0-only"),
    Dist("c", classifiers=["License :: OSI Approved",
                           "License :: OSI Approved :: GNU Lesser General Public License v2 or later (LGPLv2+)"]),
    Dist("d", text="UNKNOWN", classifiers=["License :: OSI Approved :: MIT License"]),
    Dist("e", text="BSD"),
    Dist("f", expression="MPL-2.0"),
], ids=lambda d: d.metadata["Name"])
def test_permissive_and_library_copyleft_licences_pass(dist):
    assert check.problems([dist]) == []


def test_the_repository_is_apache_2_and_every_package_says_so():
    text = (ROOT / "LICENSE").read_text()
    assert text.lstrip().startswith("Apache License") and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text
    projects = sorted(ROOT.glob("common/pyproject.toml")) + sorted(ROOT.glob("services/*/pyproject.toml"))
    assert len(projects) == 7
    for project in projects:
        assert re.search(r'^license = "Apache-2.0"$', project.read_text(), re.M), project
