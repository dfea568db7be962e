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

# Layout tables are for shaping, which happens before the PDF; a viewer never reads them from an embedded
# font, and decompiling them makes subsetting several times slower.
_UNUSED_TABLES = ("GSUB", "GPOS", "GDEF", "BASE", "JSTF", "DSIG", "MATH", "kern")


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
        return self.fallback_gid, "?"


def default_font_path(bold: bool) -> str:
    import font_source_sans_pro

    name = "SourceSansPro-Bold.ttf" if bold else "SourceSansPro-Regular.ttf"
    return os.path.join(os.path.dirname(font_source_sans_pro.__file__), "files", name)


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
    """Character -> advance in ems of the glyphs that shape it, filled on demand."""

    def __init__(self, font: FontUse) -> None:
        super().__init__()
        self._font = font

    def __missing__(self, ch: str) -> float:
        advances = self._font.data.advances
        value = sum(advances[ord(g)] for g in self._font.shape(ch)) / self._font.data.units_per_em
        self[ch] = value
        return value


class _Hexes(dict):
    """Character -> hex glyph ids of the glyphs that shape it; a miss is the moment a glyph becomes 'used'."""

    def __init__(self, font: FontUse) -> None:
        super().__init__()
        self._font = font

    def __missing__(self, ch: str) -> str:
        font = self._font
        glyphs = font.shape(ch)
        for g in glyphs:
            font.used.setdefault(ord(g), font.text_of[ord(g)])
        value = self[ch] = "".join(f"{ord(g):04X}" for g in glyphs)
        return value


class FontUse:
    """One font within one rendering: its resource name and the glyphs drawn so far."""

    def __init__(self, data: FontData, resource: str) -> None:
        self.data = data
        self.resource = resource
        # Glyph id -> the text it extracts as: for every glyph shaped, and for those drawn (the subset,
        # /W and /ToUnicode).
        self.text_of: dict[int, str] = {}
        self.used: dict[int, str] = {}
        self._glyph_map = _GlyphMap(data, self.text_of)
        self._advances = _Advances(self)
        self._hexes = _Hexes(self)
        self.ascent = min(data.ascent / 1000.0, 1.0)

    def shape(self, text: str) -> str:
        """The glyphs that draw `text`, in drawing order, each as the character chr(glyph id).

        The one place where text becomes glyphs. It maps character by character
        through the font's cmap, which is right for the Latin and Cyrillic
        scripts drawn today and context-free, so `measure` and `encode` call it
        per character and cache the answers: a million-row table is only fast
        that way. A shaper for scripts that need context (HarfBuzz for Farsi,
        with bidi reordering) replaces this method, records in `text_of` what
        each glyph extracts as, and has `measure` and `encode` shape whole
        strings instead of characters.
        """
        return text.translate(self._glyph_map)

    def measure(self, text: str) -> float:
        """Width of `text` in ems, without kerning."""
        return sum(map(self._advances.__getitem__, text))

    def encode(self, text: str) -> str:
        """Hex glyph ids of `text` for a Tj operand; marks its glyphs as used."""
        return "".join(map(self._hexes.__getitem__, text))


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


def write_font(out: Output, font: FontUse) -> Iterator[bytes]:
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


def widths_array(font: FontUse) -> bytes:
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


def to_unicode(font: FontUse) -> bytes:
    """The /ToUnicode CMap, which makes the drawn glyphs extract (and copy) as text."""
    entries = [f"<{gid:04X}> <{text.encode('utf-16-be').hex().upper()}>" for gid, text in sorted(font.used.items())]
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
