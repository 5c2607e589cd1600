"""The English catalog: interface strings written in Chinese come out in English for English users,
Chinese users still get Chinese, and the committed .mo matches the .po it was compiled from."""

import ast
import gettext
import io
import re
from pathlib import Path

import pytest

from django.conf import settings
from django.utils import translation

from home.demo import seed_channels, seed_pages
from home.models import HomePage
from snippets.models import InspectionRound, Issue
from workflows.choices import EscalationLevel, Stage

CATALOG_DIR = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES"
PO_PATH = CATALOG_DIR / "django.po"
MO_PATH = CATALOG_DIR / "django.mo"


def _read_po(path):
    """(msgid, msgstr, flags) for every entry of a .po file; plural entries give msgstr[0]."""
    entries = []
    msgid = msgstr = None
    flags = set()
    field = None

    def flush():
        if msgid is not None:
            entries.append((msgid, msgstr or "", frozenset(flags)))

    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = line.strip()
        if not line:
            flush()
            msgid = msgstr = None
            flags = set()
            field = None
        elif line.startswith("#,"):
            flags.update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        else:
            match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(".*")$', line)
            if match:
                field = match.group(1)
                value = ast.literal_eval(match.group(2))
                if field == "msgid":
                    msgid = value
                elif field in ("msgstr", "msgstr[0]"):
                    msgstr = value
            else:
                value = ast.literal_eval(line)
                if field == "msgid":
                    msgid += value
                elif field in ("msgstr", "msgstr[0]"):
                    msgstr += value
    return [entry for entry in entries if entry[0] != ""]


@pytest.fixture
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def public_site(db):
    out = io.StringIO()
    seed_channels(out)
    seed_pages(out)
    assert HomePage.objects.live().exists()


def test_every_entry_of_the_english_catalog_is_translated_and_none_is_fuzzy():
    entries = _read_po(PO_PATH)
    assert len(entries) > 700
    untranslated = [msgid for msgid, msgstr, _flags in entries if not msgstr]
    fuzzy = [msgid for msgid, _msgstr, flags in entries if "fuzzy" in flags]
    assert untranslated == []
    assert fuzzy == []


def test_the_committed_mo_holds_every_translation_of_the_po_so_a_forgotten_compile_fails():
    with MO_PATH.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = [
        msgid
        for msgid, msgstr, flags in _read_po(PO_PATH)
        if msgstr and "fuzzy" not in flags and compiled.gettext(msgid) != msgstr
    ]
    assert stale == [], "run `manage.py compilemessages -l en` and commit django.mo"


def test_rectification_stages_and_escalation_levels_are_labelled_in_english(english):
    assert str(Stage.CLOSED.label) == "Closed (signed off)"
    assert str(Stage.REPORTED.label) == "Registered"
    assert str(EscalationLevel.SUPERVISION.label) == "Supervision"
    assert str(EscalationLevel.NOTICE.label) == "Public notice"


def test_rectification_stages_stay_in_chinese_for_chinese_users():
    with translation.override("zh-hans"):
        assert str(Stage.CLOSED.label) == "已销号"
        assert str(EscalationLevel.SUPERVISION.label) == "督办"


def test_inspection_models_have_english_names(english):
    assert str(Issue._meta.verbose_name) == "Issue"
    assert str(InspectionRound._meta.verbose_name) == "Inspection round"
    assert str(Issue._meta.get_field("deadline").verbose_name) == "Rectification deadline"


def test_every_representative_string_differs_from_its_chinese_original():
    lazy_strings = [
        Stage.ASSIGNED.label,
        Issue._meta.verbose_name,
        InspectionRound._meta.verbose_name,
        HomePage._meta.get_field("hero_alt").verbose_name,
    ]
    with translation.override("zh-hans"):
        chinese = [str(text) for text in lazy_strings]
    with translation.override("en"):
        english = [str(text) for text in lazy_strings]
    for zh, en in zip(chinese, english, strict=True):
        assert zh != en
        assert en.isascii(), en


def test_home_page_model_fields_are_labelled_in_english(english):
    assert str(HomePage._meta.get_field("hero_alt").verbose_name) == "Header image alternative text"
    assert str(HomePage._meta.verbose_name) == "Home"


def test_the_public_home_page_speaks_english_to_a_browser_that_asks_for_english(client, public_site):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="en"' in html
    assert "Skip to main content" in html
    assert "Total donations received" in html
    assert "Official donation channels" in html
    assert "跳到正文" not in html
    assert "累计接收捐赠" not in html


def test_the_public_home_page_speaks_chinese_to_a_chinese_browser(client, public_site):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert response.status_code == 200
    html = response.content.decode()
    assert "跳到正文" in html
    assert "累计接收捐赠" in html
    assert "Skip to main content" not in html
    assert "Total donations received" not in html
