"""Chinese is the source language; every string the portal shows has its English translation."""

import re
import shutil
from pathlib import Path

from django.core.management import call_command
from django.test import override_settings

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"
# Where gettext strings live; tests, benchmarks and tools are not shown to anybody.
SOURCES = ("demo", "frontend", "geo", "portal", "sharing")


def entries(po: Path = PO):
    """(msgid, msgstr, fuzzy) of each live entry; read line by line, so that two entries
    without a blank line between them are still two."""
    msgid = msgstr = None
    fuzzy = next_fuzzy = False
    field = None
    for line in [*po.read_text(encoding="utf-8").splitlines(), "msgid END"]:
        if line.startswith("#~"):
            continue
        if line.startswith("#,"):
            next_fuzzy = "fuzzy" in line
        elif line.startswith("msgid ") or line.startswith("msgctxt "):
            if msgid is not None and field == "msgstr":
                yield msgid, msgstr, fuzzy
                msgid = None
            if line.startswith("msgid "):
                msgid, msgstr, fuzzy, next_fuzzy = "", "", next_fuzzy, False
                field = "msgid"
        elif line.startswith("msgid_plural"):
            field = "plural"
        elif line.startswith("msgstr"):
            field = "msgstr"
        if field and '"' in line and not line.startswith("#"):
            text = re.match(r'^[^"]*"(.*)"\s*$', line)
            if text and field == "msgid":
                msgid += text.group(1)
            elif text and field == "msgstr":
                msgstr += text.group(1)


def test_every_message_has_an_english_translation():
    missing = [msgid for msgid, msgstr, fuzzy in entries() if msgid and (not msgstr or fuzzy)]
    assert missing == []


def test_the_message_file_holds_every_string_of_the_code_and_templates(tmp_path, monkeypatch):
    """makemessages over a copy of the sources (so the committed file is left alone): a string
    added to a page or the code and missing from django.po fails here, naming the string."""
    for name in SOURCES:
        shutil.copytree(
            ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
    locale = tmp_path / "locale"
    shutil.copytree(ROOT / "locale", locale, ignore=shutil.ignore_patterns("*.mo"))
    monkeypatch.chdir(tmp_path)
    with override_settings(LOCALE_PATHS=[str(locale)]):
        call_command("makemessages", locale=["en"], verbosity=0)

    fresh = {msgid for msgid, _msgstr, _fuzzy in entries(locale / "en/LC_MESSAGES/django.po")}
    translated = {msgid for msgid, msgstr, fuzzy in entries() if msgstr and not fuzzy}
    missing = sorted(fresh - translated - {""})
    assert not missing, "no English translation in django.po for:\n" + "\n".join(missing)
