"""Every configurable limit of the supervision rules, stated once: its default, its Chinese label and
where the number comes from ([P] primary text, [S] secondary source, [D] a default of ours; see
DOMAIN.md). A deployment overrides a limit with the config key EMSS_RULE_<NAME>.

Two kinds of limit are shared with the service that already applies them, so that one setting
governs both: the report upload deadline (tasks: EMSS_REPORT_UPLOAD_WORKING_DAYS) and the fault
times, whose defaults, labels and keys live in the fault forms' judges in the forms catalogue
(fieldrecords judges the same record with them). For those the value is read from the catalogue,
not repeated here, and EMSS_RULE_<NAME> still wins over the shared key.
"""
from dataclasses import dataclass

from emss_common.forms import forms
from emss_common.vocabulary import CHECKIN_FLAGS

PREFIX = "EMSS_RULE_"

# The limit each fault stage takes from the forms catalogue (the key of its judge there).
FAULT_LIMIT_KEYS = {
    "FAULT_ARRIVAL_HOURS": "FIELD_LIMIT_FAULT_ARRIVAL_HOURS",
    "FAULT_SIMPLE_FIX_HOURS": "FIELD_LIMIT_FAULT_SIMPLE_FIX_HOURS",
    "FAULT_BACKUP_HOURS": "FIELD_LIMIT_FAULT_BACKUP_HOURS",
}
FAULT_LABELS = {
    "FAULT_ARRIVAL_HOURS": "故障发生至到达现场（小时）",
    "FAULT_SIMPLE_FIX_HOURS": "一般故障发生至排除（小时）",
    "FAULT_BACKUP_HOURS": "重大故障发生至修复或启用备用仪器（小时）",
}

# The integrity flags fieldrecords raises on a filing (vocabulary checkin_flags) that the
# supervision aggregates per person and month; off_plan_date belongs to sampling trips.
INTEGRITY_FLAGS = ("far_from_outlet", "impossible_speed", "duplicate_photo", "photo_far_from_outlet",
                   "photo_time_mismatch", "long_visit")


@dataclass(frozen=True)
class Limit:
    name: str
    default: float
    label: str            # Chinese, shown beside the rule
    mark: str             # P | S | D
    citation: str
    cast: type = int
    shared_key: str | None = None   # another service's key for the same number

    @property
    def key(self):
        return PREFIX + self.name


def _fault_limit(name):
    """A fault limit as the forms catalogue states it (the judge `max` of a fault form's computed
    value)."""
    wanted = FAULT_LIMIT_KEYS[name]
    for spec in forms().values():
        for section in spec.get("sections", []):
            for c in section.get("computed", []) or []:
                top = (c.get("judge") or {}).get("max") or {}
                if top.get("key") == wanted:
                    return Limit(name, top["default"], FAULT_LABELS[name], top.get("mark", "D"),
                                 f"DOMAIN.md 故障 24 h / 8 h / 72 h；表单目录 {wanted}", float, wanted)
    raise LookupError(f"the forms catalogue has no judge keyed {wanted}")


def _integrity(flag):
    # A reused photo is serious at once; the position and time flags have innocent causes (poor
    # GPS, a phone clock), so a pattern of them counts.
    default = 1 if flag == "duplicate_photo" else 3
    return Limit(f"INTEGRITY_{flag.upper()}_MIN", default, f"每人每月“{CHECKIN_FLAGS[flag]}”达到该次数即预警", "D",
                 "本系统默认值，可配置")


DEFINED = (
    Limit("REPORT_UPLOAD_WORKING_DAYS", 5, "报告出具后上传期限（工作日）", "P",
          "种子000：比对/校准报告出具后5个工作日内上传", int, "EMSS_REPORT_UPLOAD_WORKING_DAYS"),
    Limit("TASK_IDLE_DAYS", 7, "运维任务无记录天数", "D", "本系统默认值（HJ 75/HJ 355 巡检间隔不超过7天 [S]）"),
    _fault_limit("FAULT_ARRIVAL_HOURS"),
    _fault_limit("FAULT_SIMPLE_FIX_HOURS"),
    _fault_limit("FAULT_BACKUP_HOURS"),
    Limit("FOLLOWUP_HOURS", 72, "校准/比对不合格后复测合格期限（小时）", "D", "本系统默认值"),
    Limit("VOID_RATE_PCT", 5, "机构月度作废记录比例上限（%）", "D", "本系统默认值", float),
    Limit("VOID_RATE_MIN_RECORDS", 20, "计算作废比例的最少记录数", "D", "本系统默认值"),
    *(_integrity(f) for f in INTEGRITY_FLAGS),
)
BY_NAME = {limit.name: limit for limit in DEFINED}


class Limits:
    """The limits in force: defaults, overridden by the service config."""

    def __init__(self, config=None):
        config = config or {}
        self.values = {}
        for limit in DEFINED:
            raw = config.get(limit.key)
            if raw in (None, "") and limit.shared_key:
                raw = config.get(limit.shared_key)
            self.values[limit.name] = limit.cast(limit.default if raw in (None, "") else raw)

    def __getitem__(self, name):
        return self.values[name]

    def __getattr__(self, name):
        try:
            return self.__dict__["values"][name.upper()]
        except KeyError:
            raise AttributeError(name) from None

    def describe(self, names):
        """{name: {value, label, mark, default, key}} for the limits a rule names."""
        return {n: {"value": self.values[n], "label": BY_NAME[n].label, "mark": BY_NAME[n].mark,
                    "default": BY_NAME[n].default, "key": BY_NAME[n].key} for n in names}

    def integrity_min(self, flag):
        return self.values[f"INTEGRITY_{flag.upper()}_MIN"]
