"""What free text typed into the portal may hold, decided once.

No control characters (C0 other than tab and line breaks, and DEL): nobody types them, and
they hide things, such as a formula behind "\\x01" in an export. Tabs and line breaks only in
a text of several lines (a TextField, a textarea); a single line (a title, a name, a number)
refuses them too. Model fields, page forms and API serializers carry ControlCharacterValidator,
so the API answers 400 naming the field and a page shows the error next to it.

The catalogue feed refuses the same controls plus bidirectional overrides (HIDDEN_CHARACTERS);
exports strip CONTROL_CHARACTERS from text stored before the rule (portal/spreadsheets.py).
"""

import re

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f"
_LINE_BREAKS_AND_TAB = "\t\n\r"
# Bidirectional overrides and isolates: U+202E shows "exe.txt" as "txt.exe".
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"

CONTROL_CHARACTERS = re.compile(f"[{_CONTROLS}]")
_NOT_ON_ONE_LINE = re.compile(f"[{_CONTROLS}{_LINE_BREAKS_AND_TAB}]")
HIDDEN_CHARACTERS = re.compile(f"[{_BIDI}{_CONTROLS}]")


def refuse_control_characters(value, *, multiline: bool) -> None:
    """Raise ValidationError naming the first control character in ``value``; tabs and line
    breaks count only when ``multiline`` is false. Anything but text passes."""
    if not isinstance(value, str):
        return
    found = (CONTROL_CHARACTERS if multiline else _NOT_ON_ONE_LINE).search(value)
    if found is None:
        return
    char = found.group()
    message = (
        _("此处只能填一行，含有换行符或制表符 U+%(code)s，请删除。")
        if char in _LINE_BREAKS_AND_TAB
        else _("含有不可见的控制字符 U+%(code)s，请删除。")
    )
    raise ValidationError(message, code="control_character", params={"code": f"{ord(char):04X}"})


@deconstructible(path="portal.text.ControlCharacterValidator")
class ControlCharacterValidator:
    """refuse_control_characters as a field validator (models, forms and DRF alike)."""

    def __init__(self, *, multiline: bool = False):
        self.multiline = multiline

    def __call__(self, value) -> None:
        refuse_control_characters(value, multiline=self.multiline)

    def __eq__(self, other) -> bool:
        return isinstance(other, ControlCharacterValidator) and other.multiline == self.multiline

    def __hash__(self) -> int:
        return hash((ControlCharacterValidator, self.multiline))


ONE_LINE = ControlCharacterValidator(multiline=False)
SEVERAL_LINES = ControlCharacterValidator(multiline=True)


_ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


def one_line(text: str | None, *, limit: int = 300) -> str:
    """Text for one line (an e-mail subject, a calendar field): control characters, CR/LF
    included, become spaces; at most ``limit`` characters."""
    return _ANY_CONTROL.sub(" ", text or "").strip()[:limit]
