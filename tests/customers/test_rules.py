"""Pure rules: validators, masking, pinyin keys and birthday windows."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from customers import validators
from customers.birthdays import celebrated_on, lunar_mds_in, next_birthday, solar_mds_in
from customers.models import mask_id_number, mask_mobile
from customers.pinyin import name_keys


@pytest.mark.parametrize(
    "good", ["11010519491231002X", "11010519491231002x", " 440524188001010014 "]
)
def test_resident_ids_with_a_right_check_digit_pass(good):
    assert validators.normalise_resident_id(good) == good.strip().upper()


@pytest.mark.parametrize(
    ("bad", "code"),
    [
        ("110105194912310021", "id_check_digit"),
        ("11010519491231002", "id_format"),
        ("1101051949123100XX", "id_format"),
        ("", "id_format"),
    ],
)
def test_resident_ids_with_a_wrong_format_or_check_digit_fail(bad, code):
    with pytest.raises(ValidationError) as error:
        validators.normalise_resident_id(bad)
    assert error.value.code == code


def test_unified_social_credit_codes_are_checked():
    assert validators.normalise_uscc("91350100m000100y43") == "91350100M000100Y43"
    with pytest.raises(ValidationError):
        validators.normalise_uscc("91350100M000100Y44")
    with pytest.raises(ValidationError):
        validators.normalise_uscc("91350100M000100Y4")


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("13812345678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("0086 13812345678", "13812345678"),
    ],
)
def test_mobiles_are_normalised(raw, clean):
    assert validators.normalise_mobile(raw) == clean


@pytest.mark.parametrize("bad", ["12812345678", "1381234567", "138123456789", "abc"])
def test_bad_mobiles_are_refused_in_chinese(bad, settings):
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(ValidationError) as error:
        validators.normalise_mobile(bad)
    assert "11 位" in error.value.messages[0]


def test_masking_keeps_the_region_and_the_last_four():
    assert mask_id_number("110101199003071234") == "110101********1234"
    assert mask_mobile("13812345678") == "138****5678"
    assert mask_id_number("") == mask_mobile("") == ""
    assert mask_id_number("E1234567") == "E*******"


@pytest.mark.parametrize(
    ("name", "full", "initials"),
    [
        ("张伟", "zhangwei", "zw"),
        ("单伟", "shanwei", "sw"),
        ("曾国藩", "zengguofan", "zgf"),
        ("解放", "xiefang", "xf"),
        ("仇英", "qiuying", "qy"),
        ("欧阳娜娜", "ouyangnana", "oynn"),
        ("尉迟恭", "yuchigong", "ycg"),
        ("Tom Li", "tomli", "tl"),
    ],
)
def test_names_get_pinyin_keys_with_surnames_read_right(name, full, initials):
    assert name_keys(name) == (full, initials)


def test_company_names_are_not_read_as_surnames():
    assert name_keys("单县农业公司", person=False)[0].startswith("dan")


def test_birthday_windows_cross_the_year_end():
    mds = solar_mds_in(date(2026, 12, 30), date(2027, 1, 2))
    assert mds == {1230, 1231, 101, 102}


def test_29_february_is_celebrated_on_28_february_in_common_years():
    assert 229 in solar_mds_in(date(2027, 2, 28), date(2027, 2, 28))
    assert 229 not in solar_mds_in(date(2028, 2, 28), date(2028, 2, 28))
    assert celebrated_on(date(1984, 2, 29), False, 2027) == date(2027, 2, 28)
    assert celebrated_on(date(1984, 2, 29), False, 2028) == date(2028, 2, 29)


def test_lunar_birthdays_move_with_the_lunar_calendar():
    born = date(1980, 9, 25)  # lunar 8th month, 17th day
    assert celebrated_on(born, True, 2026) == date(2026, 9, 27)
    assert celebrated_on(born, True, 2027) == date(2027, 9, 17)
    assert 817 in lunar_mds_in(date(2026, 9, 27), date(2026, 9, 27))


def test_next_birthday_rolls_into_next_year():
    assert next_birthday(date(1990, 1, 5), False, date(2026, 11, 22)) == date(2027, 1, 5)
    assert next_birthday(date(1990, 11, 22), False, date(2026, 11, 22)) == date(2026, 11, 22)
