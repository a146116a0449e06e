"""Official identifiers: unified social credit code (GB 32100-2015), resident ID, vehicle plates."""
import re

from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError as _StdnumError

_PLATE = re.compile(
    r"^[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼]"
    r"[A-HJ-NP-Z]"
    r"(?:[A-HJ-NP-Z0-9]{5}|[DF][A-HJ-NP-Z0-9]{5}|[A-HJ-NP-Z0-9]{5}[DF])$")


def normalise_credit_code(value: str) -> str:
    """The code in canonical form; raises ValueError naming the problem."""
    try:
        return uscc.validate(value)
    except _StdnumError as exc:
        raise ValueError(f"统一社会信用代码无效（{_reason(exc)}）") from None


def credit_code_check_digit(first17: str) -> str:
    return uscc.calc_check_digit(first17)


def normalise_resident_id(value: str) -> str:
    try:
        return ric.validate(value)
    except _StdnumError as exc:
        raise ValueError(f"身份证号无效（{_reason(exc)}）") from None


def normalise_plate(value: str) -> str:
    plate = (value or "").replace(" ", "").replace("·", "").upper()
    if not _PLATE.match(plate):
        raise ValueError("车牌号格式不正确")
    return plate


def _reason(exc):
    name = type(exc).__name__
    return {
        "InvalidChecksum": "校验位错误",
        "InvalidLength": "长度错误",
        "InvalidFormat": "格式错误",
        "InvalidComponent": "编码错误",
    }.get(name, "格式错误")
