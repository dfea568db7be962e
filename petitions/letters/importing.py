"""Importing a pasted signatory list: read every line, show what was understood, save only when confirmed.

``preview`` stores nothing: it reads each line into a name, its countries (none,
one or several), a region kept as typed, and how each country was recognised.
A line the reader is unsure about needs a decision and carries its choices,
the likeliest first. ``save`` reads the same text again, applies the
organiser's decisions and stores the lines that are ready. No line is dropped
silently: each one is listed, or reported with its reason.
"""
import re
from dataclasses import dataclass, field

from sqlalchemy import select

from .. import countries
from ..extensions import db
from ..models import LetterSignatory, SignatoryKind, SignatoryStatus, utcnow
from .services import LetterError, name_key

MAX_IMPORT_LINES = 20_000
NUMBERING = re.compile(r"^\s*(?:\d{1,5}\s*[.)\]:]?|[-–—•*·])\s+")
# Where a name may end and its countries begin: dashes with space on at least one side, commas,
# semicolons, slashes, tabs, bars and brackets ("Northern Ireland (UK)").
SEPARATORS = re.compile(r"\s+[-‒–—―]\s+|\s*[,;/|\t()\[\]،؛]\s*|\s+[-‒–—―](?=\S)|(?<=\S)[-‒–—―]\s+")
# Separators after which an unrecognised last part is most likely a country someone meant.
STRONG = re.compile(r"[-‒–—―|\t]")
# "Germany and Switzerland" as one part.
AND = re.compile(r"\s+(?:and|&|et|und|и|і|та|y|e|i|ir|و)\s+", re.IGNORECASE)
# Words after which a country name belongs to the name ("Association of Turkey"), so it is not split off.
CONNECTORS = frozenset("""of for in on at from the and & de du des d la le les pour en au aux für fur
im in der die das den dem von vom zu zur und für в во на для из по при и о об у і ў ва""".split())
MAX_COUNTRY_WORDS = 5


@dataclass
class Choice:
    """One way to read a line that needs a decision; ``value`` is what the form sends back."""

    value: str
    name: str
    codes: tuple = ()
    region: str = ""


@dataclass
class Line:
    number: int                   # in the pasted text, counting from 1
    text: str                     # as typed, trimmed
    status: str = "ready"         # "ready", "decision", "duplicate", "unparsed", or "skipped" by the organiser
    name: str = ""
    found: list = field(default_factory=list)   # countries.Recognised, in the order written
    region: str = ""
    trailing: bool = False        # the country followed the name without a separator
    choices: list = field(default_factory=list)
    duplicate_of: int | None = None   # the earlier line it repeats; None with status "duplicate": already listed

    @property
    def codes(self):
        return tuple(r.code for r in self.found)


# --- reading one line ------------------------------------------------------------------

def _parts(text):
    """(start, end) of each part of the text between separators."""
    bounds, position = [], 0
    for match in SEPARATORS.finditer(text):
        bounds.append((position, match.start(), match.group()))
        position = match.end()
    bounds.append((position, len(text), ""))
    return bounds


def _look_up_part(text):
    """A countries.Lookup for one part, trying "A and B" when the whole is not a name."""
    found = countries.look_up(text)
    if found is not None:
        return found
    pieces = AND.split(text)
    if len(pieces) > 1:
        looked = [countries.look_up(piece) for piece in pieces]
        if all(item is not None and item.kind == "country" for item in looked):
            return countries.Lookup("country", tuple(item.found[0] for item in looked))
    return None


def _add(found, recognised):
    if recognised.code not in {r.code for r in found}:
        found.append(recognised)


def read_line(number, raw, kind=SignatoryKind.ORGANISATION):
    """Read one line of a list into a Line (never stored here)."""
    text = raw.strip()
    line = Line(number, text[:300])
    body = NUMBERING.sub("", text, count=1).strip()
    parts = [part for part in _parts(body) if body[part[0]:part[1]].strip()]
    # Walk back from the end while the parts name countries or regions; the longest reading wins,
    # so "Congo - Kinshasa" is one country rather than a country and a mystery.
    end_index, found, regions, ambiguous, name_end = len(parts), [], [], None, len(body)
    while end_index > 1:
        for first in range(max(1, end_index - 3), end_index):
            piece = body[parts[first][0]:parts[end_index - 1][1]].strip()
            result = _look_up_part(piece)
            if result is not None:
                break
        else:
            break
        if result.kind == "ambiguous":
            if ambiguous is not None:
                break          # one decision per line: the earlier part stays in the name
            ambiguous = (result.found, piece)
        elif result.kind == "region":
            regions.insert(0, piece)
        else:
            for recognised in reversed(result.found):
                found.insert(0, recognised)
        end_index = first
        name_end = parts[first - 1][1]
    name = body[:name_end].rstrip(" \t,;|/-‒–—―([")
    rest = body[name_end:].lstrip()
    for opening, closing in ("()", "[]"):
        # "Protection International (PI) – Kenya": the bracket closes the name, it does not start the country.
        if name.count(opening) > name.count(closing) and rest.startswith(closing):
            name += closing
    deduplicated = []
    for recognised in found:
        _add(deduplicated, recognised)
    line.name, line.found, line.region = name[:300], deduplicated, ", ".join(regions)[:120]
    if not name or (name == body and not found and not regions and countries.look_up(body) is not None):
        line.status = "unparsed"   # nothing but a country: whose is it?
        return line
    if ambiguous is not None:
        _offer_ambiguous(line, ambiguous, body)
    elif not found and not regions:
        _trailing_or_unknown(line, body, parts, kind)
    return line


def _offer_ambiguous(line, ambiguous, body):
    """A part that names more than one country: offer each, in order."""
    options, piece = ambiguous
    line.status = "decision"
    for option in options:
        codes = tuple(dict.fromkeys((option.code, *line.codes)))
        line.choices.append(Choice(f"c:{','.join(codes)}", line.name, codes, line.region))
    line.choices.append(Choice("none", body))
    line.found = [countries.Recognised(options[0].code, options[0].how, options[0].language), *line.found]


def _trailing_or_unknown(line, body, parts, kind):
    """No separated country: try a country at the very end, then a likely misspelling after a dash."""
    words = body.split()
    for size in range(min(MAX_COUNTRY_WORDS, len(words) - 1), 0, -1):
        tail, rest = " ".join(words[-size:]), words[:-size]
        if not tail[:1].isupper() or rest[-1].casefold() in CONNECTORS:
            continue
        result = countries.look_up(tail, codes_allowed=False)
        if result is None or result.kind != "country":
            continue
        name = body[:body.rstrip().rfind(words[-size])].rstrip()
        line.trailing = True
        line.found = list(result.found)
        if kind == SignatoryKind.ORGANISATION and len(rest) >= 2:
            line.name = name
            return
        # "Peter Jordan": a surname can be a country, so for a person the whole name comes first.
        line.status = "decision"
        split, whole = Choice(f"c:{result.found[0].code}", name, line.codes), Choice("none", body)
        line.choices = [split, whole] if kind == SignatoryKind.ORGANISATION else [whole, split]
        return
    if len(parts) > 1:
        last = body[parts[-1][0]:parts[-1][1]].strip()
        separator = parts[-2][2]
        close = countries.close_matches(last) if last else ()
        if close or (STRONG.search(separator) and last):
            name = body[:parts[-2][1]].strip()
            line.status = "decision"
            region, whole = Choice("region", name, (), last[:120]), Choice("none", body)
            # A near-miss of a country's name is most likely that country; otherwise the dash is most
            # likely part of the name ("Memorial – Human Rights Centre").
            line.choices = [Choice(f"c:{code}", name, (code,)) for code in close]
            line.choices += [region, whole] if close else [whole, region]


def preview(letter, text, kind=SignatoryKind.ORGANISATION):
    """Every non-empty line of ``text`` read as it would be listed, with duplicates marked. Stores nothing."""
    if kind not in SignatoryKind.ALL:
        raise LetterError("bad_kind")
    raw_lines = (text or "").splitlines()
    if len(raw_lines) > MAX_IMPORT_LINES:
        raise LetterError("too_many")
    listed = set(db.session.scalars(select(LetterSignatory.name_key).where(
        LetterSignatory.petition_id == letter.id, LetterSignatory.kind == kind,
        LetterSignatory.status == SignatoryStatus.APPROVED)))
    seen, lines = {}, []
    for number, raw in enumerate(raw_lines, 1):
        if not raw.strip():
            continue
        line = read_line(number, raw, kind)
        if line.status != "unparsed":
            _mark_duplicate(line, listed, seen)
        lines.append(line)
    return lines


def _mark_duplicate(line, listed, seen):
    keys = {name_key(line.name)} | {name_key(choice.name) for choice in line.choices}
    if keys & listed:
        line.status, line.duplicate_of = "duplicate", None
    elif keys & seen.keys():
        line.status, line.duplicate_of = "duplicate", min(seen[key] for key in keys & seen.keys())
    else:
        for key in keys:
            seen[key] = line.number


def decide(line, value):
    """Apply an organiser's choice to a line that needed one; an unknown value leaves it undecided."""
    for choice in line.choices:
        if choice.value == value:
            by_code = {r.code: r for r in line.found}
            line.name, line.region = choice.name, choice.region or line.region
            line.found = [by_code.get(code) or countries.Recognised(code, "chosen") for code in choice.codes]
            line.status = "ready"
            line.trailing = line.trailing and bool(choice.codes)
            return True
    return False


@dataclass
class Outcome:
    saved: list      # Lines stored
    reported: list   # Lines not stored: duplicates, unreadable, or still needing a decision


def save(letter, text, kind=SignatoryKind.ORGANISATION, decisions=None, take_suggestions=False, now=None):
    """Store the ready lines of ``text`` as approved signatories; report the others. Nothing listed changes.

    ``decisions`` maps a line number to the value of the choice the organiser made;
    ``take_suggestions`` takes the first choice of every line that needs one (for the command line).
    """
    decisions = decisions or {}
    now = now or utcnow()
    saved, reported = [], []
    for line in preview(letter, text, kind):
        if line.status == "decision":
            wanted = decisions.get(line.number) or (line.choices[0].value if take_suggestions else None)
            if wanted == "skip":
                line.status = "skipped"
            elif wanted is not None:
                decide(line, wanted)
        if line.status != "ready":
            reported.append(line)
            continue
        saved.append(line)
    keys = set()
    for line in saved:
        key = name_key(line.name)
        if key in keys:   # two lines that became the same name only through the decisions
            line.status, line.duplicate_of = "duplicate", None
            reported.append(line)
            continue
        keys.add(key)
        codes = line.codes
        db.session.add(LetterSignatory(
            petition_id=letter.id, kind=kind, name=line.name[:300], name_key=key[:300],
            country=codes[0] if codes else None, countries=",".join(codes), region=line.region,
            language=letter.primary_language, status=SignatoryStatus.APPROVED, source="import",
            created_at=now, confirmed_at=now, moderated_at=now))
    saved = [line for line in saved if line.status == "ready"]
    reported.sort(key=lambda line: line.number)
    db.session.flush()
    return Outcome(saved, reported)
