"""The delivery CSV as a spreadsheet program reads it: every cell quoted, no part of a cell a formula."""
import csv
import io
from datetime import datetime, timezone

import pytest

from petitions.exports.delivery import csv_chunks

AT = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def _exported(name, city="Berlin"):
    body = b"".join(csv_chunks([(name, city, "DE", "de", AT)])).decode("utf-8-sig")
    return body


def _cells(body, delimiter):
    """The cells a spreadsheet set to split on ``delimiter`` sees in the signature's line."""
    return list(csv.reader(io.StringIO(body, newline=""), delimiter=delimiter))[1]


def test_every_cell_is_quoted():
    body = _exported("Anna Nowak")
    assert body.splitlines()[1] == '"Anna Nowak","Berlin","DE","de","2026-03-01T12:00:00Z"'
    assert body.splitlines()[0] == '"name","city","country","language","signed_at_utc"'


@pytest.mark.parametrize("name", [
    "Anna;=1+1;", "Anna; =HYPERLINK(\"http://evil.example\");", "Anna;+1;", "Anna;-2+3;", "Anna;@SUM(A1);",
    "Anna\t=1+1", "=1+1", "Анна;=1+1", "Anna;＝1+1", "Anna;\t=1+1",
])
def test_no_semicolon_or_tab_separated_part_of_a_cell_starts_a_formula(name):
    body = _exported(name)
    for delimiter in (",", ";", "\t"):
        for cell in _cells(body, delimiter):
            for part in cell.replace("\t", ";").split(";"):
                assert not part.lstrip(" ").startswith(("=", "+", "-", "@", "＝")), (delimiter, cell)
    # Read with the separator it was written with, the name is all there, with an apostrophe before the formula.
    assert _cells(body, ",")[0].replace("'", "") == name


@pytest.mark.parametrize("name", ["Jean-Luc Picard", "Anna; Berlin", "A. B. Smith", "Lee \"Bo\" Park", "O'Brien"])
def test_ordinary_names_come_out_unchanged(name):
    assert _cells(_exported(name), ",")[0] == name
