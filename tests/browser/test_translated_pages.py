"""No page of either demo organization shows one of our English source strings: every page the
menu reaches (and the first record of each list, the contract form, the home page) is read in
Chromium and checked against the catalogs' English msgids."""

import re
from pathlib import Path

import polib
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
APPS = ("accounting", "contracts", "integrations")


def english_strings(language):
    """Our msgids whose `language` translation differs from the English (a same-spelled word
    such as "Status" proves nothing), as regexes that match them as whole words, with any
    placeholder matching anything."""
    msgids, same = set(), set()
    catalogs = [po for app in APPS for po in (ROOT / app / "locale").glob("*/LC_MESSAGES/*.po")]
    catalogs += (ROOT / "integrations" / "providers").glob("*/locale/*/LC_MESSAGES/*.po")
    for po in catalogs:
        lang = po.parent.parent.name
        for entry in polib.pofile(str(po)):
            if entry.obsolete or not entry.msgid:
                continue
            msgids.add(entry.msgid)
            if lang == language and entry.msgstr == entry.msgid:
                same.add(entry.msgid)
    patterns = {}
    for msgid in msgids - same:
        parts = re.split(r"%\(\w+\)[sd]|%[sd]|\{\{[^}]*\}\}", msgid)
        literal = max(parts, key=len).strip(" .:,")
        # Short words ("Car") may be names or codes; sentences and phrases are ours.
        if len(literal) < 12 or " " not in literal:
            continue
        patterns[msgid] = re.compile(r"(?<![\w-])" + re.escape(literal) + r"(?![\w-])")
    return patterns


def pages_of(page):
    """Every page the menu reaches, the first record of each list, home, the forms."""
    base = page.base
    urls = ["/"]
    urls += [a.get_attribute("href") for a in page.locator("header nav a").all()]
    for href in list(urls):
        if not href or href.startswith("/admin"):
            continue
        page.goto(base + href)
        first = page.locator("main table tbody tr td a").first
        if first.count():
            urls.append(first.get_attribute("href"))
    for link in page.locator("a.button").all():
        urls.append(link.get_attribute("href"))
    return [u for u in dict.fromkeys(urls) if u and not u.startswith(("/admin", "http"))]


@pytest.mark.parametrize("username, language", [("nordbil-admin", "nb"),
                                                ("frost-admin", "sv")])
def test_no_page_shows_an_english_string_of_ours(browse, shot, username, language):
    page = browse(username)
    english = english_strings(language)
    assert english, "no catalog strings found"
    found = {}
    for url in pages_of(page) + ["/contracts/new/"] * (language == "nb"):
        page.goto(page.base + url)
        shot(page, url.strip("/").replace("/", "-") or "home")
        text = page.locator("body").inner_text()
        hits = [msgid for msgid, pattern in english.items() if pattern.search(text)]
        if hits:
            found[url] = hits
    assert not found, f"untranslated on {username}'s pages: {found}"
