"""Chinese is the source language; every string the portal shows has its English translation."""

import re
from pathlib import Path

PO = Path(__file__).resolve().parents[2] / "locale" / "en" / "LC_MESSAGES" / "django.po"


def entries():
    for block in PO.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#~")]
        text = "\n".join(lines)
        msgid = "".join(re.findall(r'"(.*)"', text.split("msgstr")[0].split("msgid", 1)[-1]))
        msgstr = (
            "".join(re.findall(r'"(.*)"', text.split("msgstr", 1)[-1])) if "msgstr" in text else ""
        )
        if "msgid" in text:
            yield msgid, msgstr, "#, fuzzy" in text


def test_every_message_has_an_english_translation():
    missing = [msgid for msgid, msgstr, fuzzy in entries() if msgid and (not msgstr or fuzzy)]
    assert missing == []
