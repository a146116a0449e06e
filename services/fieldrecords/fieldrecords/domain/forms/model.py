"""The form catalogue (emss_common catalogue/forms.yaml) read into small typed objects, checked
once for consistency, so the pipeline can trust it."""
from dataclasses import dataclass
from functools import lru_cache

from emss_common.forms import catalogue

from .conditions import CatalogueError, DeviceCondition, ValueCondition
from .formulas import FORMULAS, Formula
from .limits import Judge, leaves_without_value, parse_judge, value_keys

TYPES = ("number", "text", "choice", "datetime", "date", "boolean", "check", "rows")
COLUMN_TYPES = ("number", "text", "choice", "datetime", "date", "boolean")
SCOPES = ("form", "block")
DEFAULT_MAX_LEN = 200
DEFAULT_MAX_ROWS = 50
DEFAULT_DECIMALS = 2
NOTE_MAX_LEN = 500

_FIELD_KEYS = {"key", "label", "type", "required", "required_when", "unit", "unit_from_device", "min",
               "max", "gt", "max_len", "multiline", "options", "columns", "min_rows", "max_rows",
               "from_device", "after", "not_before", "when", "judge", "help"}
_COMPUTED_KEYS = {"key", "label", "formula", "args", "unit", "unit_from_device", "decimals", "when", "judge"}
_CHECK_KEYS = {"key", "label", "when", "judge"}
_SECTION_KEYS = {"key", "label", "scope", "when", "items", "fields", "computed", "checks"}
_FORM_KEYS = {"name", "outlet_kind", "default_frequency", "basis", "needs_report", "version", "per_device",
              "device_kinds", "factor_codes", "sections", "block_header"}


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    type: str
    scope: str
    section: str
    required: bool = True
    required_when: ValueCondition | None = None
    group: str | None = None
    when: tuple = ()                    # DeviceConditions (section's and the field's own)
    unit: str | None = None
    unit_from_device: bool = False
    min: float | None = None
    max: float | None = None
    gt: float | None = None
    max_len: int = DEFAULT_MAX_LEN
    multiline: bool = False
    options: tuple = ()                 # ((value, label), ...)
    columns: tuple = ()                 # Fields of a rows table
    min_rows: int = 0
    max_rows: int = DEFAULT_MAX_ROWS
    from_device: str | None = None      # device attribute used when the filer leaves it blank
    after: str | None = None            # a datetime field this one must be strictly later than
    not_before: str | None = None       # a datetime field this one must not be earlier than
    judge: Judge | None = None
    help: str | None = None

    def column(self, key):
        return next((c for c in self.columns if c.key == key), None)

    def option_label(self, value):
        return dict(self.options).get(value)


@dataclass(frozen=True)
class Computed:
    key: str
    label: str
    formula: Formula
    args: dict
    scope: str
    section: str
    when: tuple = ()
    unit: str | None = None
    unit_from_device: bool = False
    decimals: int = DEFAULT_DECIMALS
    judge: Judge | None = None


@dataclass(frozen=True)
class Check:
    """A judgement of its own (not of one computed value), e.g. a periodic check's conclusion."""
    key: str
    label: str
    judge: Judge
    scope: str
    section: str
    when: tuple = ()


@dataclass(frozen=True)
class Section:
    key: str
    label: str
    scope: str
    when: DeviceCondition | None
    fields: tuple
    computed: tuple
    checks: tuple


@dataclass(frozen=True)
class FormSpec:
    kind: str
    name: str
    outlet_kind: str
    version: int
    per_device: bool
    device_kinds: tuple
    factor_codes: tuple | None
    groups: tuple                       # frequency groups its items use, in catalogue order
    sections: tuple
    block_header: tuple
    basis: str | None
    catalogue_version: int
    group_labels: dict
    device_kind_labels: dict
    check_results: dict

    def fields(self, scope):
        return [f for s in self.sections if s.scope == scope for f in s.fields]

    def field(self, scope, key):
        return next((f for f in self.fields(scope) if f.key == key), None)

    def computed(self, scope):
        return [c for s in self.sections if s.scope == scope for c in s.computed]

    def checks(self, scope):
        return [c for s in self.sections if s.scope == scope for c in s.checks]

    @property
    def is_inspection(self):
        return bool(self.groups)


# --------------------------------------------------------------------------- loading

def load_specs(cat):
    """All forms of a catalogue dict as FormSpecs; CatalogueError if it is inconsistent."""
    groups = cat.get("groups") or {}
    kinds = cat.get("device_kinds") or {}
    results = cat.get("check_results") or {}
    if set(results) != {"normal", "abnormal"}:
        raise CatalogueError("check_results 应包含 normal 与 abnormal")
    header = tuple(_header(cat.get("block_header") or (), "block_header"))
    specs = {kind: _form(kind, raw, cat, groups, kinds, results, header)
             for kind, raw in (cat.get("forms") or {}).items()}
    collect_limits(specs.values())
    return specs


def _header(entries, where):
    for e in entries:
        if not isinstance(e, dict) or set(e) != {"key", "label"}:
            raise CatalogueError(f"{where}: 应为 {{key, label}}")
        yield dict(e)


def _form(kind, raw, cat, groups, kinds, results, header):
    where = f"forms.{kind}"
    _only(raw, _FORM_KEYS, where)
    for key in ("version", "per_device", "device_kinds", "sections"):
        if key not in raw:
            raise CatalogueError(f"{where}: 缺少 {key}")
    device_kinds = tuple(raw["device_kinds"])
    if not device_kinds or set(device_kinds) - set(kinds):
        raise CatalogueError(f"{where}: device_kinds 应为 {sorted(kinds)} 的非空子集")
    per_device = bool(raw["per_device"])
    sections = []
    for i, s in enumerate(raw["sections"]):
        sections.append(_section(s, f"{where}.sections[{i}]", groups, per_device))
    used_groups = {f.group for s in sections for f in s.fields if f.group}
    spec = FormSpec(
        kind=kind, name=raw["name"], outlet_kind=raw["outlet_kind"], version=int(raw["version"]),
        per_device=per_device, device_kinds=device_kinds,
        factor_codes=tuple(raw["factor_codes"]) if raw.get("factor_codes") else None,
        groups=tuple(g for g in groups if g in used_groups), sections=tuple(sections),
        block_header=header + tuple(_header(raw.get("block_header") or (), f"{where}.block_header")),
        basis=raw.get("basis"), catalogue_version=int(cat.get("version", 1)),
        group_labels={g: groups[g] for g in groups if g in used_groups},
        device_kind_labels={k: kinds[k] for k in device_kinds}, check_results=dict(results))
    _check_references(spec, where)
    return spec


def _section(raw, where, groups, per_device):
    _only(raw, _SECTION_KEYS, where)
    scope = raw.get("scope")
    if scope not in SCOPES:
        raise CatalogueError(f"{where}: scope 应为 form 或 block")
    if scope == "block" and not per_device:
        raise CatalogueError(f"{where}: 非按设备填报的表单不能有 block 部分")
    when = DeviceCondition.parse(raw.get("when"), where)
    if scope == "form" and when is not None:
        raise CatalogueError(f"{where}: 表单级部分不能按设备限定")
    base = (when,) if when else ()
    key = raw["key"]
    fields = []
    for group, items in (raw.get("items") or {}).items():
        if group not in groups:
            raise CatalogueError(f"{where}: 未知的检查类别 {group}")
        for j, item in enumerate(items):
            _only(item, {"key", "label", "when", "help"}, f"{where}.items.{group}[{j}]")
            fields.append(_field({**item, "type": "check"}, f"{where}.items.{group}[{j}]",
                                 scope, key, base, group=group))
    for j, f in enumerate(raw.get("fields") or ()):
        if f.get("type") == "check":
            raise CatalogueError(f"{where}.fields[{j}]: 检查项目写在 items 中")
        fields.append(_field(f, f"{where}.fields[{j}]", scope, key, base))
    computed = [_computed(c, f"{where}.computed[{j}]", scope, key, base)
                for j, c in enumerate(raw.get("computed") or ())]
    checks = []
    for j, c in enumerate(raw.get("checks") or ()):
        w = f"{where}.checks[{j}]"
        _only(c, _CHECK_KEYS, w)
        judge = parse_judge(c["judge"], w)
        if leaves_without_value(judge):
            raise CatalogueError(f"{w}: 独立判定的每一档都要写明 value")
        checks.append(Check(c["key"], c["label"], judge, scope, key,
                            base + _own_when(c, w, scope)))
    return Section(key, raw["label"], scope, when, tuple(fields), tuple(computed), tuple(checks))


def _own_when(raw, where, scope):
    cond = DeviceCondition.parse(raw.get("when"), where)
    if cond is not None and scope == "form":
        raise CatalogueError(f"{where}: 表单级内容不能按设备限定")
    return (cond,) if cond else ()


def _field(raw, where, scope, section, base, group=None, column=False):
    _only(raw, _FIELD_KEYS, where)
    ftype = raw.get("type")
    if ftype not in (COLUMN_TYPES if column else TYPES):
        raise CatalogueError(f"{where}: 类型 {ftype} 不可用")
    if not raw.get("key") or not raw.get("label"):
        raise CatalogueError(f"{where}: 缺少 key 或 label")
    options = tuple((str(k), str(v)) for k, v in (raw.get("options") or {}).items())
    if ftype == "choice" and not options:
        raise CatalogueError(f"{where}: choice 需要 options")
    columns = ()
    if ftype == "rows":
        cols = raw.get("columns") or ()
        if not cols:
            raise CatalogueError(f"{where}: rows 需要 columns")
        columns = tuple(_field(c, f"{where}.columns[{i}]", scope, section, (), column=True)
                        for i, c in enumerate(cols))
        if len({c.key for c in columns}) != len(columns):
            raise CatalogueError(f"{where}: 列名重复")
    judge = parse_judge(raw["judge"], where) if raw.get("judge") is not None else None
    return Field(
        key=raw["key"], label=raw["label"], type=ftype, scope=scope, section=section,
        required=bool(raw.get("required", True)),
        required_when=ValueCondition.parse(raw.get("required_when"), where),
        group=group, when=base + _own_when(raw, where, scope), unit=raw.get("unit"),
        unit_from_device=bool(raw.get("unit_from_device", False)),
        min=_num(raw, "min", where), max=_num(raw, "max", where), gt=_num(raw, "gt", where),
        max_len=int(raw.get("max_len", DEFAULT_MAX_LEN)), multiline=bool(raw.get("multiline", False)),
        options=options, columns=columns, min_rows=int(raw.get("min_rows", 0)),
        max_rows=int(raw.get("max_rows", DEFAULT_MAX_ROWS)), from_device=raw.get("from_device"),
        after=raw.get("after"), not_before=raw.get("not_before"), judge=judge, help=raw.get("help"))


def _num(raw, key, where):
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CatalogueError(f"{where}: {key} 应为数字")
    return float(value)


def _computed(raw, where, scope, section, base):
    _only(raw, _COMPUTED_KEYS, where)
    formula = FORMULAS.get(raw.get("formula"))
    if formula is None:
        raise CatalogueError(f"{where}: 未知公式 {raw.get('formula')}")
    args = dict(raw.get("args") or {})
    params = set(formula.fields) | set(formula.literals)
    missing = params - set(formula.optional) - set(args)
    if set(args) - params or missing:
        raise CatalogueError(f"{where}: 公式 {formula.name} 的参数应为 {sorted(params)}")
    judge = parse_judge(raw["judge"], where) if raw.get("judge") is not None else None
    return Computed(raw["key"], raw["label"], formula, args, scope, section,
                    base + _own_when(raw, where, scope), raw.get("unit"),
                    bool(raw.get("unit_from_device", False)),
                    int(raw.get("decimals", DEFAULT_DECIMALS)), judge)


def _check_references(spec, where):
    """Keys unique across the form; every reference names something that exists before it."""
    seen = {}
    for scope in SCOPES:
        for thing in spec.fields(scope) + spec.computed(scope) + spec.checks(scope):
            if thing.key in seen:
                raise CatalogueError(f"{where}: 键 {thing.key} 重复")
            seen[thing.key] = thing
    for scope in SCOPES:
        visible = {f.key: f for f in spec.fields("form")}
        if scope == "block":
            visible.update({f.key: f for f in spec.fields("block")})
        computed_before = {c.key for c in spec.computed("form")} if scope == "block" else set()
        for f in spec.fields(scope):
            for ref, kind in ((f.after, "after"), (f.not_before, "not_before")):
                if ref and (ref not in visible or visible[ref].type != "datetime" or f.type != "datetime"):
                    raise CatalogueError(f"{where}.{f.key}: {kind} 应指向时间字段")
            if f.required_when and f.required_when.field not in visible:
                raise CatalogueError(f"{where}.{f.key}: required_when 指向未知字段")
            if f.judge:
                _check_judge(f.judge, set(visible) | computed_before, f"{where}.{f.key}")
        for c in spec.computed(scope):
            for param in c.formula.fields:
                ref = c.args.get(param)
                if ref is None:
                    continue
                if ref not in visible and ref not in computed_before:
                    raise CatalogueError(f"{where}.{c.key}: 参数 {param} 指向未知字段 {ref}")
                if param in c.formula.rows:
                    rows = visible.get(ref)
                    if rows is None or rows.type != "rows":
                        raise CatalogueError(f"{where}.{c.key}: {param} 应指向表格字段")
                    for lit in c.formula.literals:
                        if rows.column(c.args[lit]) is None:
                            raise CatalogueError(f"{where}.{c.key}: 表格没有列 {c.args[lit]}")
            computed_before.add(c.key)
            if c.judge:
                _check_judge(c.judge, set(visible) | computed_before, f"{where}.{c.key}")
        for c in spec.checks(scope):
            _check_judge(c.judge, set(visible) | computed_before, f"{where}.{c.key}")


def _check_judge(judge, known, where):
    unknown = value_keys(judge) - known
    if unknown:
        raise CatalogueError(f"{where}: 判定引用未知的量 {sorted(unknown)}")
    cond = getattr(judge, "when", None)
    if cond is not None and cond.field not in known:
        raise CatalogueError(f"{where}: 判定条件引用未知字段 {cond.field}")


def collect_limits(specs):
    """{limit key: default} over the given forms; one key must have one default everywhere."""
    limits = {}
    for spec in specs:
        for scope in SCOPES:
            judged = [f.judge for f in spec.fields(scope)] + [c.judge for c in spec.computed(scope)] \
                + [c.judge for c in spec.checks(scope)]
            for judge in filter(None, judged):
                for ref in judge.limits():
                    if limits.setdefault(ref.key, ref.default) != ref.default:
                        raise CatalogueError(f"限值 {ref.key} 的默认值不一致")
    return limits


def _only(raw, allowed, where):
    if not isinstance(raw, dict):
        raise CatalogueError(f"{where}: 应为对象")
    extra = set(raw) - allowed
    if extra:
        raise CatalogueError(f"{where}: 未知键 {sorted(extra)}")


@lru_cache(maxsize=1)
def default_specs():
    return load_specs(catalogue())


def spec_for(kind):
    return default_specs().get(kind)
