"""Chinese names for the registry's field and action names, for audit trails, change requests
and device histories (the registry speaks English identifiers; people read Chinese)."""

FIELD_LABELS = {
    # institution basic information
    "name": "名称", "type": "机构类型", "credit_code": "统一社会信用代码",
    "legal_representative": "法定代表人", "contact_person": "联系人", "contact_phone": "联系电话",
    "email": "电子邮箱", "website": "网站地址", "address": "地址", "lab_address": "实验室地址",
    "district": "所属区", "registered_capital": "注册资本（万元）", "capabilities": "业务能力",
    "status": "状态", "industry": "所属行业",
    # staff
    "gender": "性别", "id_number": "身份证号", "education": "学历", "post": "岗位", "title": "职称",
    "is_professional": "专业技术人员", "technical_role": "技术岗位", "certificate": "运维能力评定证书",
    "certificate.number": "证书编号", "certificate.issuer": "发证单位", "certificate.category": "证书类别",
    "certificate.valid_from": "有效期起", "certificate.valid_until": "有效期止",
    "number": "证书编号", "issuer": "发证单位", "category": "证书类别",
    "valid_from": "有效期起", "valid_until": "有效期止", "resigned": "已离职",
    # equipment
    "asset_number": "资产编号", "serial_number": "出厂编号", "model": "型号",
    "calibration_certificate_no": "检定/校准证书编号", "calibration_valid_until": "检定/校准有效期至",
    # vehicles
    "plate": "车牌号", "ownership": "权属", "licence_no": "行驶证号", "lessor": "出租方",
    "lease_start": "租赁开始日期", "lease_end": "租赁结束日期",
    # spare parts
    "quantity": "数量", "value": "价值（元）", "storage_location": "存放地点",
    # outlets
    "kind": "类型", "permit_point_code": "排污许可证点位编号", "longitude": "经度", "latitude": "纬度",
    "crs": "坐标系",
    # devices (seed 003)
    "factor_code": "分析因子", "brand": "品牌", "origin": "国产/进口", "method_principle": "方法原理",
    "construction_status": "建设情况", "unit": "计量单位", "current_maintainer": "本次运维商",
    "previous_maintainer": "上次运维商", "manufacturer": "生产商",
    "production_licence_no": "生产许可证编号", "test_report_no": "检测报告编号",
    "install_point_name": "安装点位名称", "install_point_code": "安装点位编号",
    "system_producer": "系统生产单位", "system_installer": "系统安装单位",
    "range_lower": "量程下限", "range_upper": "量程上限", "reference_o2_pct": "基准氧含量(%)",
    "velocity_field_coefficient": "速度场系数", "cross_section_m2": "截面积(m²)",
    "detection_limit": "检出限", "pitot_coefficient": "皮托管系数", "functions": "支持功能",
    "mixed_sample_ready": "是否混样改造完成", "refrigerated": "是否具备冷藏功能",
    "changed_on": "变更发生日期", "reason": "原因",
    "staff": "人员", "equipment": "设备", "vehicles": "运维车辆", "spare_parts": "备品备件",
    "payload": "变更内容", "item_id": "条目", "target": "变更类别", "op": "变更方式",
    "roles": "角色", "staff_id": "关联备案人员", "username": "用户名", "password": "密码",
    "password_confirm": "确认密码", "old_password": "原密码", "new_password": "新密码",
    "decision": "审核结论", "note": "说明",
}

AUDIT_ACTIONS = {
    "register": "注册",
    "update_basic": "修改基本信息",
    "add_staff": "新增人员", "update_staff": "修改人员", "remove_staff": "删除人员",
    "add_equipment": "新增设备", "update_equipment": "修改设备", "remove_equipment": "删除设备",
    "add_vehicles": "新增车辆", "update_vehicles": "修改车辆", "remove_vehicles": "删除车辆",
    "add_spare_parts": "新增备品备件", "update_spare_parts": "修改备品备件",
    "remove_spare_parts": "删除备品备件",
    "change_requested": "提交信息变更申请", "change_approved": "信息变更申请通过",
    "change_rejected": "信息变更申请驳回", "change_applied": "信息变更生效",
}

OWNERSHIP = {"owned": "自有", "leased": "租赁"}

# The four kinds of 二审 items: URL spelling, registry target, Chinese name.
SECTIONS = {
    "staff": ("staff", "人员"),
    "equipment": ("equipment", "设备"),
    "vehicles": ("vehicles", "运维车辆"),
    "spare-parts": ("spare_parts", "备品备件"),
}
TARGET_TO_SECTION = {target: slug for slug, (target, _) in SECTIONS.items()}


def field_label(name):
    name = str(name)
    if name in FIELD_LABELS:
        return FIELD_LABELS[name]
    tail = name.rsplit(".", 1)[-1]
    tail = tail.split("[", 1)[0]  # "staff[0]" → "staff"
    return FIELD_LABELS.get(tail, name)


def show_value(value, field=None, ref=None):
    """A stored value as a person reads it: codes as their labels, booleans as 是/否."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return number(value)
    ref = ref or {}
    tail = str(field or "").rsplit(".", 1)[-1]
    tables = {"type": ref.get("institution_types"), "technical_role": ref.get("technical_roles"),
              "capabilities": ref.get("capabilities"), "ownership": OWNERSHIP,
              "status": ref.get("filing_statuses")}
    table = tables.get(tail) or {}
    if isinstance(value, list):
        return "、".join(str(table.get(v, v)) if isinstance(v, str) else show_value(v, None, ref)
                        for v in value)
    if isinstance(value, dict):
        return "；".join(f"{field_label(k)}：{show_value(v, k, ref)}" for k, v in value.items()
                        if k != "id")
    if isinstance(value, str):
        if tail == "id_number" and len(value) > 10:  # resident IDs are not shown in full
            return value[:6] + "*" * (len(value) - 10) + value[-4:]
        return table.get(value, value)
    return str(value)


def number(value):
    """1.0 → "1", 1.12 → "1.12": stored floats as people write them."""
    if value is None or value == "":
        return "—"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)
