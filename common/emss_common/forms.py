"""The catalogue of the 15 field-record forms (catalogue/forms.yaml), shared by every service
that plans, files or checks O&M work. Defaults can be overridden by a file in EMSS_FORMS_CATALOGUE."""
import os
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from importlib import resources

import yaml


@lru_cache(maxsize=4)
def catalogue(path=None):
    path = path or os.environ.get("EMSS_FORMS_CATALOGUE")
    if path:
        with open(path, encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    text = resources.files("emss_common").joinpath("catalogue/forms.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def forms():
    return catalogue()["forms"]


def form(kind):
    return forms().get(kind)


def forms_for(outlet_kind):
    return {k: f for k, f in forms().items() if f["outlet_kind"] == outlet_kind}


def fmt(x):
    """A number as a person writes it: 2.5, not 2.5000000001 nor 2.50 (the forms' messages and the
    pages that show their values write numbers the same way)."""
    if isinstance(x, bool):
        return "是" if x else "否"
    if not isinstance(x, (int, float)):
        return str(x)
    text = f"{x:.4f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def round_half_even(x, decimals):
    """GB/T 8170 rounding (四舍六入五成双) of a computed value, judged as reported."""
    q = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(float(x))).quantize(q, rounding=ROUND_HALF_EVEN)) + 0.0


# ----- comparison limits (比对): what the forms catalogue already says, read for one measurement -----

# Where the catalogue states the comparison acceptance of each outlet kind: HJ 355 实际水样比对 for
# water, the HJ 75 periodic-check (参比方法比对) criteria for flue gas.
COMPARISON_FORMS = {"wastewater": "ww_comparison", "flue_gas": "fg_periodic_check"}
# One reading against one reference: the mean difference is their difference, and the relative
# accuracy, with no spread to add (n = 1), is the relative error. [D]
_ONE_PAIR = {"absolute_error": "absolute_error", "mean_difference": "absolute_error",
             "relative_error_pct": "relative_error_pct", "relative_accuracy_pct": "relative_error_pct"}
_DRIVERS = {"reference_mean": "reference", "velocity": "velocity"}
_DRIVER_LABELS = {"reference": "参考值", "velocity": "流速"}


class NoComparisonLimit(LookupError):
    """The catalogue judges no comparison of this factor, or needs a value that was not given
    (`needs`: "velocity" for flue-gas flow, whose HJ 75 band is chosen by the flow velocity)."""

    def __init__(self, message, needs=None):
        super().__init__(message)
        self.needs = needs


class ComparisonLimit:
    """The acceptance limit of one comparison: |measure| ≤ limit, where measure is the absolute
    error (monitor − reference) or the relative error in % of the reference."""

    def __init__(self, factor_code, measure, limit_ref, limit, form, band_below=None):
        self.factor_code, self.measure, self.form = factor_code, measure, form
        self.key, self.default, self.mark = limit_ref["key"], float(limit_ref["default"]), limit_ref.get("mark")
        self.limit, self.band_below = float(limit), band_below

    def error(self, monitor, reference, decimals=2):
        """The error as reported (rounded as the forms round computed values), which is judged."""
        if self.measure == "absolute_error":
            return round_half_even(monitor - reference, decimals)
        if reference == 0:
            raise ZeroDivisionError("参考值为0，无法计算相对误差")
        return round_half_even((monitor - reference) / reference * 100, decimals)

    def passes(self, error):
        return abs(error) <= self.limit

    def to_dict(self):
        return {"factor_code": self.factor_code, "measure": self.measure, "limit": self.limit,
                "key": self.key, "default": self.default, "mark": self.mark, "form": self.form,
                "band_below": self.band_below,
                "text": ("±" + fmt(self.limit) + ("%" if self.measure == "relative_error_pct" else ""))}


def comparison_limit(outlet_kind, factor_code, reference, velocity=None, limit=None):
    """The comparison limit that applies to `factor_code` for a reference value (HJ 75 bands are
    chosen by it), from the forms catalogue. `limit(key, default)` lets a service's configuration
    override a catalogue default, as fieldrecords does. Raises NoComparisonLimit."""
    limit = limit or (lambda key, default: default)
    form_kind = COMPARISON_FORMS.get(outlet_kind)
    spec = form(form_kind) if form_kind else None
    if spec is None:
        raise NoComparisonLimit(f"目录中没有{outlet_kind}的比对限值")
    drivers = {"reference": reference, "velocity": velocity}
    for section in spec["sections"]:
        for item in section.get("computed", ()):
            if item.get("judge") and _applies(item.get("when"), factor_code):
                found = _leaf(item["judge"], item["key"], factor_code, drivers, limit)
                if found:
                    return ComparisonLimit(factor_code, found[0], found[1], found[2], form_kind, found[3])
        for item in section.get("checks", ()):
            found = _leaf(item["judge"], None, factor_code, drivers, limit)
            if found:
                return ComparisonLimit(factor_code, found[0], found[1], found[2], form_kind, found[3])
    raise NoComparisonLimit(f"目录中没有因子{factor_code}的比对限值")


def _applies(when, factor_code):
    if not when:
        return True
    if "factor_codes" in when and factor_code not in when["factor_codes"]:
        return False
    return not ("not_factor_codes" in when and factor_code in when["not_factor_codes"])


def _leaf(judge, owner, factor_code, drivers, limit, band_below=None):
    """(measure, limit spec, limit value, band bound) of the judgement that applies, or None."""
    if "by_factor" in judge:
        sub = judge["by_factor"].get(factor_code) or judge["by_factor"].get("*")
        return _leaf(sub, owner, factor_code, drivers, limit) if sub else None
    if "bands" in judge:
        driver_name = _DRIVERS.get(judge["bands"]["driver"])
        driver = drivers.get(driver_name)
        if driver is None:
            raise NoComparisonLimit(f"因子{factor_code}的比对限值按{_DRIVER_LABELS[driver_name]}分档，须提供该值", needs=driver_name)
        for band in judge["bands"]["list"]:
            below = band.get("below")
            bound = None if below is None else float(limit(below["key"], below["default"]))
            if bound is None or driver < bound:
                return _leaf(band, owner, factor_code, drivers, limit, bound)
        return None
    measure = _ONE_PAIR.get(judge.get("value") or owner)
    if measure is None or "abs_max" not in judge:
        return None
    ref = judge["abs_max"]
    return measure, ref, limit(ref["key"], ref["default"]), band_below
