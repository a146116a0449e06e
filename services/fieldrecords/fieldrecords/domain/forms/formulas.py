"""The named computations a form may declare in the catalogue (`computed: {formula: ...}`).

Each formula names its parameters: `fields` are resolved to values (a form field, a block field,
a device fact or an earlier computed value), `literals` are passed as written (a rows column key).
A formula returns a number, or None when an optional input is absent; a value that makes the
formula meaningless (a zero denominator) raises FormulaProblem naming the parameter at fault.
"""
import math
from dataclasses import dataclass
from typing import Callable


class FormulaProblem(Exception):
    def __init__(self, param, message):
        super().__init__(message)
        self.param = param
        self.message = message


class IncompleteInput(FormulaProblem):
    """Not enough data yet (a draft's half-filled table): the value is simply not computed."""


@dataclass(frozen=True)
class Formula:
    name: str
    label: str              # with {param} placeholders, filled with the labels of the arguments
    fields: tuple           # parameters resolved to values
    optional: tuple         # of those, the ones that may be absent
    literals: tuple         # parameters passed as written in the catalogue
    rows: tuple             # parameters that name a rows field (labels of columns come from it)
    fn: Callable

    def describe(self, labels):
        return self.label.format(**labels)


FORMULAS: dict[str, Formula] = {}


def formula(name, label, fields=(), optional=(), literals=(), rows=()):
    def register(fn):
        FORMULAS[name] = Formula(name, label, tuple(fields), tuple(optional), tuple(literals),
                                 tuple(rows), fn)
        return fn
    return register


@formula("drift_pct_fs", "({before} − {reference}) ÷ {full_scale} × 100",
         fields=("before", "reference", "full_scale"))
def drift_pct_fs(before, reference, full_scale):
    """HJ 75: zero or span drift, % of full scale, against the reading after the last calibration."""
    if full_scale <= 0:
        raise FormulaProblem("full_scale", "满量程应大于0")
    return (before - reference) / full_scale * 100


@formula("relative_error_pct", "({measured} − {reference}) ÷ {reference} × 100",
         fields=("measured", "reference"))
def relative_error_pct(measured, reference):
    if reference == 0:
        raise FormulaProblem("reference", "参考值为0，无法计算相对误差")
    return (measured - reference) / reference * 100


@formula("absolute_error", "{measured} − {reference}", fields=("measured", "reference"))
def absolute_error(measured, reference):
    return measured - reference


@formula("percent_of", "{value} ÷ {whole} × 100", fields=("value", "whole"))
def percent_of(value, whole):
    if whole <= 0:
        raise FormulaProblem("whole", "应大于0")
    return value / whole * 100


@formula("hours_between", "{end} − {start}（小时）", fields=("start", "end"))
def hours_between(start, end):
    return (end - start).total_seconds() / 3600


@formula("hours_to_first", "min({first}, {second}) − {start}（小时）",
         fields=("start", "first", "second"), optional=("second",))
def hours_to_first(start, first, second=None):
    """Hours until the earlier of two events (repaired, or a backup instrument running)."""
    ends = [t for t in (first, second) if t is not None]
    return (min(ends) - start).total_seconds() / 3600


@formula("row_count", "{rows}行数", fields=("rows",), rows=("rows",))
def row_count(rows):
    return float(len(rows))


def _column(rows, key, param):
    values = [r.get(key) for r in rows]
    if not values or any(v is None for v in values):
        raise IncompleteInput(param, "数据对不完整")
    return values


@formula("rows_mean", "{column}的平均值", fields=("rows",), literals=("column",), rows=("rows",))
def rows_mean(rows, column):
    values = _column(rows, column, "rows")
    return sum(values) / len(values)


@formula("rows_mean_difference", "{measured}均值 − {reference}均值",
         fields=("rows",), literals=("measured", "reference"), rows=("rows",))
def rows_mean_difference(rows, measured, reference):
    m, r = _column(rows, measured, "rows"), _column(rows, reference, "rows")
    return sum(m) / len(m) - sum(r) / len(r)


@formula("rows_relative_error_pct", "({measured}均值 − {reference}均值) ÷ {reference}均值 × 100",
         fields=("rows",), literals=("measured", "reference"), rows=("rows",))
def rows_relative_error_pct(rows, measured, reference):
    m, r = _column(rows, measured, "rows"), _column(rows, reference, "rows")
    ref_mean = sum(r) / len(r)
    if ref_mean == 0:
        raise FormulaProblem("rows", "参比方法均值为0，无法计算相对误差")
    return (sum(m) / len(m) - ref_mean) / ref_mean * 100


# Two-sided 95 % Student t (t0.975) by degrees of freedom, as tabulated for relative accuracy.
_T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
         9: 2.262, 10: 2.228, 11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120,
         17: 2.110, 18: 2.101, 19: 2.093, 20: 2.086, 21: 2.080, 22: 2.074, 23: 2.069, 24: 2.064,
         25: 2.060, 26: 2.056, 27: 2.052, 28: 2.048, 29: 2.045, 30: 2.042}


def t975(df):
    return _T975.get(df, 1.960)


@formula("relative_accuracy_pct",
         "(|{measured}与{reference}之差的均值| + |置信系数|) ÷ {reference}均值 × 100",
         fields=("rows",), literals=("measured", "reference"), rows=("rows",))
def relative_accuracy_pct(rows, measured, reference):
    """HJ 75 relative accuracy: RA = (|d̄| + |cc|) / RM × 100, cc = t0.975(n−1) · Sd / √n."""
    m, r = _column(rows, measured, "rows"), _column(rows, reference, "rows")
    n = len(r)
    if n < 2:
        raise IncompleteInput("rows", "至少需要2个数据对")
    ref_mean = sum(r) / n
    if ref_mean == 0:
        raise FormulaProblem("rows", "参比方法均值为0，无法计算相对准确度")
    d = [a - b for a, b in zip(m, r)]
    d_mean = sum(d) / n
    sd = math.sqrt(sum((x - d_mean) ** 2 for x in d) / (n - 1))
    cc = t975(n - 1) * sd / math.sqrt(n)
    return (abs(d_mean) + abs(cc)) / ref_mean * 100
