"""TrueType fonts: metrics, the path from text to glyphs, and the embedded Type0 font written at the end.

Fonts are embedded as Type0/CIDFontType2 with Identity-H encoding, so glyph
ids go straight into the content stream. The writer streams pages, so which
glyphs a document uses is known only after the last page: the font objects
come after the pages, and the embedded file is a subset made then, keeping
glyph ids (`retain_gids`) so that the ids already written stay valid.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import unicodedata
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from fontTools import subset
from fontTools.ttLib import TTFont

from .objects import Output, num

log = logging.getLogger(__name__)

# Layout tables are for shaping, which happens before the PDF; a viewer never reads them from an embedded
# font, and decompiling them makes subsetting several times slower.
_UNUSED_TABLES = ("GSUB", "GPOS", "GDEF", "BASE", "JSTF", "DSIG", "MATH", "kern", "meta")


@dataclass(frozen=True)
class FontData:
    """Metrics of one TrueType font, shared between documents; holds no per-document state."""

    path: str
    ps_name: str
    units_per_em: int
    cmap: dict[int, int]
    advances: tuple[int, ...]
    ascent: float
    descent: float
    cap_height: float
    bbox: tuple[float, float, float, float]
    italic_angle: float
    flags: int
    stem_v: int
    fallback_gid: int
    space_gid: int
    may_subset: bool

    def glyph(self, ch: str) -> tuple[int, str]:
        """The glyph id for `ch` and the text it should extract as."""
        gid = self.cmap.get(ord(ch))
        if gid is not None:
            return gid, ch
        if unicodedata.category(ch) == "Zs":
            # An exotic space the font lacks is still a space, not a "?".
            return self.space_gid, " "
        # Not reached from FontUse, which sends such characters to the fallback fonts; never a "?" either way.
        return 0, "\ufffd"


def default_font_path(bold: bool) -> str:
    import font_source_sans_pro

    name = "SourceSansPro-Bold.ttf" if bold else "SourceSansPro-Regular.ttf"
    return os.path.join(os.path.dirname(font_source_sans_pro.__file__), "files", name)


def fallback_font_paths(bold: bool) -> tuple[str, ...]:
    """Fonts tried, in order, for characters the default font lacks: Arabic script (Farsi) today.

    IBM Plex Sans Arabic (``fontpkg-ibm-plex-sans-arabic``) is drawn to match a
    humanist sans like Source Sans Pro, is static (a viewer ignores the axes of
    an embedded variable font) and has Regular and Bold.
    """
    import fontpkg_ibm_plex_sans_arabic

    name = "IBMPlexSansArabic-Bold.ttf" if bold else "IBMPlexSansArabic-Regular.ttf"
    return (os.path.join(fontpkg_ibm_plex_sans_arabic.ROOT, "files", name),)


def font_data(path: str) -> FontData:
    path = os.path.abspath(path)
    stat = os.stat(path)
    # Keyed on mtime and size too, so a replaced font file is not served stale.
    return _load_font(path, stat.st_mtime_ns, stat.st_size)


def _ps_name(font: TTFont, path: str) -> str:
    names = font["name"] if "name" in font else None
    name = names.getDebugName(6) if names is not None else None
    fallback = os.path.splitext(os.path.basename(path))[0]
    return re.sub(r"[^A-Za-z0-9+\-_.]", "", name or "") or re.sub(r"[^A-Za-z0-9+\-_.]", "", fallback) or "Font"


@lru_cache(maxsize=8)
def _load_font(path: str, _mtime_ns: int, _size: int) -> FontData:
    font = TTFont(path, lazy=True)
    try:
        if "glyf" not in font:
            raise ValueError(f"{path}: only TrueType-outline fonts can be embedded as FontFile2")
        os2 = font["OS/2"] if "OS/2" in font else None
        fs_type = os2.fsType if os2 is not None else 0
        if fs_type & 0x000F == 0x0002:
            raise ValueError(f"{path}: the font's licence forbids embedding")
        head, hhea, post = font["head"], font["hhea"], font["post"]
        upem = head.unitsPerEm
        scale = 1000.0 / upem
        order = font.getGlyphOrder()
        hmtx = font["hmtx"].metrics
        gid_of = {name: i for i, name in enumerate(order)}
        cmap = {cp: gid_of[name] for cp, name in (font.getBestCmap() or {}).items() if name in gid_of}
        fallback = cmap.get(ord("?"), 0)
        if os2 is not None and os2.version >= 2 and getattr(os2, "sCapHeight", 0):
            cap_height = os2.sCapHeight
        else:
            cap_height = hhea.ascent * 0.7
        weight = os2.usWeightClass if os2 is not None else 400
        italic = bool(post.italicAngle) or bool(head.macStyle & 0x2)
        return FontData(
            path=path,
            ps_name=_ps_name(font, path),
            units_per_em=upem,
            cmap=cmap,
            advances=tuple(hmtx[name][0] if name in hmtx else 0 for name in order),
            ascent=hhea.ascent * scale,
            descent=hhea.descent * scale,
            cap_height=cap_height * scale,
            bbox=(head.xMin * scale, head.yMin * scale, head.xMax * scale, head.yMax * scale),
            italic_angle=float(post.italicAngle),
            # Flags: Nonsymbolic (6th bit), plus FixedPitch and Italic when they apply.
            flags=32 | (1 if post.isFixedPitch else 0) | (64 if italic else 0),
            # Fonts do not record stem widths; this is the usual estimate from the weight class.
            stem_v=round(50 + (weight / 65) ** 2),
            fallback_gid=fallback,
            space_gid=cmap.get(ord(" "), fallback),
            # fsType bit 8: the licence allows embedding only the whole font.
            may_subset=not fs_type & 0x0100,
        )
    finally:
        font.close()


# --------------------------------------------------------------------------- text to glyphs

# U+FFFD: what a glyph no font has extracts as; the .notdef box is drawn, so the gap is visible.
REPLACEMENT = "\ufffd"
# Bidi classes that make a character need the bidi algorithm; NSM (combining marks) need a shaper to place them.
_RTL_CLASSES = frozenset(("R", "AL", "AN", "NSM"))
_SHAPED_CATEGORIES = frozenset(("Mn", "Mc", "Me"))
# Joiners change how neighbours connect (Farsi writes ZWNJ inside words) and must reach the shaper.
_JOINERS = frozenset("\u200c\u200d")
_X9_REMOVED = frozenset(("RLE", "LRE", "RLO", "LRO", "PDF", "BN"))
_LTR_OR_NUMBER = frozenset(("L", "EN", "AN", "LRE", "LRO", "RLE", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI"))


def needs_shaping(data: FontData, ch: str) -> bool:
    """Whether `ch` must go through HarfBuzz and bidi rather than the font's cmap alone."""
    if ch in _JOINERS:
        return True
    if ord(ch) not in data.cmap:
        # Exotic spaces map to the space glyph (FontData.glyph); anything else needs a fallback font.
        return unicodedata.category(ch) != "Zs"
    return unicodedata.bidirectional(ch) in _RTL_CLASSES or unicodedata.category(ch) in _SHAPED_CATEGORIES


@lru_cache(maxsize=8)
def _hb_font(path: str, _mtime_ns: int, _size: int):
    import uharfbuzz as hb

    with open(path, "rb") as fh:
        return hb.Font(hb.Face(hb.Blob(fh.read())))


def hb_font(data: FontData):
    stat = os.stat(data.path)
    return _hb_font(data.path, stat.st_mtime_ns, stat.st_size)


def bidi_levels(text: str, rtl: bool) -> list[int]:
    """The resolved bidi embedding level of each character of one line (odd: right to left)."""
    classes = {unicodedata.bidirectional(ch) for ch in text}
    if rtl and not classes & _LTR_OR_NUMBER:
        # Right-to-left letters and neutrals only: every character resolves to the paragraph's level.
        return [1] * len(text)
    from bidi import algorithm

    storage = algorithm.get_empty_storage()
    storage["base_level"] = 1 if rtl else 0
    storage["base_dir"] = "R" if rtl else "L"
    algorithm.get_embedding_levels(text, storage)
    algorithm.explicit_embed_and_overrides(storage)
    algorithm.resolve_weak_types(storage)
    algorithm.resolve_neutral_types(storage, False)
    algorithm.resolve_implicit_levels(storage, False)
    resolved = [c["level"] for c in storage["chars"]]
    if len(resolved) == len(text):
        return resolved
    # Rule X9 removed the boundary neutrals (ZWNJ, ZWJ ...); each takes the level of the character before it.
    levels: list[int] = []
    kept = iter(resolved)
    base = storage["base_level"]
    for ch in text:
        if unicodedata.bidirectional(ch) in _X9_REMOVED:
            levels.append(levels[-1] if levels else base)
        else:
            levels.append(next(kept))
    return levels


def visual_order(levels: list[int]) -> list[int]:
    """Indexes of runs of the given levels in drawing order, left to right (rule L2 of UAX #9)."""
    order = list(range(len(levels)))
    if not levels:
        return order
    lowest_odd = min(level for level in levels if level % 2) if any(level % 2 for level in levels) else None
    if lowest_odd is None:
        return order
    for level in range(max(levels), lowest_odd - 1, -1):
        i = 0
        while i < len(order):
            if levels[order[i]] >= level:
                j = i
                while j < len(order) and levels[order[j]] >= level:
                    j += 1
                order[i:j] = reversed(order[i:j])
                i = j
            else:
                i += 1
    return order


@dataclass
class Face:
    """One font file embedded in one rendering: its resource name and the glyphs drawn with it."""

    data: FontData
    resource: str

    def __post_init__(self) -> None:
        # Glyph id -> the text it extracts as, for the glyphs drawn (the subset, /W and /ToUnicode).
        self.used: dict[int, str] = {}
        self._hb = None

    @property
    def hb(self):
        if self._hb is None:
            self._hb = hb_font(self.data)
        return self._hb


@dataclass(frozen=True)
class ShapedRun:
    """Glyphs of one font and direction, in drawing order: (glyph id, advance, x offset, y offset, text)."""

    face: Face
    glyphs: tuple[tuple[int, int, int, int, str], ...]
    width: float  # ems


class _GlyphMap(dict):
    """str.translate table: code point -> glyph id as a character, filled on demand."""

    def __init__(self, data: FontData, text_of: dict[int, str]) -> None:
        super().__init__()
        self._data = data
        self._text_of = text_of

    def __missing__(self, codepoint: int) -> str:
        gid, text = self._data.glyph(chr(codepoint))
        # The first character seen for a glyph is the one it extracts as, so copy-paste gives real text.
        self._text_of.setdefault(gid, text)
        value = self[codepoint] = chr(gid)
        return value


class _Advances(dict):
    """Character -> advance in ems of the glyphs that shape it, or None when it needs the shaper."""

    def __init__(self, font: FontUse) -> None:
        super().__init__()
        self._font = font

    def __missing__(self, ch: str) -> float | None:
        font = self._font
        if needs_shaping(font.data, ch):
            value = None
        else:
            advances = font.data.advances
            value = sum(advances[ord(g)] for g in font.shape(ch)) / font.data.units_per_em
        self[ch] = value
        return value


class _Hexes(dict):
    """Character -> hex glyph ids of the glyphs that shape it (None: needs the shaper); a miss marks them used."""

    def __init__(self, font: FontUse) -> None:
        super().__init__()
        self._font = font

    def __missing__(self, ch: str) -> str | None:
        font = self._font
        if needs_shaping(font.data, ch):
            value = self[ch] = None
            return value
        glyphs = font.shape(ch)
        for g in glyphs:
            font.used.setdefault(ord(g), font.text_of[ord(g)])
        value = self[ch] = "".join(f"{ord(g):04X}" for g in glyphs)
        return value


# Shaped lines kept per font: a line is measured while wrapping and then drawn, so it is shaped once.
SHAPED_CACHE_SIZE = 512


class FontUse:
    """One style (regular or bold) within one rendering: the default face, its fallbacks, the glyphs drawn.

    Text made only of characters the default face draws on its own (Latin,
    Cyrillic, Greek ...) takes the fast path: glyphs straight from the cmap,
    character by character, cached, which keeps a million-row table fast and
    its bytes unchanged. A line with any other character (Arabic script,
    combining marks, joiners, a character the default face lacks) is split
    into bidi runs and font runs, shaped with HarfBuzz and drawn with
    per-glyph positions.
    """

    def __init__(
        self,
        data: FontData,
        resource: str,
        fallbacks: Iterable[tuple[FontData, str]] = (),
        *,
        rtl: bool = False,
        language: str | None = None,
    ) -> None:
        self.data = data
        self.resource = resource
        self.primary = Face(data, resource)
        self.faces = [self.primary] + [Face(d, r) for d, r in fallbacks]
        self.rtl = rtl
        self.language = language
        # Glyph id -> the text it extracts as, for every glyph mapped on the fast path.
        self.text_of: dict[int, str] = {}
        self.used = self.primary.used
        self._glyph_map = _GlyphMap(data, self.text_of)
        self._advances = _Advances(self)
        self._hexes = _Hexes(self)
        self._shaped: dict[str, list[ShapedRun]] = {}
        self._warned: set[str] = set()
        self.ascent = min(data.ascent / 1000.0, 1.0)

    def shape(self, text: str) -> str:
        """The default face's glyphs for characters that need no shaper, each as the character chr(glyph id).

        Context-free, so `measure` and `encode` call it per character and cache
        the answers. Everything else goes through `shape_line`.
        """
        return text.translate(self._glyph_map)

    def measure(self, text: str) -> float:
        """Width of `text` in ems (kerning only where the line is shaped)."""
        try:
            return sum(map(self._advances.__getitem__, text))
        except TypeError:  # a character that needs the shaper: its advance is None
            return sum(run.width for run in self.shape_line(text))

    def encode(self, text: str) -> str | None:
        """Hex glyph ids of `text` for a Tj operand (marks its glyphs used), or None if it needs the shaper."""
        try:
            return "".join(map(self._hexes.__getitem__, text))
        except TypeError:
            return None

    def show(self, text: str, size: float) -> str:
        """Operators that draw one line of `text` at the current text position, in this font at `size`."""
        hexes = self.encode(text)
        if hexes is not None:
            return f"<{hexes}> Tj"
        ops: list[str] = []
        current = self.primary
        rise = 0
        for run in self.shape_line(text):
            face = run.face
            if face is not current:
                ops.append(f"/{face.resource} {num(size)} Tf")
                current = face
            scale = 1000.0 / face.data.units_per_em
            advances = face.data.advances
            used = face.used
            parts: list[str] = []
            hexes_run: list[str] = []
            pending = 0.0  # TJ adjustment still to apply, thousandths of an em (positive moves left)
            for gid, x_advance, x_offset, y_offset, text_ in run.glyphs:
                if gid not in used or (text_ and not used[gid]):
                    used[gid] = text_
                if y_offset != rise:
                    if hexes_run:
                        parts.append(f"<{''.join(hexes_run)}>")
                        hexes_run = []
                    if parts:
                        ops.append(f"[{' '.join(parts)}] TJ")
                        parts = []
                    rise = y_offset
                    ops.append(f"{num(rise / face.data.units_per_em * size)} Ts")
                pending -= x_offset * scale
                if abs(pending) > 0.05:
                    if hexes_run:
                        parts.append(f"<{''.join(hexes_run)}>")
                        hexes_run = []
                    parts.append(num(pending))
                hexes_run.append(f"{gid:04X}")
                # The viewer advances by the /W width; move to where the shaper put the next glyph.
                pending = (advances[gid] - x_advance) * scale + x_offset * scale
            if hexes_run:
                parts.append(f"<{''.join(hexes_run)}>")
            if abs(pending) > 0.05:
                parts.append(num(pending))
            if parts:
                ops.append(f"[{' '.join(parts)}] TJ")
        if rise:
            ops.append("0 Ts")
        return " ".join(ops)

    # ----------------------------------------------------------------- shaping

    def _face_for(self, ch: str, current: Face | None) -> Face:
        cp = ord(ch)
        # Spaces, punctuation, digits and marks stay in the run around them, so a Farsi phrase is shaped
        # as one piece and its spaces and digits come from the same font.
        if current is not None and cp in current.data.cmap and not unicodedata.category(ch).startswith("L"):
            return current
        for face in self.faces:
            if cp in face.data.cmap:
                return face
        # Marks and format characters (joiners, the label's RLM) belong to the run they sit in.
        if unicodedata.category(ch) in _SHAPED_CATEGORIES or unicodedata.category(ch) == "Cf":
            return current or self.primary
        return self.primary

    def shape_line(self, text: str) -> list[ShapedRun]:
        """`text` (one line) as shaped runs in drawing order, left to right."""
        runs = self._shaped.get(text)
        if runs is not None:
            return runs
        if len(self._shaped) >= SHAPED_CACHE_SIZE:
            self._shaped.clear()
        # Lines without right-to-left characters are laid out left to right whatever the document's
        # direction, as `dir="auto"` would: a Latin name in a Farsi list keeps its trailing full stop.
        rtl = self.rtl and any(unicodedata.bidirectional(c) in ("R", "AL") for c in text)
        levels = bidi_levels(text, rtl) if rtl or any(unicodedata.bidirectional(c) in ("R", "AL", "AN")
                                                        for c in text) else [0] * len(text)
        segments: list[tuple[int, int, int, Face]] = []  # (start, end, level, face), logical order
        face: Face | None = None
        for i, ch in enumerate(text):
            chosen = self._face_for(ch, face if segments and segments[-1][2] == levels[i] else None)
            if segments and segments[-1][2] == levels[i] and segments[-1][3] is chosen:
                start, _, level, _ = segments[-1]
                segments[-1] = (start, i + 1, level, chosen)
            else:
                segments.append((i, i + 1, levels[i], chosen))
            face = chosen
        order = visual_order([seg[2] for seg in segments])
        runs = [self._shape_segment(text, *segments[k]) for k in order]
        self._shaped[text] = runs
        return runs

    def _shape_segment(self, text: str, start: int, end: int, level: int, face: Face) -> ShapedRun:
        import uharfbuzz as hb

        buf = hb.Buffer()
        # The whole line is context (joining across a font or direction change); only [start, end) is shaped.
        buf.add_str(text, item_offset=start, item_length=end - start)
        buf.guess_segment_properties()
        buf.direction = "rtl" if level % 2 else "ltr"
        if self.language:
            buf.language = self.language
        buf.cluster_level = hb.BufferClusterLevel.MONOTONE_CHARACTERS
        buf.flags = hb.BufferFlags.REMOVE_DEFAULT_IGNORABLES
        hb.shape(face.hb, buf, {"kern": True, "liga": True})
        infos, positions = buf.glyph_infos, buf.glyph_positions
        # add_str counts clusters in code points from the start of the whole string.
        clusters = sorted({info.cluster for info in infos})
        bounds = dict(zip(clusters, clusters[1:] + [end], strict=True))
        seen: set[int] = set()
        glyphs = []
        width = 0
        for info, pos in zip(infos, positions, strict=True):
            gid, cluster = info.codepoint, info.cluster
            if cluster in seen:
                piece = ""  # further glyphs of one character: the first one carries its text
            else:
                seen.add(cluster)
                piece = text[cluster : bounds[cluster]]
            if gid == 0:
                self._warn_missing(piece)
                piece = REPLACEMENT if piece else ""
            glyphs.append((gid, pos.x_advance, pos.x_offset, pos.y_offset, piece))
            width += pos.x_advance
        return ShapedRun(face, tuple(glyphs), width / face.data.units_per_em)

    def _warn_missing(self, piece: str) -> None:
        # Code points only: the text is often a signatory's name, which stays out of the logs.
        missing = [f"U+{ord(c):04X}" for c in piece if c not in self._warned]
        if missing:
            self._warned.update(piece)
            log.warning("no font has a glyph for %s; drawn as an empty box", ", ".join(missing))


# --------------------------------------------------------------------------- embedding


def subset_tag(gids: Iterable[int]) -> str:
    """Six capital letters naming a subset, derived from its glyphs so that output stays deterministic."""
    digest = hashlib.sha256(",".join(map(str, sorted(gids))).encode("ascii")).digest()
    return "".join(chr(65 + b % 26) for b in digest[:6])


def font_file(data: FontData, gids: Iterable[int]) -> bytes:
    """The font file to embed: the glyphs `gids` (plus .notdef and composite parts) at their original ids."""
    if not data.may_subset:
        with open(data.path, "rb") as fh:
            return fh.read()
    stat = os.stat(data.path)
    return _subset(data.path, stat.st_mtime_ns, stat.st_size, tuple(sorted(gids)))


@lru_cache(maxsize=16)
def _subset(path: str, _mtime_ns: int, _size: int, gids: tuple[int, ...]) -> bytes:
    # Cached because letters and small packs are rendered again with the same glyphs; a subset is ~30 kB.
    # No new modification time in the head table: the same glyphs must give the same bytes.
    font = TTFont(path, recalcTimestamp=False)
    try:
        for tag in _UNUSED_TABLES:
            if tag in font:
                del font[tag]
        options = subset.Options()
        options.retain_gids = True
        options.notdef_outline = True
        options.layout_features = []
        subsetter = subset.Subsetter(options)
        subsetter.populate(gids=gids)
        subsetter.subset(font)
        buffer = io.BytesIO()
        font.save(buffer)
        return buffer.getvalue()
    finally:
        font.close()


def write_font(out: Output, font: Face) -> Iterator[bytes]:
    """Write one font's objects; returns (via StopIteration) the Type0 font's object number."""
    data = font.data
    type0_id, cid_id, descriptor_id, file_id, cmap_id = (out.reserve() for _ in range(5))

    raw = font_file(data, font.used)
    out.stream(file_id, zlib.compress(raw, 6), b" /Length1 %d" % len(raw))
    del raw
    yield out.flush()

    name = data.ps_name.encode("ascii")
    if data.may_subset:
        name = subset_tag(font.used).encode("ascii") + b"+" + name
    bbox = b" ".join(num(v).encode() for v in data.bbox)
    out.obj(
        descriptor_id,
        b"<< /Type /FontDescriptor /FontName /%s /Flags %d /FontBBox [%s] /ItalicAngle %s"
        b" /Ascent %s /Descent %s /CapHeight %s /StemV %d /FontFile2 %d 0 R >>"
        % (
            name,
            data.flags,
            bbox,
            num(data.italic_angle).encode(),
            num(data.ascent).encode(),
            num(data.descent).encode(),
            num(data.cap_height).encode(),
            data.stem_v,
            file_id,
        ),
    )
    out.obj(
        cid_id,
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /%s"
        b" /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >>"
        b" /FontDescriptor %d 0 R /CIDToGIDMap /Identity /W [%s] >>"
        % (name, descriptor_id, widths_array(font)),
    )
    out.stream(cmap_id, zlib.compress(to_unicode(font), 6))
    out.obj(
        type0_id,
        b"<< /Type /Font /Subtype /Type0 /BaseFont /%s /Encoding /Identity-H"
        b" /DescendantFonts [%d 0 R] /ToUnicode %d 0 R >>" % (name, cid_id, cmap_id),
    )
    yield out.flush()
    return type0_id


def widths_array(font: Face) -> bytes:
    """The /W array for the glyphs used: runs of consecutive ids share one entry."""
    data = font.data
    scale = 1000.0 / data.units_per_em
    parts: list[str] = []
    run: list[str] = []
    previous = -2
    for gid in sorted(font.used):
        if gid != previous + 1 and run:
            parts.append(f"{run[0]} [{' '.join(run[1:])}]")
            run = []
        if not run:
            run.append(str(gid))
        run.append(num(data.advances[gid] * scale))
        previous = gid
    if run:
        parts.append(f"{run[0]} [{' '.join(run[1:])}]")
    return "\n".join(parts).encode("ascii")


def to_unicode(font: Face) -> bytes:
    """The /ToUnicode CMap, which makes the drawn glyphs extract (and copy) as text."""
    entries = [
        f"<{gid:04X}> <{text.encode('utf-16-be').hex().upper()}>" for gid, text in sorted(font.used.items()) if text
    ]
    lines = [
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        "<0000> <FFFF>",
        "endcodespacerange",
    ]
    # The CMap format allows at most 100 entries per bfchar section.
    for start in range(0, len(entries), 100):
        block = entries[start : start + 100]
        lines.append(f"{len(block)} beginbfchar")
        lines.extend(block)
        lines.append("endbfchar")
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return "\n".join(lines).encode("ascii")
