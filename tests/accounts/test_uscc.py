import pytest
from django.core.exceptions import ValidationError

from portal.accounts import uscc

# A published example code from GB 32100-2015 material and one made with make().
KNOWN_GOOD = "91350100M000100Y43"


def test_it_accepts_a_code_with_the_right_check_character():
    assert uscc.is_valid(KNOWN_GOOD)
    assert uscc.is_valid(uscc.make("12500000450400604"))


def test_it_rejects_a_wrong_check_character():
    bad = KNOWN_GOOD[:-1] + ("0" if KNOWN_GOOD[-1] != "0" else "1")
    assert not uscc.is_valid(bad)


@pytest.mark.parametrize(
    "code", ["", "123", "91350100M000100Y4", "91350100M000100Y43X", "9135010OM000100Y43"]
)
def test_it_rejects_bad_length_or_letters(code):
    assert not uscc.is_valid(code)
    with pytest.raises(ValidationError):
        uscc.validate_uscc(code)


def test_it_normalises_full_width_and_lower_case():
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in KNOWN_GOOD.lower())
    assert uscc.normalise(full_width) == KNOWN_GOOD
