"""An open letter as a PDF document: the text, the date, and the numbered signatory lists."""
from flask_babel import force_locale, format_date, gettext, ngettext

from ..exports.delivery import _plain_paragraphs


def letter_pdf(letter, text, language, organisations, individuals, now):
    """The PDF as chunks (names are drawn exactly as entered; nothing in them is interpreted)."""
    from ..exports.pdf import Heading, ListItem, Paragraph, PdfDocument, Spacer, Table

    with force_locale(language):
        blocks = [Heading(text.title, level=1)]
        if text.addressee:
            blocks.append(Paragraph(gettext("Open letter to %(addressee)s", addressee=text.addressee)))
        blocks.append(Paragraph(format_date(now, "long")))
        blocks.append(Spacer(8))
        if text.summary:
            blocks.append(Paragraph(text.summary, bold=True))
        blocks.extend(Paragraph(p) for p in _plain_paragraphs(text.body))
        if text.demands:
            blocks.append(Heading(gettext("Our demands"), level=2))
            blocks.extend(ListItem(f"{i}.", d) for i, d in enumerate(text.demands, 1))
        counts = ", ".join([
            ngettext("%(count)s organisation", "%(count)s organisations", len(organisations),
                     count=str(len(organisations))),
            ngettext("%(count)s individual", "%(count)s individuals", len(individuals), count=str(len(individuals))),
        ])
        blocks.append(Heading(gettext("Signatories"), level=2))
        blocks.append(Paragraph(counts))
        if organisations:
            blocks.append(Heading(gettext("Organisations"), level=3))
            blocks.append(Table(columns=[0.1, 0.6, 0.3], header=[gettext("No."), gettext("Name"), gettext("Country")],
                                rows=((s.position, s.name, s.country_name) for s in organisations)))
        if individuals:
            blocks.append(Heading(gettext("Individuals"), level=3))
            blocks.append(Table(columns=[0.1, 0.6, 0.3], header=[gettext("No."), gettext("Name"), gettext("Country")],
                                rows=((s.position, f"{s.name}, {s.title}" if s.title else s.name, s.country_name)
                                      for s in individuals)))
        page = gettext("Page %(number)s", number="{}")
    document = PdfDocument(title=text.title, language=language, author=letter.organisation_name, created_at=now,
                           footer=lambda n: page.format(n))
    return b"".join(document.render(blocks))
