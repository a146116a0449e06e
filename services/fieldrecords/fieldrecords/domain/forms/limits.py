"""Judgements of computed (or answered) values against configurable limits.

Every limit is named in the catalogue by a key with its default (`{key: FIELD_LIMIT_GAS_DRIFT_PCT_FS,
default: 2.5}`); the service passes `limit(key, default)` so its configuration wins over the
catalogue. A judgement is one of:
  abs_max  |x| ≤ L                  max  x ≤ L            min  x ≥ L
  min+max  L1 ≤ x ≤ L2              equals  x == value (with a message)
  by_factor  a judgement per device factor code, "*" for the others
  bands      a judgement chosen by the value of another quantity (HJ 75 concentration bands)
`value` names what is judged when it is not the owner; `when` makes the judgement conditional.
"""
from dataclasses import dataclass, field as dc_field

from emss_common.forms import fmt

from .conditions import CatalogueError, ValueCondition


@dataclass(frozen=True)
class LimitRef:
    key: str
    default: float
    mark: str | None = None

    @classmethod
    def parse(cls, spec, where):
        if not isinstance(spec, dict) or set(spec) - {"key", "default", "mark"} \
                or not isinstance(spec.get("key"), str) \
                or not isinstance(spec.get("default"), (int, float)) or isinstance(spec.get("default"), bool):
            raise CatalogueError(f"{where}: 限值应为 {{key, default[, mark]}}")
        return cls(spec["key"], float(spec["default"]), spec.get("mark"))

    def resolve(self, limit):
        value = limit(self.key, self.default)
        return self.default if value is None else float(value)

    def to_dict(self):
        return {"key": self.key, "default": self.default, "mark": self.mark}


@dataclass(frozen=True)
class Outcome:
    passed: bool
    value_key: str
    value: object
    limit: object
    message: str


class Judge:
    value: str | None = None
    when: ValueCondition | None = None

    def limits(self):
        return ()

    def apply(self, ctx, owner):
        """An Outcome, or None when the judgement does not apply here."""
        if self.when is not None and not self.when.holds(ctx.get):
            return None
        key = self.value or owner
        value = ctx.get(key)
        if value is None:
            return None
        return self._judge(ctx, key, value)

    def _common(self):
        out = {}
        if self.value:
            out["value"] = self.value
        if self.when is not None:
            out["when"] = self.when.to_dict()
        return out


@dataclass(frozen=True)
class AbsMax(Judge):
    limit: LimitRef
    value: str | None = None
    when: ValueCondition | None = None

    def limits(self):
        return (self.limit,)

    def _judge(self, ctx, key, x):
        lim, unit = self.limit.resolve(ctx.limit), ctx.unit(key)
        ok = abs(x) <= lim
        return Outcome(ok, key, x, lim, f"{ctx.label(key)}{fmt(x)}{unit}，"
                       + (f"在±{fmt(lim)}{unit}以内" if ok else f"超出±{fmt(lim)}{unit}"))

    def to_dict(self):
        return {"type": "abs_max", "limit": self.limit.to_dict(), **self._common()}


@dataclass(frozen=True)
class Max(Judge):
    limit: LimitRef
    value: str | None = None
    when: ValueCondition | None = None

    def limits(self):
        return (self.limit,)

    def _judge(self, ctx, key, x):
        lim, unit = self.limit.resolve(ctx.limit), ctx.unit(key)
        ok = x <= lim
        return Outcome(ok, key, x, lim, f"{ctx.label(key)}{fmt(x)}{unit}，"
                       + (f"未超过{fmt(lim)}{unit}" if ok else f"超过{fmt(lim)}{unit}"))

    def to_dict(self):
        return {"type": "max", "limit": self.limit.to_dict(), **self._common()}


@dataclass(frozen=True)
class Min(Judge):
    limit: LimitRef
    value: str | None = None
    when: ValueCondition | None = None

    def limits(self):
        return (self.limit,)

    def _judge(self, ctx, key, x):
        lim, unit = self.limit.resolve(ctx.limit), ctx.unit(key)
        ok = x >= lim
        return Outcome(ok, key, x, lim, f"{ctx.label(key)}{fmt(x)}{unit}，"
                       + (f"不低于{fmt(lim)}{unit}" if ok else f"低于{fmt(lim)}{unit}"))

    def to_dict(self):
        return {"type": "min", "limit": self.limit.to_dict(), **self._common()}


@dataclass(frozen=True)
class Between(Judge):
    low: LimitRef
    high: LimitRef
    value: str | None = None
    when: ValueCondition | None = None

    def limits(self):
        return (self.low, self.high)

    def _judge(self, ctx, key, x):
        lo, hi = self.low.resolve(ctx.limit), self.high.resolve(ctx.limit)
        unit = ctx.unit(key)
        ok = lo <= x <= hi
        return Outcome(ok, key, x, [lo, hi], f"{ctx.label(key)}{fmt(x)}{unit}，"
                       + ("在" if ok else "不在") + f"{fmt(lo)}～{fmt(hi)}{unit}之间")

    def to_dict(self):
        return {"type": "between", "min": self.low.to_dict(), "max": self.high.to_dict(), **self._common()}


@dataclass(frozen=True)
class Equals(Judge):
    expected: object
    message: str | None = None
    value: str | None = None
    when: ValueCondition | None = None

    def _judge(self, ctx, key, x):
        ok = x == self.expected
        if ok:
            return Outcome(True, key, x, self.expected, f"{ctx.label(key)}：符合要求")
        return Outcome(False, key, x, self.expected, self.message or f"{ctx.label(key)}应为{fmt(self.expected)}")

    def to_dict(self):
        return {"type": "equals", "expected": self.expected, "message": self.message, **self._common()}


@dataclass(frozen=True)
class ByFactor(Judge):
    judges: dict = dc_field(default_factory=dict)   # factor code or "*" → Judge
    when: ValueCondition | None = None

    def limits(self):
        return tuple(ref for j in self.judges.values() for ref in j.limits())

    def pick(self, factor_code):
        return self.judges.get(factor_code) or self.judges.get("*")

    def apply(self, ctx, owner):
        if self.when is not None and not self.when.holds(ctx.get):
            return None
        judge = self.pick(ctx.factor_code)
        return judge.apply(ctx, owner) if judge else None

    def to_dict(self):
        return {"type": "by_factor", "judges": {k: j.to_dict() for k, j in self.judges.items()},
                **self._common()}


@dataclass(frozen=True)
class Bands(Judge):
    driver: str
    bands: tuple                # ((LimitRef | None, Judge), ...): the first band whose bound exceeds the driver
    when: ValueCondition | None = None

    def limits(self):
        return tuple(ref for below, j in self.bands for ref in ((below,) if below else ()) + tuple(j.limits()))

    def apply(self, ctx, owner):
        if self.when is not None and not self.when.holds(ctx.get):
            return None
        driver = ctx.get(self.driver)
        if driver is None:
            return None
        for below, judge in self.bands:
            bound = below.resolve(ctx.limit) if below else None
            if bound is None or driver < bound:
                outcome = judge.apply(ctx, owner)
                if outcome is None:
                    return None
                where = (f"{ctx.label(self.driver)}{fmt(driver)}{ctx.unit(self.driver)}低于{fmt(bound)}{ctx.unit(self.driver)}时，"
                         if bound is not None else "")
                return Outcome(outcome.passed, outcome.value_key, outcome.value, outcome.limit,
                               where + outcome.message)
        return None

    def to_dict(self):
        return {"type": "bands", "driver": self.driver,
                "bands": [{"below": b.to_dict() if b else None, "judge": j.to_dict()} for b, j in self.bands],
                **self._common()}


_LEAF_KEYS = {"abs_max", "max", "min", "equals"}
_COMMON = {"value", "when", "message"}


def parse_judge(spec, where):
    if not isinstance(spec, dict):
        raise CatalogueError(f"{where}: judge 应为对象")
    when = ValueCondition.parse(spec.get("when"), where)
    value = spec.get("value")
    if "by_factor" in spec:
        _only(spec, {"by_factor", "when"}, where)
        subs = spec["by_factor"]
        if not isinstance(subs, dict) or not subs:
            raise CatalogueError(f"{where}: by_factor 应为非空对象")
        return ByFactor({str(k): parse_judge(v, f"{where}.by_factor.{k}") for k, v in subs.items()}, when)
    if "bands" in spec:
        _only(spec, {"bands", "when"}, where)
        b = spec["bands"]
        if not isinstance(b, dict) or set(b) != {"driver", "list"} or not b["list"]:
            raise CatalogueError(f"{where}: bands 应为 {{driver, list}}")
        bands = []
        for i, band in enumerate(b["list"]):
            band = dict(band)
            below = band.pop("below", None)
            if below is None and i != len(b["list"]) - 1:
                raise CatalogueError(f"{where}: 只有最后一档可以没有 below")
            bands.append((LimitRef.parse(below, where) if below is not None else None,
                          parse_judge(band, f"{where}.bands[{i}]")))
        return Bands(b["driver"], tuple(bands), when)
    kinds = _LEAF_KEYS & set(spec)
    _only(spec, _LEAF_KEYS | _COMMON, where)
    if kinds == {"min", "max"}:
        return Between(LimitRef.parse(spec["min"], where), LimitRef.parse(spec["max"], where), value, when)
    if len(kinds) != 1:
        raise CatalogueError(f"{where}: judge 应为 abs_max / max / min / min+max / equals / by_factor / bands 之一")
    kind = kinds.pop()
    if kind == "equals":
        return Equals(spec["equals"], spec.get("message"), value, when)
    cls = {"abs_max": AbsMax, "max": Max, "min": Min}[kind]
    return cls(LimitRef.parse(spec[kind], where), value, when)


def _only(spec, allowed, where):
    extra = set(spec) - allowed
    if extra:
        raise CatalogueError(f"{where}: judge 中有未知键 {sorted(extra)}")


def value_keys(judge):
    """Every quantity a judgement may read (its own `value`s and band drivers), for catalogue checks."""
    keys = {judge.value} if getattr(judge, "value", None) else set()
    if isinstance(judge, ByFactor):
        for sub in judge.judges.values():
            keys |= value_keys(sub)
    if isinstance(judge, Bands):
        keys.add(judge.driver)
        for _, sub in judge.bands:
            keys |= value_keys(sub)
    return keys


def leaves_without_value(judge):
    """True if some leaf judges its owner (so an owner must exist)."""
    if isinstance(judge, ByFactor):
        return any(leaves_without_value(j) for j in judge.judges.values())
    if isinstance(judge, Bands):
        return any(leaves_without_value(j) for _, j in judge.bands)
    return not judge.value
