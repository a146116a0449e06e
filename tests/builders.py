"""Realistic test data: valid credit codes and ID numbers, complete institutions and devices."""
import itertools

from stdnum.cn import ric, uscc

_seq = itertools.count(1)


def credit_code(n=None):
    n = next(_seq) if n is None else n
    first17 = f"91310115MA1H{n:05d}"[:17]
    return first17 + uscc.calc_check_digit(first17)


def resident_id(n=0):
    base = f"31010119900307{n % 1000:03d}"
    return base + ric.calc_check_digit(base + "0")


def institution(name="上海清源环境运维有限公司", type_="om", district="浦东新区", code=None):
    return {
        "name": name, "type": type_, "credit_code": code or credit_code(),
        "legal_representative": "王建国", "contact_person": "李敏", "contact_phone": "13800138000",
        "email": "contact@example.cn", "website": None, "address": "上海市浦东新区川沙路1000号",
        "lab_address": "上海市浦东新区川沙路1000号3楼", "district": district,
        "registered_capital": "500.00", "capabilities": ["wastewater_om", "flue_gas_om"],
    }


def account(username, password="Field#Pass2026", name="张明"):
    return {"username": username, "password": password, "name": name}


def staff(name="赵强", role="om_staff", valid_until="2028-12-31", n=1):
    body = {"name": name, "gender": "男", "id_number": resident_id(n), "education": "本科",
            "post": "运维工程师", "title": "工程师", "is_professional": True,
            "technical_role": role, "resigned": False}
    body["certificate"] = {"number": f"SH-YW-{n:04d}", "issuer": "上海市环境监测中心",
                           "category": "废水/废气自动监测运维", "valid_from": "2024-01-01",
                           "valid_until": valid_until}
    return body


def equipment(valid_until="2027-06-30"):
    return {"asset_number": "ZC-0001", "serial_number": "SN2024001", "name": "便携式烟气分析仪",
            "model": "崂应3012H", "calibration_certificate_no": "JD-2026-118",
            "calibration_valid_until": valid_until}


def vehicle(leased=False):
    body = {"plate": "沪A12345", "ownership": "leased" if leased else "owned", "licence_no": "XS-001"}
    if leased:
        body.update(lessor="上海车享租赁有限公司", lease_start="2026-01-01", lease_end="2027-12-31")
    return body


def spare_part():
    return {"name": "COD分析仪蠕动泵管", "model": "PT-12", "quantity": 10, "value": "1200.00",
            "storage_location": "浦东仓库A区3架"}


def enterprise(name="上海东方化工有限公司", district="浦东新区", code=None):
    return {"name": name, "credit_code": code or credit_code(), "district": district,
            "address": "上海市浦东新区化工路88号", "legal_representative": "陈伟",
            "contact_person": "周丽", "contact_phone": "021-58881234", "industry": "化学原料制造"}


def outlet(kind="wastewater", name="废水总排口DW001"):
    return {"name": name, "kind": kind, "permit_point_code": "DW001", "longitude": 121.5453,
            "latitude": 31.2212, "crs": "WGS-84", "address": "厂区东南角"}


def water_analyzer(factor="w01018"):
    return {"kind": "water_analyzer", "factor_code": factor, "model": "CODmax plus", "brand": "哈希",
            "origin": "进口", "method_principle": "重铬酸钾法", "construction_status": "已建成",
            "unit": "mg/L", "current_maintainer": "上海清源环境运维有限公司",
            "previous_maintainer": "无", "manufacturer": "哈希公司", "serial_number": "HACH-001",
            "install_point_name": "废水总排口", "install_point_code": "DW001",
            "system_producer": "上海水质仪器有限公司", "system_installer": "上海环境工程有限公司",
            "range_lower": 0, "range_upper": 500}


def cems(factor="a21026"):
    return {"kind": "cems", "factor_code": factor, "model": "URA-208A", "brand": "富士",
            "serial_number": "FJ-2023-77", "method_principle": "非分散红外",
            "construction_status": "已建成", "unit": "mg/m3",
            "current_maintainer": "上海清源环境运维有限公司", "install_point_name": "1#锅炉排口",
            "install_point_code": "DA001", "system_producer": "上海烟气监测设备有限公司",
            "system_installer": "上海环境工程有限公司", "range_lower": 0, "range_upper": 200,
            "reference_o2_pct": 9.0, "velocity_field_coefficient": 1.12, "cross_section_m2": 3.14,
            "detection_limit": 1.0, "pitot_coefficient": 0.84}
