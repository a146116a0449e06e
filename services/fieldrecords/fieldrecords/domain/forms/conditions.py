"""Conditions written in the catalogue: which devices a section, field or computation applies to
(`when: {factor_codes: [...]}`), and which answers make a field required or a judgement apply
(`required_when: {field: work_type, equals: repair}`)."""
from dataclasses import dataclass


class CatalogueError(ValueError):
    """The form catalogue itself is inconsistent: a deployment error, never a user's."""


_UNSET = object()
_DEVICE_KEYS = {"device_kinds", "factor_codes", "not_factor_codes", "method_contains"}


@dataclass(frozen=True)
class DeviceCondition:
    device_kinds: frozenset | None = None
    factor_codes: frozenset | None = None
    not_factor_codes: frozenset | None = None
    method_contains: tuple | None = None  # any of these substrings in the device's method_principle

    @classmethod
    def parse(cls, spec, where):
        if spec is None:
            return None
        if not isinstance(spec, dict) or not spec or set(spec) - _DEVICE_KEYS:
            raise CatalogueError(f"{where}: when 只能包含 {sorted(_DEVICE_KEYS)}")
        sets = {k: frozenset(v) for k, v in spec.items() if k != "method_contains"}
        return cls(**sets, method_contains=tuple(spec["method_contains"])
                   if "method_contains" in spec else None)

    def matches(self, device):
        factor = device.get("factor_code")
        if self.device_kinds is not None and device.get("kind") not in self.device_kinds:
            return False
        if self.factor_codes is not None and factor not in self.factor_codes:
            return False
        if self.not_factor_codes is not None and factor in self.not_factor_codes:
            return False
        if self.method_contains is not None:
            method = device.get("method_principle") or ""
            if not any(s in method for s in self.method_contains):
                return False
        return True

    def to_dict(self):
        out = {}
        for key in ("device_kinds", "factor_codes", "not_factor_codes"):
            value = getattr(self, key)
            if value is not None:
                out[key] = sorted(value)
        if self.method_contains is not None:
            out["method_contains"] = list(self.method_contains)
        return out


def all_match(conditions, device):
    return all(c.matches(device) for c in conditions)


@dataclass(frozen=True)
class ValueCondition:
    field: str
    equals: object = _UNSET
    one_of: tuple | None = None

    @classmethod
    def parse(cls, spec, where):
        if spec is None:
            return None
        if (not isinstance(spec, dict) or "field" not in spec
                or set(spec) - {"field", "equals", "in"} or ("equals" in spec) == ("in" in spec)):
            raise CatalogueError(f"{where}: 条件应为 {{field, equals}} 或 {{field, in}}")
        if "in" in spec:
            return cls(spec["field"], one_of=tuple(spec["in"]))
        return cls(spec["field"], equals=spec["equals"])

    def holds(self, get):
        value = get(self.field)
        if self.one_of is not None:
            return any(_same(value, v) for v in self.one_of)
        return _same(value, self.equals)

    def to_dict(self):
        if self.one_of is not None:
            return {"field": self.field, "in": list(self.one_of)}
        return {"field": self.field, "equals": self.equals}


def _same(a, b):
    """Equal and of the same kind: True is not 1, but 1 is 1.0."""
    if a is None or isinstance(a, bool) != isinstance(b, bool):
        return False
    return a == b
