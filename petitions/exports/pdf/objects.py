"""PDF syntax: numbers and strings, object and stream framing with byte offsets, and the closing xref/trailer."""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Iterator
from datetime import datetime, timezone

# Entries per chunk when writing the page tree and the xref, so a million pages never sit in one bytes object.
_CHUNK = 4096


def num(value: float) -> str:
    """Format a coordinate compactly and deterministically (two decimals are ample at 72 dpi)."""
    s = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def text_string(text: str) -> bytes:
    """A PDF text string as UTF-16BE with BOM in hex, which is correct for any script."""
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode("ascii") + b">"


def literal_ascii(text: str) -> bytes:
    """A literal string for values that are ASCII by construction (language tags, dates)."""
    safe = text.encode("ascii", "replace").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    return b"(" + safe + b")"


def date(moment: datetime) -> bytes:
    """A PDF date in UTC; naive datetimes are taken to be UTC already."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return b"(" + moment.strftime("D:%Y%m%d%H%M%S+00'00'").encode("ascii") + b")"


class Output:
    """Accumulates bytes until flushed, tracking byte offsets of objects and a hash for /ID."""

    def __init__(self) -> None:
        self.pos = 0
        # array('q') rather than a list of ints: 8 bytes per object for million-row documents.
        self.offsets = array("q", [0])
        self.parts: list[bytes] = []
        self.digest = hashlib.sha256()

    def reserve(self) -> int:
        self.offsets.append(-1)
        return len(self.offsets) - 1

    def write(self, data: bytes) -> None:
        self.parts.append(data)
        self.pos += len(data)

    def obj(self, num: int, body: bytes) -> None:
        self.offsets[num] = self.pos
        self.write(b"%d 0 obj\n" % num)
        self.write(body)
        self.write(b"\nendobj\n")

    def stream(self, num: int, data: bytes, extra: bytes = b"") -> None:
        self.offsets[num] = self.pos
        self.write(b"%d 0 obj\n<< /Length %d /Filter /FlateDecode%s >>\nstream\n" % (num, len(data), extra))
        self.write(data)
        self.write(b"\nendstream\nendobj\n")

    def flush(self) -> bytes:
        chunk = b"".join(self.parts)
        self.parts.clear()
        self.digest.update(chunk)
        return chunk

    def pages(self, num: int, page_ids: array) -> Iterator[bytes]:
        """The page tree's root, written flat in chunks: every page is a direct kid."""
        self.offsets[num] = self.pos
        self.write(b"%d 0 obj\n<< /Type /Pages /Count %d /Kids [" % (num, len(page_ids)))
        for start in range(0, len(page_ids), _CHUNK):
            self.write(b" ".join(b"%d 0 R" % n for n in page_ids[start : start + _CHUNK]))
            self.write(b"\n")
            yield self.flush()
        self.write(b"] >>\nendobj\n")

    def close(self, root: int, info: int) -> Iterator[bytes]:
        """The cross-reference table and trailer, which end the file."""
        xref_at = self.pos
        offsets = self.offsets
        size = len(offsets)
        self.write(b"xref\n0 %d\n0000000000 65535 f \n" % size)
        for start in range(1, size, _CHUNK):
            chunk = offsets[start : start + _CHUNK]
            if min(chunk) < 0:
                raise AssertionError(f"object {start + chunk.index(min(chunk))} was reserved but never written")
            self.write(b"".join(b"%010d 00000 n \n" % offset for offset in chunk))
            yield self.flush()
        # /ID only needs to be unique per content, so a hash of everything written keeps it deterministic.
        file_id = self.digest.hexdigest()[:32].upper().encode("ascii")
        self.write(
            b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R /ID [<%s> <%s>] >>\nstartxref\n%d\n%%%%EOF\n"
            % (size, root, info, file_id, file_id, xref_at)
        )
        yield self.flush()
