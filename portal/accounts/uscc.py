"""统一社会信用代码 (unified social credit code, GB 32100-2015): 18 characters, last one a check."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def check_character(first17: str) -> str:
    total = sum(ALPHABET.index(ch) * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


# Full-width characters and lower case arrive from spreadsheets typed on Chinese keyboards.
_HALF_WIDTH = {0xFF10 + i: ord("0") + i for i in range(10)}
_HALF_WIDTH.update({0xFF21 + i: ord("A") + i for i in range(26)})
_HALF_WIDTH.update({0xFF41 + i: ord("A") + i for i in range(26)})


def normalise(code: str) -> str:
    return code.translate(_HALF_WIDTH).strip().upper() if code else ""


def is_valid(code: str) -> bool:
    if len(code) != 18 or any(ch not in ALPHABET for ch in code):
        return False
    return check_character(code[:17]) == code[17]


def validate_uscc(code: str) -> None:
    if not is_valid(code):
        raise ValidationError(
            _("统一社会信用代码应为 18 位且校验位正确。"),
            code="invalid_uscc",
            params={"value": code},
        )


def make(first17: str) -> str:
    """A code with its check character, for demo and test data."""
    return first17 + check_character(first17)
