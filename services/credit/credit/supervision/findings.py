"""A finding: one problem a rule (or an inspection) found, with the facts that show it.

The same problem is always the same finding: its id is made of the rule and a key naming the facts
(an occurrence id, a record id, a person and month), so raising it again changes nothing.
"""
from dataclasses import asdict, dataclass, field
import hashlib

from emss_common.vocabulary import EVIDENCE_KINDS


@dataclass(frozen=True)
class Evidence:
    kind: str             # one of EVIDENCE_KINDS (the vocabulary's evidence_kinds)
    id: str
    label: str            # Chinese, shown beside the warning
    at: str | None = None     # ISO time of the fact
    link: str | None = None   # the gateway page that shows it

    def __post_init__(self):
        if self.kind not in EVIDENCE_KINDS:
            raise ValueError(f"unknown evidence kind {self.kind!r}")


@dataclass(frozen=True)
class Finding:
    rule: str                 # rule code, e.g. "OM_MISSED"
    key: str                  # names the facts: the same key is the same finding
    subject_kind: str         # institution | task | outlet | record | person
    subject_id: str
    institution_id: str | None
    enterprise_id: str | None
    outlet_id: str | None
    district: str | None      # the regulator scope (district code)
    period_start: str         # ISO date
    period_end: str
    summary: str              # Chinese one-liner with the numbers
    numbers: dict = field(default_factory=dict)
    evidence: tuple = ()      # tuple[Evidence]
    person_id: str | None = None

    @property
    def id(self):
        return finding_id(self.rule, self.key)

    def to_dict(self):
        out = asdict(self)
        out["evidence"] = [asdict(e) for e in self.evidence]
        out["id"] = self.id
        return out


def finding_id(rule, key):
    return "W-" + hashlib.sha1(f"{rule}|{key}".encode("utf-8")).hexdigest()[:20]
