"""An O&M plan: for each outlet and form kind, a frequency no looser than the standard's default."""
from dataclasses import dataclass

from emss_common.forms import form, forms
from emss_common.vocabulary import OUTLET_KINDS

from .frequency import Frequency


@dataclass(frozen=True)
class PlanProblem:
    field: str
    message: str


def overrides_from(config):
    """Configured defaults for form frequencies (EMSS_FREQUENCY_<FORM_KIND>=weekly|every_n_days:7…)."""
    out = {}
    for key, value in (config or {}).items():
        if key.startswith("EMSS_FREQUENCY_"):
            kind, _, n = str(value).partition(":")
            out[key[len("EMSS_FREQUENCY_"):].lower()] = {"kind": kind, "n": int(n) if n else None}
    return out


def default_frequency(form_kind, overrides=None):
    """The default for a form kind: the catalogue's, unless configuration overrides it."""
    if overrides and form_kind in overrides:
        return Frequency.of(overrides[form_kind])
    return Frequency.of(forms()[form_kind]["default_frequency"])


def default_frequencies(overrides=None):
    """{form kind: its default frequency with label}: where a plan editor starts."""
    out = {}
    for kind in forms():
        freq = default_frequency(kind, overrides)
        out[kind] = {**freq.to_dict(), "label": freq.label}
    return out


def check_plan_item(item, outlet, index, overrides=None):
    """Problems with one plan item: {outlet_id, form_kind, frequency} against its outlet."""
    prefix = f"plan[{index}]"
    spec = form(item["form_kind"])
    if spec is None:
        return [PlanProblem(f"{prefix}.form_kind", f"未知的运维内容：{item['form_kind']}")]
    if outlet is None:
        return [PlanProblem(f"{prefix}.outlet_id", "计划中的点位不在本任务的运维点位中")]
    if spec["outlet_kind"] != outlet["kind"]:
        return [PlanProblem(f"{prefix}.form_kind",
                            f"“{spec['name']}”不适用于{OUTLET_KINDS.get(outlet['kind'], outlet['kind'])}")]
    try:
        freq = Frequency.of(item["frequency"])
    except ValueError as exc:
        return [PlanProblem(f"{prefix}.frequency", str(exc))]
    default = default_frequency(item["form_kind"], overrides)
    if not freq.at_least_as_strict_as(default):
        return [PlanProblem(f"{prefix}.frequency",
                            f"“{spec['name']}”频次不得低于标准默认要求（{default.label}），"
                            f"计划为{freq.label}")]
    return []


def default_plan(outlets, overrides=None):
    """Every form kind of each outlet at its default frequency: where a plan editor starts."""
    items = []
    for outlet in outlets:
        for kind, spec in forms().items():
            if spec["outlet_kind"] == outlet["kind"]:
                items.append({"outlet_id": outlet["id"], "form_kind": kind,
                              "frequency": default_frequency(kind, overrides).to_dict()})
    return items
