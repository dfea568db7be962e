"""Delivery exports of verified signatures: a CSV file and a PDF pack, both streamed.

Only confirmed, not withdrawn signatures are exported, in signing order (the
order their rows were first stored), so the same signatures always give the
same CSV, byte for byte. The PDF pack ends with the SHA-256 of that CSV
(without email addresses), computed from the very rows it lists, so a
recipient can check that the two agree.

Rows are read with ``yield_per`` (a server-side cursor on PostgreSQL) and
written out as they come: memory stays flat however many signatures there are.
"""
import hashlib
import html
import re
from dataclasses import dataclass
from datetime import datetime

import nh3
from flask_babel import force_locale, gettext, ngettext
from sqlalchemy import func, select

from ..i18n import country_name, format_date, format_decimal
from ..markup import render_markdown
from ..models import Signature, SignatureStatus

BATCH = 2000
BOM = "\ufeff"  # lets spreadsheet programs read UTF-8 (Cyrillic names) correctly
COLUMNS = ("name", "city", "country", "language", "signed_at_utc")
# A cell a spreadsheet would run as a formula gets an apostrophe in front. Excel in German,
# Russian or Belarusian splits CSV on ";" (and any Excel on tabs), so every ";"- or tab-separated
# part of a cell counts as the start of a cell, not only the first. Full-width variants too:
# some spreadsheet programs fold them to their ASCII forms.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_PART_SEPARATORS = re.compile(r"([;\t])")
# What a spreadsheet skips before it looks for a formula: white space of any kind (NBSP, the
# ideographic space U+3000 ...) other than tab and CR (formula starts themselves), and double
# quotes, which it reads as quoting (Ber;"=1+1 runs =1+1).
_LEAD = re.compile(r'(?:[^\S\t\r]|")*')
# A quick test first: most cells have no such part, and the export has a million rows to write.
_RISKY = re.compile(r'(?:^|[;\t])(?:[^\S\t\r]|")*[=+\-@\t\r\uff1d\uff0b\uff0d\uff20]')


def _verified(petition_id):
    return (Signature.petition_id == petition_id) & (Signature.status == SignatureStatus.CONFIRMED)


def verified_count(session, petition_id):
    return session.scalar(select(func.count()).select_from(Signature).where(_verified(petition_id)))


def signing_range(session, petition_id):
    """(first, last) signing time of the verified signatures, or (None, None)."""
    return tuple(session.execute(
        select(func.min(Signature.created_at), func.max(Signature.created_at)).where(_verified(petition_id))
    ).one())


def verified_rows(session, petition_id, with_emails=False, opener=None):
    """(name, city, country, language, created_at[, email]) of each verified signature, in signing order.

    With ``opener`` (the organisation's key, unlocked for this export) sealed
    rows give exactly what they would have given unsealed.
    """
    columns = [Signature.full_name, Signature.city, Signature.country, Signature.language, Signature.created_at]
    if with_emails:
        columns.append(Signature.email)
    if opener is None:
        query = select(*columns).where(_verified(petition_id)).order_by(Signature.id).execution_options(yield_per=BATCH)
        for row in session.execute(query):
            yield tuple(row)
        return
    # A million rows in one streamed query: a row that is not sealed (anonymised, or kept plain
    # before protection) gives its plain columns, and each sealed one is opened by a function that
    # keeps its look-ups local.
    query = select(*columns, Signature.sealing_key_id, Signature.sealed).where(_verified(petition_id)) \
        .order_by(Signature.id).execution_options(yield_per=BATCH)
    open_row = opener.row_function()
    for row in session.execute(query):
        *plain, key_id, sealed = row
        if sealed is None:
            yield tuple(plain)
            continue
        opened = open_row(key_id, sealed)
        country, language, created_at = plain[2:5]
        if with_emails:
            yield opened["full_name"], opened["city"], country, language, created_at, opened["email"]
        else:
            yield opened["full_name"], opened["city"], country, language, created_at


def _defused(part):
    """A ";"/tab-separated part of a cell that no spreadsheet runs as a formula (white space and quotes before it ignored)."""
    body = part[_LEAD.match(part).end():]
    if body.startswith(FORMULA_START):
        return part[: len(part) - len(body)] + "'" + body
    return part


def _cell(value):
    """One quoted CSV cell (every cell is quoted, so no separator inside it splits it)."""
    text = "" if value is None else str(value)
    if _RISKY.search(text):
        parts = _PART_SEPARATORS.split(text)  # text, separator, text, ...
        parts[::2] = [_defused(part) for part in parts[::2]]
        text = "".join(parts)
    return '"' + text.replace('"', '""') + '"'


def _utc(value):
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def csv_header(with_emails=False):
    return BOM + ",".join(f'"{c}"' for c in COLUMNS + (("email",) if with_emails else ())) + "\r\n"


def csv_line(row):
    """One CSV record (RFC 4180, CRLF, every cell quoted) for a row of ``verified_rows``."""
    name, city, country, language, created_at, *email = row
    # Country, language and time are ours (codes and digits); only what a person typed needs _cell.
    return (f'{_cell(name)},{_cell(city)},"{country}","{language}","{_utc(created_at)}"'
            + "".join("," + _cell(e) for e in email) + "\r\n")


def csv_chunks(rows, with_emails=False, chunk_size=64 * 1024):
    """The CSV file as UTF-8 chunks of about ``chunk_size`` bytes."""
    buffer = [csv_header(with_emails)]
    size = 0
    for row in rows:
        line = csv_line(row)
        buffer.append(line)
        size += len(line)
        if size >= chunk_size:
            yield "".join(buffer).encode("utf-8")
            buffer, size = [], 0
    yield "".join(buffer).encode("utf-8")


@dataclass
class PackFacts:
    """What the cover of a delivery pack states, gathered before the list is streamed."""

    count: int
    first: datetime | None
    last: datetime | None
    paper: int
    exported_at: datetime


def _plain_paragraphs(markdown_text):
    """The petition body as plain paragraphs: Markdown rendered, then stripped of every tag."""
    rendered = str(render_markdown(markdown_text or ""))
    out = []
    for block in re.split(r"</(?:p|h[1-6]|li|blockquote|pre)>", rendered):
        text = re.sub(r"\s+", " ", html.unescape(nh3.clean(block, tags=set()))).strip()
        if text:
            out.append(text)
    return out


def text_blocks(text, lines):
    """A petition's or letter's text as PDF blocks: title, the given ``lines``, summary, body, demands.

    Call inside ``force_locale`` of the document's language.
    """
    from .pdf import Heading, ListItem, Paragraph, Spacer

    blocks = [Heading(text.title, level=1), *(Paragraph(line) for line in lines), Spacer(8)]
    if text.summary:
        blocks.append(Paragraph(text.summary, bold=True))
    blocks.extend(Paragraph(p) for p in _plain_paragraphs(text.body))
    if text.demands:
        blocks.append(Heading(gettext("Our demands"), level=2))
        blocks.extend(ListItem(f"{i}.", demand) for i, demand in enumerate(text.demands, 1))
    return blocks


def page_footer(language):
    """The footer of every page of a document in ``language``: "Page 3"."""
    def footer(number):
        with force_locale(language):
            return gettext("Page %(number)s", number=format_decimal(number, locale=language))

    return footer


def pdf_pack(petition, text, language, facts, rows):
    """The delivery pack's PDF as chunks. ``rows`` come from ``verified_rows`` (without emails).

    Every row listed is also hashed as its CSV record; the last page prints
    the resulting SHA-256, which therefore matches the CSV of exactly the
    listed signatures.

    Not a generator itself: everything read from ``petition`` and ``text`` is
    read now, while their session is open. A web response streams the chunks
    after the request's session is gone (stream_with_context opens a new one,
    which only the ``rows`` query uses), and a half-sent file is worse than a
    refusal, so whatever can fail before the list fails here.
    """
    from .pdf import Heading, PageBreak, Paragraph, PdfDocument, Spacer, Table

    hasher = hashlib.sha256(csv_header(False).encode("utf-8"))
    with force_locale(language):
        header = [gettext("No."), gettext("Name"), gettext("City"), gettext("Country")]
        lines = []
        if text.addressee:
            lines.append(gettext("Addressee: %(addressee)s", addressee=text.addressee))
        if petition.organisation_name:
            lines.append(gettext("Started by %(organisation)s", organisation=petition.organisation_name))
        cover = text_blocks(text, lines)
        cover.append(Spacer(12))
        cover.append(Paragraph(ngettext("%(count)s verified signature", "%(count)s verified signatures",
                                        facts.count, count=format_decimal(facts.count, locale=language)), bold=True))
        if facts.first and facts.last:
            cover.append(Paragraph(gettext("Signed between %(first)s and %(last)s (UTC).",
                                           first=format_date(facts.first, "long"),
                                           last=format_date(facts.last, "long"))))
        if facts.paper:
            cover.append(Paragraph(ngettext(
                "A further %(count)s signature was collected on paper and is not listed here.",
                "A further %(count)s signatures were collected on paper and are not listed here.",
                facts.paper, count=format_decimal(facts.paper, locale=language))))
        cover.append(Paragraph(gettext("Exported: %(date)s", date=format_date(facts.exported_at, "long"))))
        closing_heading = gettext("Checking this list")
        closing_text = gettext(
            "The SHA-256 checksum of the matching CSV file (the same signatures, without email addresses) is:")
        signatories = gettext("Signatories")
    countries = {}

    def table_rows():
        for position, row in enumerate(rows, 1):
            hasher.update(csv_line(row).encode("utf-8"))
            code = row[2]
            if code not in countries:
                countries[code] = country_name(code, language)
            yield (position, row[0], row[1] or "", countries[code])

    def closing():
        # Built only once the table is consumed, when the hash is complete.
        yield Heading(closing_heading, level=2)
        yield Paragraph(closing_text)
        yield Paragraph(hasher.hexdigest())

    def blocks():
        yield from cover
        yield PageBreak()
        yield Heading(signatories, level=2)
        yield Table(columns=[0.1, 0.4, 0.25, 0.25], header=header, rows=table_rows())
        yield from closing()

    document = PdfDocument(title=text.title, language=language, author=petition.organisation_name,
                           created_at=facts.exported_at, footer=page_footer(language))
    return document.render(blocks())
