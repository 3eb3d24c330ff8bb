"""Staff see their own language: every catalog of ours is complete in nb and sv (no untranslated
or fuzzy entry, placeholders kept), and the compiled .mo files say what the .po files say.
`make messages` extracts new strings; this test fails until they are translated."""

import gettext
import re
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parent.parent
# Our apps, and the providers that are apps of their own (their catalogs are theirs).
APPS = ("accounting", "contracts", "integrations",
        *sorted(str(p.parent.relative_to(ROOT))
                for p in (ROOT / "integrations" / "providers").glob("*/locale")))
LANGUAGES = ("nb", "sv")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]")
CATALOGS = [(app, lang) for app in APPS for lang in LANGUAGES]


def catalog(app, lang):
    return ROOT / app / "locale" / lang / "LC_MESSAGES" / "django.po"


@pytest.mark.parametrize("app, lang", CATALOGS)
def test_the_catalog_is_complete_with_no_fuzzy_entry(app, lang):
    po = polib.pofile(str(catalog(app, lang)))
    assert po.metadata.get("Language") == lang
    assert "plural=" in po.metadata.get("Plural-Forms", ""), "plural forms are needed"
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert not untranslated, f"{len(untranslated)} untranslated: {untranslated[:10]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy: {fuzzy[:10]}"
    assert po.translated_entries() or not po, "an empty catalog"


@pytest.mark.parametrize("app, lang", CATALOGS)
def test_translations_keep_every_placeholder(app, lang):
    wrong = []
    for entry in polib.pofile(str(catalog(app, lang))).translated_entries():
        wanted = sorted(PLACEHOLDER.findall(entry.msgid))
        texts = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        # A singular form may say "one" instead of %(count)d; it must not invent others.
        for text in texts:
            got = sorted(PLACEHOLDER.findall(text))
            if not set(got) <= set(wanted + sorted(PLACEHOLDER.findall(entry.msgid_plural))) \
                    or (not entry.msgid_plural and got != wanted):
                wrong.append((entry.msgid, text))
    assert not wrong, wrong[:5]


@pytest.mark.parametrize("app, lang", CATALOGS)
def test_the_compiled_catalog_matches_its_source(app, lang):
    source = catalog(app, lang)
    with open(source.with_suffix(".mo"), "rb") as compiled:
        translations = gettext.GNUTranslations(compiled)
    stale = [e.msgid for e in polib.pofile(str(source)).translated_entries()
             if not e.msgid_plural and not e.msgctxt and translations.gettext(e.msgid) != e.msgstr]
    assert not stale, f"compile the catalog (make messages): {stale[:5]}"
