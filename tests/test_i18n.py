"""The translation catalogues: complete, compiled, and used by the pages."""

import gettext as gettext_module
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
LANGUAGES = ("ja", "en")

_STRING = r'"(?:[^"\\]|\\.)*"'
_ENTRY = re.compile(
    rf"^msgid (?P<msgid>{_STRING}(?:\n{_STRING})*)\n"
    rf"(?:msgid_plural (?P<plural>{_STRING}(?:\n{_STRING})*)\n)?"
    rf"(?P<msgstrs>(?:msgstr(?:\[\d+\])? {_STRING}(?:\n{_STRING})*\n?)+)",
    re.MULTILINE,
)
_MSGSTR = re.compile(rf"^msgstr(?:\[\d+\])? (?P<value>{_STRING}(?:\n{_STRING})*)", re.MULTILINE)


def _unquote(block: str) -> str:
    """Join the quoted lines of a .po string and undo its escapes."""
    parts = re.findall(_STRING, block)
    return (
        "".join(p[1:-1] for p in parts)
        .encode()
        .decode("unicode_escape")
        .encode("latin-1")
        .decode("utf-8")
    )


def _po_entries(lang: str) -> list[tuple[str, list[str]]]:
    """(msgid, [msgstr, ...]) for every entry of a .po file except the header and obsolete ones."""
    text = (LOCALE_DIR / lang / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    entries = []
    for match in _ENTRY.finditer(text):
        msgid = _unquote(match["msgid"])
        if msgid:
            msgstrs = [_unquote(m["value"]) for m in _MSGSTR.finditer(match["msgstrs"])]
            entries.append((msgid, msgstrs))
    return entries


def _fuzzy_flags(lang: str) -> int:
    text = (LOCALE_DIR / lang / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    return len(re.findall(r"^#,.*\bfuzzy\b", text, re.MULTILINE))


def test_gettext_uses_the_japanese_catalogue():
    with translation.override("ja"):
        assert translation.gettext("Anonymous") == "名無しさん"
        removed = translation.gettext("This comment has been removed.")
        assert removed == "このコメントは削除されました"
        assert (
            translation.ngettext("%(counter)s comment", "%(counter)s comments", 3) % {"counter": 3}
            == "コメント3件"
        )


def test_english_falls_back_to_the_msgids():
    with translation.override("en"):
        assert translation.gettext("Anonymous") == "Anonymous"
        assert (
            translation.ngettext("%(counter)s comment", "%(counter)s comments", 1) % {"counter": 1}
            == "1 comment"
        )
        assert (
            translation.ngettext("%(counter)s comment", "%(counter)s comments", 2) % {"counter": 2}
            == "2 comments"
        )


def test_every_japanese_msgid_is_translated():
    entries = _po_entries("ja")
    assert len(entries) > 50
    untranslated = [msgid for msgid, msgstrs in entries if not msgstrs or not all(msgstrs)]
    assert untranslated == []


def test_japanese_translations_keep_their_placeholders():
    placeholder = re.compile(r"%\(\w+\)[sd]")
    for msgid, msgstrs in _po_entries("ja"):
        for msgstr in msgstrs:
            assert sorted(placeholder.findall(msgstr)) == sorted(placeholder.findall(msgid)), msgid


@pytest.mark.parametrize("lang", LANGUAGES)
def test_po_headers(lang):
    text = (LOCALE_DIR / lang / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    assert f'"Language: {lang}\\n"' in text
    assert '"Content-Type: text/plain; charset=UTF-8\\n"' in text
    plural_forms = "nplurals=1; plural=0;" if lang == "ja" else "nplurals=2; plural=(n != 1);"
    assert f'"Plural-Forms: {plural_forms}\\n"' in text
    assert _fuzzy_flags(lang) == 0


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="needs msgfmt (GNU gettext)")
@pytest.mark.parametrize("lang", LANGUAGES)
def test_compiled_catalogue_matches_the_po_file(lang, tmp_path):
    """The committed .mo holds exactly what compiling the committed .po gives."""
    po = LOCALE_DIR / lang / "LC_MESSAGES" / "django.po"
    mo = LOCALE_DIR / lang / "LC_MESSAGES" / "django.mo"
    assert mo.is_file(), f"{mo} is missing: run manage.py compilemessages"
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check-format", "-o", str(fresh), str(po)], check=True)
    with mo.open("rb") as committed_file, fresh.open("rb") as fresh_file:
        committed = gettext_module.GNUTranslations(committed_file)
        expected = gettext_module.GNUTranslations(fresh_file)
    assert committed._catalog == expected._catalog, "stale .mo: run manage.py compilemessages"


@pytest.mark.django_db
def test_home_page_in_english(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    content = response.content.decode()
    assert '<html lang="en">' in content
    assert "<h1>Articles</h1>" in content
    assert "記事一覧" not in content


@pytest.mark.django_db
def test_home_page_in_japanese(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 200
    content = response.content.decode()
    assert '<html lang="ja">' in content
    assert "<h1>記事一覧</h1>" in content
    assert "<title>フォーラム</title>" in content
    assert "<h1>Articles</h1>" not in content


def _po_blocks(text: str) -> dict[tuple[str, str], list[str]]:
    """(msgctxt, msgid) -> [msgstr, ...] for every live entry of a .po file but the header,
    with the entries marked fuzzy given no translation (gettext does not use them)."""
    found = {}
    for block in re.split(r"\n\s*\n", text):
        lines = [line for line in block.splitlines() if not line.startswith("#~")]
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        body = "\n".join(line for line in lines if not line.startswith("#"))
        msgid = re.search(rf"^msgid (?P<v>{_STRING}(?:\n{_STRING})*)", body, re.MULTILINE)
        if msgid is None or not _unquote(msgid["v"]):
            continue
        context = re.search(rf"^msgctxt (?P<v>{_STRING}(?:\n{_STRING})*)", body, re.MULTILINE)
        msgstrs = [_unquote(m["value"]) for m in _MSGSTR.finditer(body)]
        key = (_unquote(context["v"]) if context else "", _unquote(msgid["v"]))
        found[key] = [] if fuzzy else msgstrs
    return found


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs xgettext (GNU gettext)")
def test_every_translatable_string_in_the_code_has_a_japanese_translation(tmp_path):
    """makemessages, run on a copy of the code, finds no string the Japanese catalogue lacks."""
    import os
    import sys

    base = Path(settings.BASE_DIR)
    for part in ("articles", "forum", "templates"):
        shutil.copytree(base / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "locale").mkdir()
    # Without settings, so that makemessages writes to the copy's locale/, not the project's.
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "ja", "--no-location"],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
    )
    extracted = _po_blocks(
        (tmp_path / "locale" / "ja" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    )
    catalogue = _po_blocks(
        (LOCALE_DIR / "ja" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    )
    assert len(extracted) > 50
    missing = sorted(key for key in extracted if not catalogue.get(key) or not all(catalogue[key]))
    assert missing == [], missing
