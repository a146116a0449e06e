"""One pipeline for all 15 forms: validate what the filer sent, compute the catalogue's named
formulas, judge them against configurable limits.

content = {"values": {form field: answer}, "blocks": [{"device_id", "groups", "values"}]}
Paths in errors and verdicts: values.<key>, blocks[i].device_id, blocks[i].groups,
blocks[i].values.<key>, blocks[i].values.<item>.note, blocks[i].values.<rows>[j].<column>,
computed.values.<key>, computed.blocks[i].values.<key>.
"""
from dataclasses import dataclass, field as dc_field

from emss_common.errors import ValidationFailed

from .conditions import all_match
from .fieldtypes import ABSENT, blank, parse, to_json
from .formulas import FormulaProblem, IncompleteInput
from emss_common.forms import fmt, round_half_even
from .model import spec_for


def default_limit(key, default):
    return default


def evaluate(kind, content, devices, limit=default_limit, complete=True, preview=False):
    """Validate, compute and judge one record. A draft (complete=False) gets no verdict, unless
    `preview` asks for a provisional one over what is already there (for the filer on site)."""
    spec = spec_for(kind)
    if spec is None:
        raise ValidationFailed(f"未知的运维内容：{kind}", field="kind")
    return evaluate_spec(spec, content, devices, limit, complete, preview)


def evaluate_spec(spec, content, devices, limit=default_limit, complete=True, preview=False):
    return _Run(spec, devices or {}, limit or default_limit, complete).run(content, preview)


@dataclass
class _Block:
    index: int
    device_id: str
    device: dict
    groups: tuple | None
    raw: dict
    values: dict = dc_field(default_factory=dict)     # parsed answers
    computed: dict = dc_field(default_factory=dict)

    @property
    def path(self):
        return f"blocks[{self.index}]"


class _Run:
    def __init__(self, spec, devices, limit, complete):
        self.spec, self.devices, self.limit, self.complete = spec, devices, limit, complete
        self.form_values, self.form_computed = {}, {}

    # ------------------------------------------------------------------ content
    def run(self, content, preview=False):
        if not isinstance(content, dict):
            raise ValidationFailed("表单内容应为对象", field="content")
        for key in content:
            if key not in ("values", "blocks"):
                raise ValidationFailed("未知字段", field=str(key))
        raw_values = content.get("values")
        raw_values = {} if raw_values is None else raw_values
        blocks = self._blocks(content.get("blocks"))
        chosen = [b.groups for b in blocks if b.groups is not None]
        form_groups = set().union(*chosen) if chosen else None
        self.form_values = self._answers(self.spec.fields("form"), raw_values, "values", None,
                                         form_groups, lambda k: None)
        for b in blocks:
            b.values = self._answers(self.spec.fields("block"), b.raw, f"{b.path}.values", b.device,
                                     set(b.groups) if b.groups is not None else None,
                                     self._form_get)
        self._compute(self.spec.computed("form"), None, self._form_get)
        for b in blocks:
            self._compute(self.spec.computed("block"), b, self._block_get(b))
        verdict = self._verdict(blocks) if self.complete or preview else None
        return {"content": self._content(blocks),
                "computed": {"values": dict(self.form_computed),
                             "blocks": [{"device_id": b.device_id, "values": dict(b.computed)} for b in blocks]},
                "verdict": verdict}

    def _form_get(self, key):
        if key in self.form_values:
            return self.form_values[key]
        return self.form_computed.get(key)

    def _block_get(self, b):
        def get(key):
            if key in b.values:
                return b.values[key]
            if key in b.computed:
                return b.computed[key]
            return self._form_get(key)
        return get

    def _blocks(self, raw):
        spec = self.spec
        if raw is None:
            raw = []
        if not isinstance(raw, list):
            raise ValidationFailed("应为列表", field="blocks")
        if not spec.per_device:
            if raw:
                raise ValidationFailed(f"“{spec.name}”不按设备填报，不应有设备模块", field="blocks")
            return []
        if self.complete and not raw:
            raise ValidationFailed("请至少选择一台设备", field="blocks")
        blocks, seen = [], set()
        for i, b in enumerate(raw):
            path = f"blocks[{i}]"
            if not isinstance(b, dict):
                raise ValidationFailed("应为对象", field=path)
            allowed = {"device_id", "values"} | ({"groups"} if spec.is_inspection else set())
            for key in b:
                if key not in allowed:
                    raise ValidationFailed("未知字段", field=f"{path}.{key}")
            device_id = b.get("device_id")
            if blank(device_id) or not isinstance(device_id, str):
                raise ValidationFailed("请选择设备", field=f"{path}.device_id")
            device = self.devices.get(device_id)
            if device is None:
                raise ValidationFailed("设备不存在或不属于本排口", field=f"{path}.device_id")
            self._accepts(device, f"{path}.device_id")
            if device_id in seen:
                raise ValidationFailed("同一设备只能有一个填报模块", field=f"{path}.device_id")
            seen.add(device_id)
            values = b.get("values")
            values = {} if values is None else values
            groups = self._groups(b.get("groups"), device, path) if spec.is_inspection else None
            blocks.append(_Block(i, device_id, device, groups, values))
        return blocks

    def _accepts(self, device, path):
        spec = self.spec
        kind = device.get("kind")
        if kind not in spec.device_kinds:
            allowed = "、".join(spec.device_kind_labels.values())
            raise ValidationFailed(f"“{spec.name}”只适用于{allowed}，不适用于所选设备", field=path)
        if spec.factor_codes is not None and device.get("factor_code") not in spec.factor_codes:
            factor = device.get("factor_name") or device.get("factor_code") or "未知"
            raise ValidationFailed(f"“{spec.name}”不适用于监测因子为{factor}的设备", field=path)

    def _groups(self, raw, device, path):
        spec = self.spec
        if raw is None:
            if self.complete:
                raise ValidationFailed("请选择检查维护类别（日/周/月/季）", field=f"{path}.groups")
            return None
        if not isinstance(raw, list):
            raise ValidationFailed("应为列表", field=f"{path}.groups")
        if self.complete and not raw:
            raise ValidationFailed("请至少选择一个检查维护类别", field=f"{path}.groups")
        for j, g in enumerate(raw):
            if not isinstance(g, str) or g not in spec.groups:
                allowed = "、".join(f"{k}（{v}）" for k, v in spec.group_labels.items())
                raise ValidationFailed(f"检查维护类别应为：{allowed}", field=f"{path}.groups[{j}]")
            if g in raw[:j]:
                raise ValidationFailed("检查维护类别重复", field=f"{path}.groups[{j}]")
            if not any(f.group == g and all_match(f.when, device) for f in spec.fields("block")):
                raise ValidationFailed(f"所选设备没有“{spec.group_labels[g]}”项目", field=f"{path}.groups[{j}]")
        return tuple(g for g in spec.groups if g in raw)

    # ------------------------------------------------------------------ answers
    def _answers(self, fields, raw, prefix, device, groups, parent_get):
        """Parsed answers of one scope (the form, or one device's block)."""
        if not isinstance(raw, dict):
            raise ValidationFailed("应为对象", field=prefix)
        by_key = {f.key: f for f in fields}
        for key in raw:
            f = by_key.get(key)
            if f is None:
                raise ValidationFailed("未知字段", field=f"{prefix}.{key}")
            if device is not None and not all_match(f.when, device):
                raise ValidationFailed("所选设备不适用此项", field=f"{prefix}.{key}")
            if f.group and groups is not None and f.group not in groups and not blank(raw[key]):
                label = self.spec.group_labels[f.group]
                raise ValidationFailed(f"未选择“{label}”，不应填写此项", field=f"{prefix}.{key}")
        values = {}
        for f in fields:
            if f.key in raw:
                value = parse(f, raw[f.key], f"{prefix}.{f.key}", self.complete)
                if value is not ABSENT:
                    values[f.key] = value
        if device is not None:
            self._from_device(fields, values, prefix, device)

        def get(key):
            return values[key] if key in values else parent_get(key)

        if self.complete:
            for f in fields:
                if f.key in values or (device is not None and not all_match(f.when, device)):
                    continue
                if f.group:
                    if groups is not None and f.group in groups:
                        raise ValidationFailed(f"请选择“{f.label}”的检查结果", field=f"{prefix}.{f.key}")
                elif f.required or (f.required_when is not None and f.required_when.holds(get)):
                    if f.from_device:
                        raise ValidationFailed(f"设备未登记该参数，请填写“{f.label}”", field=f"{prefix}.{f.key}")
                    raise ValidationFailed(f"请填写“{f.label}”", field=f"{prefix}.{f.key}")
        for f in fields:
            value = values.get(f.key)
            if value is None:
                continue
            for ref, strict in ((f.after, True), (f.not_before, False)):
                other = get(ref) if ref else None
                if other is None:
                    continue
                if (strict and value <= other) or (not strict and value < other):
                    other_label = self._label_of(ref)
                    word = "应晚于" if strict else "不能早于"
                    raise ValidationFailed(f"“{f.label}”{word}“{other_label}”", field=f"{prefix}.{f.key}")
        return values

    def _from_device(self, fields, values, prefix, device):
        """A value the registry knows (full scale = range_upper): taken from the device, and a
        different value typed by the filer is refused, so records and registry never disagree."""
        for f in fields:
            if not f.from_device or not all_match(f.when, device):
                continue
            registered = device.get(f.from_device)
            if registered is None:
                continue
            registered = float(registered)
            typed = values.get(f.key)
            if typed is not None and abs(typed - registered) > 1e-9 * max(1.0, abs(registered)):
                raise ValidationFailed(
                    f"与设备登记的{f.label}（{fmt(registered)}）不一致；如已变更，请先更新设备信息",
                    field=f"{prefix}.{f.key}")
            values[f.key] = registered

    def _label_of(self, key):
        for scope in ("block", "form"):
            f = self.spec.field(scope, key)
            if f:
                return f.label
            c = next((c for c in self.spec.computed(scope) if c.key == key), None)
            if c:
                return c.label
        return key

    # ------------------------------------------------------------------ computations
    def _compute(self, computations, block, get):
        """Each applicable formula whose inputs are there; results land where `get` sees them,
        so a later formula or judgement may use an earlier one."""
        target = block.computed if block is not None else self.form_computed
        for c in computations:
            if block is not None and not all_match(c.when, block.device):
                continue
            kwargs, missing = {}, False
            for param in c.formula.fields:
                ref = c.args.get(param)
                value = get(ref) if ref else None
                if value is None:
                    if param in c.formula.optional:
                        continue
                    missing = True
                    break
                kwargs[param] = value
            if missing:
                continue
            for param in c.formula.literals:
                kwargs[param] = c.args[param]
            try:
                result = c.formula.fn(**kwargs)
            except IncompleteInput:
                if self.complete:
                    raise
                continue
            except FormulaProblem as problem:
                raise ValidationFailed(problem.message,
                                       field=self._path(c.args.get(problem.param), block)) from None
            if result is None:
                continue
            target[c.key] = round_half_even(result, c.decimals)

    def _path(self, key, block):
        """Where a value lives: an answer (values…) or a computed value (computed…)."""
        if block is not None:
            if self.spec.field("block", key):
                return f"{block.path}.values.{key}"
            if any(c.key == key for c in self.spec.computed("block")):
                return f"computed.{block.path}.values.{key}"
        if self.spec.field("form", key):
            return f"values.{key}"
        return f"computed.values.{key}"

    # ------------------------------------------------------------------ verdict
    def _verdict(self, blocks):
        checks, abnormal = [], []
        self._judge_scope("form", None, self._form_get, checks, abnormal)
        for b in blocks:
            self._judge_scope("block", b, self._block_get(b), checks, abnormal)
        failures = [{k: c[k] for k in ("field", "label", "message", "value", "limit", "device_id") if k in c}
                    for c in checks if not c["passed"]]
        return {"passed": not failures, "failures": failures, "abnormal_items": abnormal, "checks": checks}

    def _judge_scope(self, scope, block, get, checks, abnormal):
        spec, device = self.spec, block.device if block else None
        values = block.values if block else self.form_values
        prefix = f"{block.path}.values" if block else "values"
        extra = {"device_id": block.device_id} if block else {}
        for f in spec.fields(scope):
            answer = values.get(f.key)
            if f.type == "check" and answer and answer.get("result") == "abnormal":
                abnormal.append({"field": f"{prefix}.{f.key}", "label": f.label,
                                 "note": answer.get("note"), **extra})
        judged = [(f.key, f.label, f.judge, f.when) for f in spec.fields(scope) if f.judge] \
            + [(c.key, c.label, c.judge, c.when) for c in spec.computed(scope) if c.judge] \
            + [(c.key, c.label, c.judge, c.when) for c in spec.checks(scope)]
        ctx = _JudgeContext(self, get, device)
        for owner, label, judge, when in judged:
            if device is not None and not all_match(when, device):
                continue
            outcome = judge.apply(ctx, owner)
            if outcome is None:
                continue
            who = f"{_device_label(device)}：" if device else ""
            checks.append({"field": self._path(outcome.value_key, block), "label": label,
                           "value": outcome.value, "limit": outcome.limit, "passed": outcome.passed,
                           "message": who + outcome.message, **extra})

    def _content(self, blocks):
        out_blocks = []
        for b in blocks:
            item = {"device_id": b.device_id}
            if b.groups is not None:
                item["groups"] = list(b.groups)
            item["values"] = {f.key: to_json(f, b.values[f.key]) for f in self.spec.fields("block")
                              if f.key in b.values}
            out_blocks.append(item)
        return {"values": {f.key: to_json(f, self.form_values[f.key]) for f in self.spec.fields("form")
                           if f.key in self.form_values},
                "blocks": out_blocks}


class _JudgeContext:
    def __init__(self, run, get, device):
        self.run, self.get, self.device = run, get, device
        self.limit = run.limit
        self.factor_code = device.get("factor_code") if device else None

    def label(self, key):
        return self.run._label_of(key)

    def unit(self, key):
        spec = self.run.spec
        thing = spec.field("block", key) or spec.field("form", key) or next(
            (c for s in ("block", "form") for c in spec.computed(s) if c.key == key), None)
        if thing is None:
            return ""
        if thing.unit_from_device and self.device:
            return self.device.get("unit") or ""
        return thing.unit or ""


def _device_label(device):
    return device.get("name") or device.get("factor_name") or device.get("model") or device.get("id") or "设备"
