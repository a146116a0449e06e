"""Account rules, one value each: the registry enforces them, the gateway checks them at its edge and
states them in its OpenAPI document."""
import re

USERNAME = re.compile(r"^[A-Za-z0-9_.\-]{4,32}$")
USERNAME_MESSAGE = "用户名为4到32位字母、数字或 _ . -"
PASSWORD_MIN_LENGTH = 10
PASSWORD_LENGTH_MESSAGE = f"密码至少{PASSWORD_MIN_LENGTH}位"
PASSWORD_CLASSES_MESSAGE = "密码须包含大写字母、小写字母、数字、符号中的至少三类"
_CLASSES = (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z0-9]")


def too_few_classes(password: str) -> bool:
    return sum(bool(re.search(p, password)) for p in _CLASSES) < 3


def password_problem(password: str) -> str | None:
    if len(password) < PASSWORD_MIN_LENGTH:
        return PASSWORD_LENGTH_MESSAGE
    if too_few_classes(password):
        return PASSWORD_CLASSES_MESSAGE
    return None
