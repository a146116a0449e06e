"""Realistic devices and filled-in forms for the 15 form kinds, for unit and end-to-end tests.

    device_docs_for(kind)                     → registry device documents (with ids) that suit the form
    sample_content(kind, devices, passing=True, at=None, groups=("day", "week"))
                                              → a valid content for evaluate(); with passing=False a
                                                content that is valid but fails judgement, or None
                                                when the form judges nothing; inspections answer
                                                every item of `groups` 正常

Import as `from services.fieldrecords.tests.form_samples import sample_content, device_docs_for`.
"""
from datetime import datetime, timedelta, timezone

from fieldrecords.domain.forms.conditions import all_match
from fieldrecords.domain.forms.model import spec_for

SHANGHAI = timezone(timedelta(hours=8))
DEFAULT_AT = datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI)


def _device(device_id, kind, factor_code, factor_name, name, model, brand, serial, method, unit,
            upper, **extra):
    outlet_kind = "flue_gas" if kind == "cems" else "wastewater"
    return {"id": device_id, "kind": kind, "factor_code": factor_code, "factor_name": factor_name,
            "name": name, "model": model, "brand": brand, "serial_number": serial,
            "method_principle": method, "construction_status": "已建成", "unit": unit,
            "range_lower": 0.0 if upper is not None else None, "range_upper": upper,
            "outlet_kind": outlet_kind, "current_maintainer": "上海清源环境运维有限公司", **extra}


WATER = [
    _device("dev-w01018", "water_analyzer", "w01018", "化学需氧量", "化学需氧量水质自动分析仪",
            "CODmax plus sc", "哈希", "HACH-COD-210417", "重铬酸钾氧化-分光光度法", "mg/L", 500.0),
    _device("dev-w21003", "water_analyzer", "w21003", "氨氮", "氨氮水质自动分析仪",
            "AMTAX sc", "哈希", "HACH-NH3-210522", "氨气敏电极法", "mg/L", 50.0),
    _device("dev-w21011", "water_analyzer", "w21011", "总磷", "总磷水质自动分析仪",
            "TPNG-3020", "聚光科技", "FPI-TP-19088", "钼酸铵分光光度法", "mg/L", 10.0),
    _device("dev-w21001", "water_analyzer", "w21001", "总氮", "总氮水质自动分析仪",
            "TNNG-3020", "聚光科技", "FPI-TN-19091", "碱性过硫酸钾消解紫外分光光度法", "mg/L", 50.0),
    _device("dev-w01001", "water_analyzer", "w01001", "pH值", "pH水质自动分析仪",
            "CPM223", "恩德斯豪斯", "EH-PH-200318", "玻璃电极法", "无量纲", 14.0),
    _device("dev-w00000", "water_analyzer", "w00000", "废水流量", "超声波明渠流量计",
            "ULM-53L", "上海肯特", "KT-FL-181102", "超声波明渠法（巴歇尔槽）", "L/s", 500.0),
    {"id": "dev-sampler", "kind": "water_sampler", "factor_code": None, "factor_name": None,
     "name": "水质自动采样器", "model": "ISCO 5800", "manufacturer": "美国Teledyne ISCO",
     "serial_number": "ISCO-5800-1907", "mixed_sample_ready": True, "refrigerated": True,
     "construction_status": "已建成", "outlet_kind": "wastewater",
     "current_maintainer": "上海清源环境运维有限公司"},
]

# Gas analysers differ by sampling method; particulate, flue parameters and NMHC do not.
GAS_BY_METHOD = {
    "extractive": [
        _device("dev-a21026", "cems", "a21026", "二氧化硫", "二氧化硫分析仪", "URA-208A", "富士",
                "FJ-2023-0771", "非分散红外吸收法", "mg/m3", 200.0),
        _device("dev-a21002", "cems", "a21002", "氮氧化物", "氮氧化物分析仪", "URA-208A", "富士",
                "FJ-2023-0772", "非分散红外吸收法", "mg/m3", 500.0),
        _device("dev-a19001", "cems", "a19001", "氧气含量", "氧分析仪", "ZKJ-3", "富士",
                "FJ-2023-0773", "磁压力式", "%", 25.0),
    ],
    "dilution": [
        _device("dev-a21026", "cems", "a21026", "二氧化硫", "二氧化硫分析仪", "43i", "赛默飞",
                "TF-43I-1183", "紫外荧光法", "mg/m3", 500.0),
        _device("dev-a21002", "cems", "a21002", "氮氧化物", "氮氧化物分析仪", "42i", "赛默飞",
                "TF-42I-1190", "化学发光法", "mg/m3", 500.0),
        _device("dev-a19001", "cems", "a19001", "氧气含量", "氧分析仪", "ZR22G", "横河",
                "YK-ZR-3321", "氧化锆法", "%", 25.0),
    ],
    "direct": [
        _device("dev-a21026", "cems", "a21026", "二氧化硫", "二氧化硫分析仪", "GM32", "西克",
                "SICK-GM32-0915", "紫外差分吸收光谱法", "mg/m3", 500.0),
        _device("dev-a21002", "cems", "a21002", "氮氧化物", "氮氧化物分析仪", "GM32", "西克",
                "SICK-GM32-0916", "紫外差分吸收光谱法", "mg/m3", 500.0),
        _device("dev-a19001", "cems", "a19001", "氧气含量", "氧分析仪", "ZR22G", "横河",
                "YK-ZR-3322", "氧化锆法", "%", 25.0),
    ],
}
FLUE_COMMON = [
    _device("dev-a34013", "cems", "a34013", "颗粒物", "颗粒物监测仪", "LaserDust MP", "诺科",
            "NO-LD-8812", "激光后散射法", "mg/m3", 200.0),
    _device("dev-a00000", "cems", "a00000", "废气流量", "烟气流速监测仪", "FLSE100", "西克",
            "SICK-FL-4410", "皮托管差压法", "m3/h", 600000.0),
    _device("dev-a24088", "cems", "a24088", "非甲烷总烃", "非甲烷总烃在线监测仪", "NMHC-2000", "谱育科技",
            "EXPEC-NM-2107", "气相色谱-氢火焰离子化检测器法", "mg/m3", 100.0),
]


def _accepts(spec, device):
    return device["kind"] in spec.device_kinds and (
        spec.factor_codes is None or device.get("factor_code") in spec.factor_codes)


def device_docs_for(kind):
    spec = spec_for(kind)
    if spec is None:
        raise ValueError(f"unknown form kind {kind}")
    if spec.outlet_kind == "wastewater":
        pool = WATER
    else:
        method = {"fg_inspection_dilution": "dilution", "fg_inspection_direct": "direct"}.get(kind, "extractive")
        pool = GAS_BY_METHOD[method] + FLUE_COMMON
    return [dict(d) for d in pool if _accepts(spec, d)]


# ---------------------------------------------------------------------- contents

def _iso(at, **delta):
    return (at + timedelta(**delta)).isoformat()


def _date(at, **delta):
    return (at + timedelta(**delta)).date().isoformat()


def sample_content(kind, devices, *, passing=True, at=None, groups=("day", "week")):
    spec = spec_for(kind)
    if spec is None:
        raise ValueError(f"unknown form kind {kind}")
    usable = [d for d in devices if _accepts(spec, d)]
    if not usable:
        raise ValueError(f"none of the devices suits {kind}")
    judged = _judges_anything(spec)
    if not passing and not judged:
        return None
    at = at or DEFAULT_AT
    if spec.is_inspection:
        return _inspection(spec, usable, groups)
    return _BUILDERS[kind](usable, passing, at)


def _judges_anything(spec):
    return any(f.judge for s in ("form", "block") for f in spec.fields(s)) or any(
        c.judge for s in ("form", "block") for c in spec.computed(s)) or any(
        spec.checks(s) for s in ("form", "block"))


def _inspection(spec, devices, groups):
    """Every item of the chosen groups that applies to each device, all 正常."""
    chosen = [g for g in spec.groups if g in groups]
    blocks = []
    for d in devices:
        values = {f.key: {"result": "normal"} for f in spec.fields("block")
                  if f.group in chosen and all_match(f.when, d)}
        blocks.append({"device_id": d["id"], "groups": list(chosen), "values": values})
    values = {f.key: {"result": "normal"} for f in spec.fields("form") if f.group in chosen}
    values["remarks"] = "站房及仪器运行正常。"
    return {"values": values, "blocks": blocks}


def _ww_maintenance(devices, passing, at):
    values = {"work_type": "repair", "fault_class": "simple",
              "fault_start": _iso(at, hours=-3), "start_at": _iso(at, hours=-1),
              "end_at": _iso(at, hours=3 if passing else 7), "data_flagged": True}
    blocks = []
    for d in devices:
        name = d.get("name") or "设备"
        blocks.append({"device_id": d["id"], "values": {
            "symptom": f"{name}测量值持续偏低，仪器报“消解温度异常”" if d["kind"] == "water_analyzer"
            else f"{name}不能按设定时间采样",
            "cause": "加热元件老化，升温达不到设定值" if d["kind"] == "water_analyzer" else "采样泵管老化破裂",
            "action": "更换加热元件并进行标样核查，示值恢复正常" if d["kind"] == "water_analyzer"
            else "更换采样泵管，手动采样试运行正常",
            "parts": [{"name": "加热元件" if d["kind"] == "water_analyzer" else "采样泵管",
                       "spec": d.get("model") or "原厂配件", "unit": "个", "quantity": 1}],
            "status_after": "normal"}})
    return {"values": values, "blocks": blocks}


_STANDARD = {  # factor: (standard value, passing measurement, failing measurement)
    "w01018": (100.0, 103.5, 115.0), "w21003": (10.0, 10.4, 11.6), "w21011": (2.0, 2.06, 2.5),
    "w21001": (10.0, 10.3, 11.8), "w01001": (6.86, 6.90, 7.10),
}


def _ww_standard_check(devices, passing, at):
    blocks = []
    for d in devices:
        standard, good, bad = _STANDARD[d["factor_code"]]
        values = {"standard_sample_no": f"GSB07-{d['factor_code'][1:]}-B2305", "standard_value": standard,
                  "measured_value": good if passing else bad}
        if passing:
            values["calibrated"] = False
        else:
            values.update({"calibrated": True, "after_value": good, "slope_after": 1.012,
                           "intercept_after": 0.35})
        blocks.append({"device_id": d["id"], "values": values})
    return {"values": {}, "blocks": blocks}


_CONSUMABLES = {
    "w01018": [("蠕动泵管", "PharMed 内径2.06mm", "根", 2), ("试剂过滤头", "PP 10μm", "个", 3)],
    "w21003": [("电极膜片", "AMTAX sc 配套", "片", 1), ("电解液", "100 mL", "瓶", 1)],
    "w21011": [("蠕动泵管", "Tygon 内径1.52mm", "根", 2)],
    "w21001": [("蠕动泵管", "Tygon 内径1.52mm", "根", 2), ("消解管密封圈", "氟橡胶 Φ12", "个", 2)],
    "w01001": [("KCl补充液", "3 mol/L 250 mL", "瓶", 1)],
    "w00000": [("探头防护罩", "ULM-53 配套", "个", 1)],
    None: [("采样泵管", "硅胶管 内径9.5mm", "米", 2), ("采样瓶", "1000 mL 聚乙烯", "个", 4)],
    "a21026": [("采样探头滤芯", "陶瓷 2μm", "个", 1), ("蠕动泵管", "氟橡胶", "根", 1)],
    "a21002": [("采样探头滤芯", "陶瓷 2μm", "个", 1), ("精细过滤器滤芯", "0.5μm", "个", 1)],
    "a19001": [("精细过滤器滤芯", "0.5μm", "个", 1)],
    "a34013": [("吹扫风机滤芯", "纸质 G4", "个", 1)],
    "a00000": [("反吹电磁阀密封件", "FLSE100 配套", "套", 1)],
    "a24088": [("氢气发生器干燥剂", "变色硅胶 500 g", "瓶", 1), ("进样阀转子", "VICI 10通", "个", 1)],
}


def _consumables(devices, passing, at):
    blocks = [{"device_id": d["id"], "values": {"consumables": [
        {"name": n, "spec": s, "unit": u, "quantity": q} for n, s, u, q in _CONSUMABLES[d.get("factor_code")]]}}
        for d in devices]
    return {"values": {"remarks": "更换下的旧件已按规定回收。"}, "blocks": blocks}


_STANDARD_SAMPLES = {
    "w01018": [("化学需氧量标准溶液", 100.0, "mg/L"), ("化学需氧量标准溶液", 400.0, "mg/L")],
    "w21003": [("氨氮标准溶液", 10.0, "mg/L"), ("氨氮标准溶液", 40.0, "mg/L")],
    "w21011": [("总磷标准溶液", 2.0, "mg/L"), ("总磷标准溶液", 8.0, "mg/L")],
    "w21001": [("总氮标准溶液", 10.0, "mg/L"), ("总氮标准溶液", 40.0, "mg/L")],
    "w01001": [("pH标准缓冲溶液", 4.01, "无量纲"), ("pH标准缓冲溶液", 6.86, "无量纲"),
               ("pH标准缓冲溶液", 9.18, "无量纲")],
}


def _ww_standard_sample(devices, passing, at):
    blocks = []
    for d in devices:
        rows = [{"name": n, "concentration": c, "unit": u, "lot_no": f"B2305{i:02d}",
                 "producer": "生态环境部标准样品研究所", "expiry_date": _date(at, days=365)}
                for i, (n, c, u) in enumerate(_STANDARD_SAMPLES[d["factor_code"]], start=1)]
        blocks.append({"device_id": d["id"], "values": {"reason": "expired", "samples": rows}})
    return {"values": {}, "blocks": blocks}


_COMPARISON = {  # factor: (lab value, passing instrument value, failing instrument value)
    "w01018": (45.0, 48.2, 58.0), "w21003": (2.2, 2.35, 2.9), "w21011": (0.4, 0.42, 0.52),
    "w21001": (11.5, 12.1, 14.8), "w01001": (7.18, 7.32, 7.9), "w00000": (50.0, 52.6, 58.0),
}


def _ww_comparison(devices, passing, at):
    blocks = []
    for d in devices:
        lab, good, bad = _COMPARISON[d["factor_code"]]
        blocks.append({"device_id": d["id"], "values": {
            "instrument_value": good if passing else bad, "lab_value": lab,
            "lab_method": {"w01018": "HJ 828-2017 重铬酸盐法", "w21003": "HJ 535-2009 纳氏试剂分光光度法",
                           "w21011": "GB 11893-1989 钼酸铵分光光度法", "w21001": "HJ 636-2012 碱性过硫酸钾消解紫外分光光度法",
                           "w01001": "HJ 1147-2020 电极法", "w00000": "便携式流量计比对"}[d["factor_code"]]}})
    return {"values": {"sampled_at": _iso(at, hours=-2), "lab_name": "上海环科检测技术有限公司",
                       "lab_report_no": "HK-2611-0312"}, "blocks": blocks}


_FAULTS = {
    "a21026": ("二氧化硫示值突降至0附近并报“采样流量低”", "采样探头滤芯堵塞", "更换探头滤芯，反吹管路，通标气核查示值正常"),
    "a21002": ("氮氧化物示值波动大", "冷凝器排水蠕动泵管破裂，管路积水", "更换蠕动泵管并排空积水，通标气核查正常"),
    "a19001": ("氧含量示值偏高至20%以上", "采样管路接头漏气", "紧固接头并做气密性检查，示值恢复正常"),
    "a34013": ("颗粒物示值持续偏高", "吹扫风机停转，镜头污染", "更换风机电容，清洁镜头，零点检查正常"),
    "a00000": ("流速示值为0", "皮托管取压孔积灰堵塞", "反吹并人工疏通取压孔，差压恢复正常"),
    "a24088": ("非甲烷总烃无数据，仪器报“FID熄火”", "氢气发生器压力不足", "补充电解液并重新点火，通标气核查正常"),
}


def _fg_fault_repair(devices, passing, at):
    values = {"fault_class": "simple", "fault_start": _iso(at, hours=-6), "arrived_at": _iso(at, hours=-2),
              "fault_end": _iso(at, hours=1 if passing else 5), "data_flagged": True}
    blocks = []
    for d in devices:
        symptom, cause, action = _FAULTS[d["factor_code"]]
        blocks.append({"device_id": d["id"], "values": {"symptom": symptom, "cause": cause, "action": action}})
    return {"values": values, "blocks": blocks}


def _fg_gas_replacement(devices, passing, at):
    blocks = []
    for i, d in enumerate(devices, start=1):
        full = d.get("range_upper") or 100.0
        concentration = 20.9 if d["factor_code"] == "a19001" else round(full * 0.9, 1)
        if not passing:
            concentration = round(full * 0.5, 1)
        values = {"cylinder_no": f"DT-2611-{i:03d}", "concentration": concentration,
                  "balance_gas": "氮气", "supplier": "大连大特气体有限公司",
                  "certificate_no": f"GBW(E)0615{i:02d}", "expiry_date": _date(at, days=365),
                  "cylinder_pressure": 12.5}
        if d.get("range_upper") is None:
            values["full_scale"] = full
        blocks.append({"device_id": d["id"], "values": values})
    return {"values": {}, "blocks": blocks}


_REFERENCE = {  # factor: (reference method, reference values, passing bias, failing bias)
    "a21026": ("HJ 57-2017 定电位电解法", [34.2, 36.8, 35.1, 33.9, 37.4, 35.6, 34.8, 36.1, 35.3], 2.0, 25.0),
    "a21002": ("HJ 693-2014 定电位电解法", [78.5, 82.1, 80.4, 79.2, 84.0, 81.3, 80.9, 79.7, 82.6], 1.05, 1.5),
    "a19001": ("HJ/T 397-2007 电化学法", [8.4, 8.6, 8.5, 8.3, 8.7, 8.5, 8.6, 8.4, 8.5], 1.02, 1.3),
    "a34013": ("GB/T 16157-1996 重量法", [7.8, 8.4, 8.1, 7.6, 8.9], 1.0, 8.0),
    "a00000": ("GB/T 16157-1996 皮托管法", [352000.0, 348500.0, 355200.0, 350100.0, 353800.0], 1.03, 1.2),
    "a24088": ("HJ 38-2017 气相色谱法", [15.2, 16.1, 14.8, 15.6, 15.9, 15.1, 16.4, 15.3, 15.7], 1.04, 1.5),
}


def _fg_periodic_check(devices, passing, at):
    blocks = []
    for d in devices:
        method, refs, good, bad = _REFERENCE[d["factor_code"]]
        wobble = [0.3, -0.2, 0.1, -0.1, 0.2, 0.0, -0.3, 0.2, -0.1]
        pairs = []
        for i, ref in enumerate(refs):
            if d["factor_code"] in ("a21026", "a34013"):      # absolute bias in the low bands
                cems = ref + (good if passing else bad) + wobble[i]
            else:                                              # proportional bias
                cems = ref * (good if passing else bad) * (1 + wobble[i] / 100)
            pairs.append({"reference_value": ref, "cems_value": round(cems, 2)})
        values = {"reference_method": method, "pairs": pairs}
        if d["factor_code"] == "a00000":
            values["velocity"] = 12.6
        blocks.append({"device_id": d["id"], "values": values})
    return {"values": {"checked_on": _date(at), "lab_name": "上海环科检测技术有限公司",
                       "report_no": "HK-JY-2611-027"}, "blocks": blocks}


def _fg_calibration(devices, passing, at):
    blocks = []
    for d in devices:
        full = d.get("range_upper") or 100.0
        pct = full / 100
        span_gas = 20.9 if d["factor_code"] == "a19001" else round(full * 0.8, 1)
        values = {"zero_gas": 0.0, "zero_after_last": round(0.4 * pct, 2),
                  "zero_before": round((1.2 if passing else 4.4) * pct, 2), "zero_after": round(0.1 * pct, 2),
                  "span_gas": span_gas, "span_after_last": round(span_gas + 0.5 * pct, 2),
                  "span_before": round(span_gas + 1.5 * pct, 2), "span_after": span_gas}
        if d.get("range_upper") is None:
            values["full_scale"] = full
        blocks.append({"device_id": d["id"], "values": values})
    return {"values": {"remarks": "零点、量程校准完成，示值正常。"}, "blocks": blocks}


_BUILDERS = {
    "ww_maintenance": _ww_maintenance,
    "ww_standard_check": _ww_standard_check,
    "ww_consumables": _consumables,
    "ww_standard_sample": _ww_standard_sample,
    "ww_comparison": _ww_comparison,
    "fg_consumables": _consumables,
    "fg_fault_repair": _fg_fault_repair,
    "fg_gas_replacement": _fg_gas_replacement,
    "fg_periodic_check": _fg_periodic_check,
    "fg_calibration": _fg_calibration,
}
