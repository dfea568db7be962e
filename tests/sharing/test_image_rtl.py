"""The share image in Farsi: Arabic-script glyphs, shaped, laid out from the right; no "?" for missing glyphs."""
import io
import logging

from PIL import Image, ImageChops, features

from petitions.sharing import image

TITLE_FA = "آزادی زندانیان"
COUNT_FA = "۱٬۱۴۰ امضا"
TITLE_BAND = (0, image.TITLE_TOP, image.WIDTH, image.TITLE_BOTTOM)


def picture(*args):
    return Image.open(io.BytesIO(image.render(*args))).convert("RGB")


def ink_box(pic, box):
    """The bounding box of everything drawn (not background) inside ``box``, in image coordinates."""
    region = pic.crop(box)
    found = ImageChops.difference(region, Image.new("RGB", region.size, image.BACKGROUND)).getbbox()
    return None if found is None else (found[0] + box[0], found[1] + box[1], found[2] + box[0], found[3] + box[1])


def test_a_farsi_card_is_drawn_from_the_right():
    pic = picture(TITLE_FA, COUNT_FA, "Petitions")
    title = ink_box(pic, TITLE_BAND)
    # The short title ends at the right margin and leaves the left half empty.
    assert title is not None and abs(title[2] - (image.WIDTH - image.MARGIN)) <= 6
    assert title[0] > image.WIDTH / 2
    count = ink_box(pic, (0, image.TITLE_BOTTOM, image.WIDTH, image.HEIGHT))
    assert count[0] > image.WIDTH / 2 and abs(count[2] - (image.WIDTH - image.MARGIN)) <= 6
    # The accent rule moves to the right too.
    assert pic.getpixel((image.WIDTH - image.MARGIN - 10, 91)) == image.RULE
    assert pic.getpixel((image.MARGIN + 10, 91)) == image.BACKGROUND
    # A Russian card keeps its left alignment.
    ru = ink_box(picture("Свобода", "1 140 подписей", "Petitions"), TITLE_BAND)
    assert abs(ru[0] - image.MARGIN) <= 6


def test_pillow_can_shape():
    # Pillow's libraqm layout loads libfribidi at run time (Debian: libfribidi0); without it Farsi is drawn
    # as unjoined letters.
    assert features.check("raqm"), "Pillow has no libraqm layout: install libfribidi0"


def test_farsi_needs_the_arabic_font_and_is_shaped(monkeypatch):
    shaped = image.render(TITLE_FA, COUNT_FA, "Petitions")
    # The same letters kept apart by ZWNJ (which takes no room) take their isolated and final forms.
    isolated = image.render("\u200c".join(TITLE_FA), COUNT_FA, "Petitions")
    assert shaped != isolated
    # With the Latin font alone every Farsi letter would be the same empty box: a different picture.
    monkeypatch.setattr(image, "font_paths", lambda weight: (image.font_path(weight),))
    image._styled.cache_clear()
    try:
        assert image.render(TITLE_FA, COUNT_FA, "Petitions") != shaped
    finally:
        monkeypatch.undo()
        image._styled.cache_clear()
    assert image.render(TITLE_FA, COUNT_FA, "Petitions") == shaped


def test_each_farsi_letter_draws_its_own_glyph():
    assert len({image.render(letter, "", "") for letter in "پچژگکی"}) == 6


def test_zwnj_is_kept_and_changes_the_joining():
    assert image.render("می\u200cخواهیم", COUNT_FA, "P") != image.render("میخواهیم", COUNT_FA, "P")


def test_a_character_no_font_has_is_not_a_question_mark_and_is_logged(caplog):
    with caplog.at_level(logging.WARNING, logger="petitions.sharing.image"):
        missing = image.render("Tanaka 漢", "3", "P")
    assert missing != image.render("Tanaka ?", "3", "P")
    assert missing != image.render("Tanaka", "3", "P")
    assert "no font has a glyph for U+6F22; drawn as an empty box" in [r.getMessage() for r in caplog.records]


def test_mixed_scripts_use_each_font_for_its_own_run():
    font = image._font("Bold", 60, True)
    runs = font.runs("Memorial مموریال Мемориал")
    fonts = [f.path for f, _, _ in runs]
    assert any("IBMPlexSansArabic" in path for path in fonts) and any("SourceSansPro" in path for path in fonts)
    # Drawing order in a right-to-left line: the Cyrillic word (logically last) is leftmost.
    assert runs[0][1].strip() == "Мемориал" and runs[-1][1].strip() == "Memorial"
