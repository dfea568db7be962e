"""An open letter as a PDF document: the text, the date, and the numbered signatory lists."""
from flask_babel import force_locale, gettext, ngettext

from ..exports.delivery import page_footer, text_blocks
from ..i18n import format_date, format_decimal


def counts_line(organisations, individuals, language):
    """ "161 organisations, 12 individuals", in the current locale (numbers as ``language`` writes them)."""
    return ", ".join([
        ngettext("%(count)s organisation", "%(count)s organisations", len(organisations),
                 count=format_decimal(len(organisations), locale=language)),
        ngettext("%(count)s individual", "%(count)s individuals", len(individuals),
                 count=format_decimal(len(individuals), locale=language)),
    ])


def letter_pdf(letter, text, language, organisations, individuals, now):
    """The PDF as bytes (names are drawn exactly as entered; nothing in them is interpreted)."""
    from ..exports.pdf import Heading, Paragraph, PdfDocument, Table

    with force_locale(language):
        lines = [format_date(now, "long")]
        if text.addressee:
            lines.insert(0, gettext("Addressee: %(addressee)s", addressee=text.addressee))
        blocks = text_blocks(text, lines)
        blocks.append(Heading(gettext("Signatories"), level=2))
        blocks.append(Paragraph(counts_line(organisations, individuals, language)))
        if organisations:
            blocks.append(Heading(gettext("Organisations"), level=3))
            blocks.append(Table(columns=[0.1, 0.6, 0.3], header=[gettext("No."), gettext("Name"), gettext("Country")],
                                rows=((s.position, s.name, s.place) for s in organisations)))
        if individuals:
            blocks.append(Heading(gettext("Individuals"), level=3))
            blocks.append(Table(columns=[0.1, 0.6, 0.3], header=[gettext("No."), gettext("Name"), gettext("Country")],
                                rows=((s.position, f"{s.name}, {s.title}" if s.title else s.name, s.place)
                                      for s in individuals)))
    document = PdfDocument(title=text.title, language=language, author=letter.organisation_name, created_at=now,
                           footer=page_footer(language))
    return b"".join(document.render(blocks))
