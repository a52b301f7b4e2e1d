"""What free text may hold, decided once: no control characters; line breaks and tabs only
where a text has several lines."""

import pytest
from django.core.exceptions import ValidationError
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from portal.text import (
    CONTROL_CHARACTERS,
    HIDDEN_CHARACTERS,
    ControlCharacterValidator,
    refuse_control_characters,
)

C0_BUT_TAB_AND_LINE_BREAKS = [chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"] + ["\x7f"]


@pytest.mark.parametrize("control", C0_BUT_TAB_AND_LINE_BREAKS)
@pytest.mark.parametrize("multiline", [True, False])
def test_every_control_character_is_refused_and_named(control, multiline):
    with pytest.raises(ValidationError) as refused:
        refuse_control_characters(f"样品{control}说明", multiline=multiline)
    assert f"U+{ord(control):04X}" in refused.value.messages[0]
    assert refused.value.code == "control_character"


@pytest.mark.parametrize("text", ["第一行\n第二行", "列一\t列二", "Windows\r\n换行", "\n\t\r"])
def test_tabs_and_line_breaks_are_welcome_in_a_text_of_several_lines(text):
    refuse_control_characters(text, multiline=True)


@pytest.mark.parametrize("text", ["第一行\n第二行", "列一\t列二", "回车\r"])
def test_a_single_line_refuses_tabs_and_line_breaks(text):
    with pytest.raises(ValidationError) as refused:
        refuse_control_characters(text, multiline=False)
    assert "一行" in refused.value.messages[0]


VISIBLE = ["", "场发射扫描电子显微镜", "＝１", "emoji 🔬", "\u202eTXT.exe", "a\u00a0b", "x" * 5000]


@pytest.mark.parametrize("text", VISIBLE)
def test_ordinary_and_unusual_but_visible_text_passes(text):
    refuse_control_characters(text, multiline=False)


def test_the_validator_is_the_rule_and_survives_a_migration():
    validator = ControlCharacterValidator(multiline=True)
    path, args, kwargs = validator.deconstruct()
    assert path == "portal.text.ControlCharacterValidator"
    assert (args, kwargs) == ((), {"multiline": True})
    assert validator == ControlCharacterValidator(multiline=True)
    assert validator != ControlCharacterValidator(multiline=False)
    with pytest.raises(ValidationError):
        validator("\x01")


def test_what_input_refuses_is_what_exports_strip_and_feeds_refuse():
    for code in range(0x80):
        char = chr(code)
        if ILLEGAL_CHARACTERS_RE.match(char):
            assert CONTROL_CHARACTERS.match(char)
        assert bool(CONTROL_CHARACTERS.match(char)) == (char in C0_BUT_TAB_AND_LINE_BREAKS)
        assert bool(HIDDEN_CHARACTERS.match(char)) == (char in C0_BUT_TAB_AND_LINE_BREAKS)
    assert HIDDEN_CHARACTERS.match("\u202e") and not CONTROL_CHARACTERS.match("\u202e")
