"""Official identifiers: unified social credit code (GB 32100-2015), resident ID, vehicle plates."""
import pytest

from registry.domain.codes import (credit_code_check_digit, normalise_credit_code, normalise_plate,
                                   normalise_resident_id)
from tests import builders as b

# A real-shaped code: 9 (工商) 1 (企业) 310115 (浦东) + organisation code + check digit.
FIRST17 = "91310115MA1H00001"


def test_a_credit_code_with_the_right_check_digit_is_accepted():
    code = FIRST17 + credit_code_check_digit(FIRST17)
    assert normalise_credit_code(code) == code


def test_the_check_digit_is_computed_per_gb_32100():
    # Worked by hand: weights 1,3,9,27,19,26,16,17,20,29,25,13,8,24,10,30,28 mod 31 over the
    # code's characters (letters without I, O, Z, S, V); 31 - sum % 31 maps back to a character.
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    total = sum(alphabet.index(c) * w for c, w in zip(FIRST17, weights))
    assert credit_code_check_digit(FIRST17) == alphabet[(31 - total % 31) % 31]


def test_a_credit_code_with_a_wrong_check_digit_is_refused():
    right = credit_code_check_digit(FIRST17)
    wrong = next(c for c in "0123456789ABCDEFGHJKLMNPQRTUWXY" if c != right)
    with pytest.raises(ValueError, match="校验位错误"):
        normalise_credit_code(FIRST17 + wrong)


@pytest.mark.parametrize("code", [FIRST17, FIRST17 + "00"])
def test_a_credit_code_of_the_wrong_length_is_refused(code):
    with pytest.raises(ValueError, match="长度错误"):
        normalise_credit_code(code)


def test_a_credit_code_with_forbidden_letters_is_refused():
    with pytest.raises(ValueError, match="统一社会信用代码无效"):
        normalise_credit_code("91310115MA1HOOOOI")  # O and I are not in the alphabet
    with pytest.raises(ValueError):
        normalise_credit_code("")


def test_the_builders_make_valid_credit_codes():
    for n in range(1, 20):
        code = b.credit_code(n)
        assert normalise_credit_code(code) == code


def test_a_resident_id_with_a_valid_date_and_check_digit_is_accepted():
    number = b.resident_id(7)
    assert normalise_resident_id(number) == number


def test_a_resident_id_with_a_wrong_check_digit_is_refused():
    number = b.resident_id(7)
    wrong = "0" if number[-1] != "0" else "1"
    with pytest.raises(ValueError, match="身份证号无效"):
        normalise_resident_id(number[:-1] + wrong)


def test_a_resident_id_with_an_impossible_birth_date_is_refused():
    with pytest.raises(ValueError):
        normalise_resident_id("310101199002300011")  # 30 February


def test_a_resident_id_of_the_wrong_length_is_refused():
    with pytest.raises(ValueError, match="长度错误"):
        normalise_resident_id("31010119900307001")


@pytest.mark.parametrize("raw, plate", [
    ("沪A12345", "沪A12345"),
    ("沪a·12345", "沪A12345"),
    ("沪A 1234D", "沪A1234D"),       # new-energy large vehicle
    ("沪AD12345", "沪AD12345"),     # new-energy small vehicle
    ("苏E8K9X2", "苏E8K9X2"),
])
def test_a_plate_is_accepted_in_canonical_form(raw, plate):
    assert normalise_plate(raw) == plate


@pytest.mark.parametrize("raw", ["", None, "A12345", "沪I12345", "沪A1234", "沪A1234567", "沪AO1234",
                                 "港A12345"])
def test_a_malformed_plate_is_refused(raw):
    with pytest.raises(ValueError, match="车牌号格式不正确"):
        normalise_plate(raw)
