"""Issue 22 in Chromium: sign and confirm in every language, and Farsi laid out right to left on a phone.

Each label is looked up in the catalogue the app itself loads, so a language whose catalogue is still
being translated is tested as it now reads (English, by gettext's fallback). Whether a page is *not*
English is asserted for every label the catalogue translates, and for every label of a language the
site turns on by default (config.LANGUAGES): turning a language on with English left in it fails here.

One live server serves the whole module. Screenshots go to test-artifacts/every-language-*.png, and the
Farsi petition page at 360 px also to /work/notes/fa-360.png when that folder exists.
"""
import io
import json
import re
import threading
from functools import lru_cache
from pathlib import Path

import pytest
from babel.support import Translations
from PIL import Image
from werkzeug.serving import make_server

from petitions import create_app, sealing
from petitions.config import Config
from petitions.extensions import db

from ..helpers import empty_tables, free_port
from ..smtp import SmtpServer, text_part
from .conftest import ARTIFACTS, PHONE
from .test_accessibility import BLOCKING, axe_violations

pytestmark = pytest.mark.browser

LANGUAGES = ["en", "ru", "be", "de", "fr", "es", "uk", "pl", "lt", "fa"]
TRANSLATIONS = Path(Config.BABEL_TRANSLATION_DIRECTORIES)
NOTES = Path("/work/notes")
SLUG = "every-language"
# Enough signatures that the progress bar's filled part is neither empty nor full.
ALREADY_SIGNED = 400
ACCENT = (0x0B, 0x5E, 0x3C)  # --accent in petitions/static/style.css

# Written for this test, in each language: title, addressee, demands.
TEXTS = {
    "en": ("Free the prisoners of conscience", "the Minister of Justice", ["Release them", "Drop the charges"]),
    "ru": ("Освободите узников совести", "министру юстиции", ["Освободить их", "Снять обвинения"]),
    "be": ("Вызваліце вязняў сумлення", "міністру юстыцыі", ["Вызваліць іх", "Зняць абвінавачванні"]),
    "de": ("Freiheit für die politischen Gefangenen", "den Justizminister", ["Freilassung", "Anklagen fallen lassen"]),
    "fr": ("Libérez les prisonniers d’opinion", "au ministre de la Justice", ["Les libérer", "Abandonner les poursuites"]),
    "es": ("Liberad a los presos de conciencia", "al ministro de Justicia", ["Liberarlos", "Retirar los cargos"]),
    "uk": ("Звільніть в’язнів сумління", "міністрові юстиції", ["Звільнити їх", "Зняти обвинувачення"]),
    "pl": ("Uwolnijcie więźniów sumienia", "do Ministra Sprawiedliwości", ["Uwolnić ich", "Wycofać zarzuty"]),
    "lt": ("Išlaisvinkite sąžinės kalinius", "teisingumo ministrui", ["Išlaisvinti juos", "Panaikinti kaltinimus"]),
    "fa": ("زندانیان عقیدتی را آزاد کنید", "وزیر دادگستری", ["آزادی آنان", "لغو همهٔ اتهام‌ها"]),
}


@lru_cache(maxsize=None)
def catalogue(lang):
    """The compiled catalogue the app loads for ``lang`` (gettext falls back to the msgid, as the app does)."""
    return Translations.load(str(TRANSLATIONS), [lang], domain="messages")


def translate(lang, msgid):
    return catalogue(lang).gettext(msgid)


def assert_not_english(lang, msgid, shown, english=None):
    """``shown`` (``msgid`` as the page has it) is not English, wherever ``lang`` has to be translated by now."""
    if lang == "en":
        return
    if translate(lang, msgid) != msgid or lang in Config.LANGUAGES:
        assert shown != (english or msgid), f"{lang}: {msgid!r} is shown in English"


def petition_document():
    translations = {}
    for lang, (title, addressee, demands) in TEXTS.items():
        translations[lang] = {"title": title, "addressee": addressee, "summary": f"{title}.",
                              "body": f"{title}: **{addressee}**.", "demands": demands}
    return {"slug": SLUG, "goal": 1000, "primary_language": "en", "organisation": "Test Rights Group",
            "status": "open", "translations": translations}


@pytest.fixture(scope="module")
def site(database_url, _schema, tmp_path_factory):
    """One live server for the module, all ten languages on, mailing through a real SMTP server on loopback.

    conftest's live_server is made per test; ten sign-ups on one server keep the module within a minute.
    """
    from petitions.organiser.services import import_petition

    from ..factories import add_signatures

    smtp = SmtpServer("127.0.0.1", free_port())
    smtp.start()
    port = free_port()
    instance = tmp_path_factory.mktemp("every-language")
    app = create_app("testing", {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_DIR": str(instance / "instance"),
        "MAILBOX_DIR": str(instance / "mailbox"),
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "BASE_URL": f"http://127.0.0.1:{port}",
        "MAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
        "MAIL_DELIVER_AFTER_REQUEST": True,
        "WTF_CSRF_ENABLED": True,
        "RATELIMIT_ENABLED": False,
        # Until the lead turns them on in petitions/config.py.
        "LANGUAGES": LANGUAGES,
    })
    with app.app_context():
        petition, _ = import_petition(petition_document(), app.config["LANGUAGES"])
        add_signatures(petition, ALREADY_SIGNED)
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield type("Site", (), {"url": f"http://127.0.0.1:{port}", "app": app, "smtp": smtp})
    finally:
        app.extensions["petitions.mail_delivery"].stop()
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()
        smtp.stop()
        sealing.forget_process_keys()
        with app.app_context():
            empty_tables()
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def phone(open_page, site):
    """A page at 360 x 740 in a language, that can fetch axe-core from the site's own origin."""
    return lambda lang: open_page(site.url, locale=lang)


def confirmation_mail(smtp, address, timeout=10):
    with smtp.arrived:
        smtp.arrived.wait_for(lambda: any(m["To"] == address for m in smtp.messages), timeout=timeout)
        found = [m for m in smtp.messages if m["To"] == address]
    assert len(found) == 1, f"expected one email to {address}, got {len(found)}"
    return found[0]


def assert_in_language(page, lang):
    assert page.evaluate("document.documentElement.lang") == lang
    assert page.evaluate("document.documentElement.dir") == ("rtl" if lang == "fa" else "ltr")


def sideways_overflow(page):
    """How far the page scrolls sideways: its width beyond the screen, and how far scrolling moves it.

    A right-to-left page overflows to the left, where scrollX goes negative: both ways are tried.
    """
    width = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    moved = 0
    for x in (10000, -10000):
        page.evaluate(f"window.scrollTo({x}, 0)")
        moved = max(moved, abs(page.evaluate("window.scrollX")))
    page.evaluate("window.scrollTo(0, 0)")
    return width, moved


def assert_no_serious_axe_violation(page, name):
    violations = axe_violations(page)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"every-language-axe-{name}.json").write_text(json.dumps(violations, indent=2, ensure_ascii=False))
    blocking = [f"{v['id']} ({v['impact']}): {v['help']}: " + "; ".join(" ".join(map(str, n["target"])) for n in v["nodes"])
                for v in violations if v["impact"] in BLOCKING]
    assert not blocking, f"{page.url}:\n" + "\n".join(blocking)


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"every-language-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.mark.parametrize("lang", LANGUAGES)
def test_sign_and_confirm_in_the_language_of_the_page(phone, site, lang):
    page = phone(lang)
    page.goto(f"{site.url}/{lang}/p/{SLUG}")
    assert_in_language(page, lang)
    assert page.locator("h1").inner_text().strip() == TEXTS[lang][0]
    assert sideways_overflow(page) == (0, 0)

    page.fill("#full_name", "Browser Signer")
    page.fill("#email", f"signer-{lang}@example.org")
    page.select_option("#country", "DE")
    page.fill("#city", "Berlin")
    button = page.locator("form[data-messages] button[type=submit]")
    assert button.inner_text().strip() == translate(lang, "Sign")
    assert_not_english(lang, "Sign", button.inner_text().strip())
    button.click()

    page.wait_for_selector("form[action$='/check-inbox']")
    assert_in_language(page, lang)
    heading = page.locator("h1").inner_text().strip()
    assert heading == translate(lang, "Check your inbox")
    assert_not_english(lang, "Check your inbox", heading)
    assert sideways_overflow(page) == (0, 0)
    if lang == "fa":
        shot(page, "fa-check-inbox-360")
        assert_no_serious_axe_violation(page, "fa-check-inbox-360")

    mail = text_part(confirmation_mail(site.smtp, f"signer-{lang}@example.org"))
    greeting = mail.strip().split("\n", 1)[0].strip()
    assert greeting == translate(lang, "Hello %(name)s,") % {"name": "Browser Signer"}
    assert_not_english(lang, "Hello %(name)s,", greeting, english="Hello Browser Signer,")
    assert TEXTS[lang][0] in mail, "the email names the petition as it reads in the signer's language"
    link = re.search(r"http://127\.0\.0\.1:\d+/[a-z]{2}/confirm/\S+", mail).group(0)
    assert f"/{lang}/confirm/" in link

    page.goto(link)
    assert_in_language(page, lang)
    button = page.locator("form[action*='/confirm/'] button[type=submit]")
    assert button.inner_text().strip() == translate(lang, "Confirm my signature")
    assert_not_english(lang, "Confirm my signature", button.inner_text().strip())
    button.click()

    page.wait_for_load_state()
    assert_in_language(page, lang)
    heading = page.locator("h1").inner_text().strip()
    assert heading == translate(lang, "Thank you")
    assert_not_english(lang, "Thank you", heading)
    assert translate(lang, "Your signature is confirmed and now counts.") in page.locator("main").inner_text()
    assert sideways_overflow(page) == (0, 0)
    if lang == "fa":
        shot(page, "fa-thanks-360")
        assert_no_serious_axe_violation(page, "fa-thanks-360")


def filled_columns(page, selector=".counter progress"):
    """The track's width and the first and last pixel columns of the filled part, as Chromium paints them.

    The filled part of a native progress bar is painted by the browser's theme and has no box a script
    or the DevTools protocol can measure, so this reads the screenshot: across the middle row, a pixel
    nearer the accent colour than the empty track's grey is filled.
    """
    image = Image.open(io.BytesIO(page.locator(selector).screenshot())).convert("RGB")
    width, height = image.size
    row = [image.getpixel((x, height // 2)) for x in range(width)]
    empty = max(row, key=sum)  # the track is the lightest thing in the bar

    def distance(a, b):
        return sum(abs(p - q) for p, q in zip(a, b, strict=True))

    filled = [x for x, pixel in enumerate(row) if distance(pixel, ACCENT) < distance(pixel, empty)]
    assert filled, f"nothing of the progress bar is filled: {row[:3]}...{row[-3:]}"
    return width, filled[0], filled[-1]


def test_farsi_reads_right_to_left_on_a_phone(phone, site):
    page = phone("fa")
    page.goto(f"{site.url}/fa/p/{SLUG}")
    assert_in_language(page, "fa")
    width, moved = sideways_overflow(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], f"{width}px wider than the screen"
    assert moved == 0, f"scrollTo(±10000, 0) moved the page {moved}px sideways"

    # 400 and some of 1,000: a bar filled from the right ends at the track's right edge, not its left.
    width, first, last = filled_columns(page)
    assert last == width - 1, f"the filled part runs from column {first} to {last} of 0..{width - 1}: not from the right"
    assert 0.38 < (last - first + 1) / width < 0.45, f"filled {first}..{last} of {width} columns"

    path = shot(page, "fa-petition-360")
    if NOTES.is_dir():
        NOTES.joinpath("fa-360.png").write_bytes(path.read_bytes())

    assert_no_serious_axe_violation(page, "fa-petition-360")
