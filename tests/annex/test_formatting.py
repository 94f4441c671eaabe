"""French typography for the annex: unbreakable spaces where French wants them, dates in words."""

from __future__ import annotations

import datetime

from hypothesis import given
from hypothesis import strategies as st

from refcli.annex.formatting import clean_text, format_date, format_number, french_typography


def test_french_typography():
    assert french_typography("Enjeux : a ; b ! c ? « d »") == (
        "Enjeux\u00a0: a\u202f; b\u202f! c\u202f? «\u00a0d\u00a0»"
    )
    assert french_typography("«co-construction»") == "«\u00a0co-construction\u00a0»"
    assert french_typography("à 16:30, http://x.fr") == "à 16:30, http://x.fr"


def test_format_date():
    assert format_date(datetime.date(2025, 3, 1)) == "1er\u00a0mars 2025"
    assert format_date(datetime.date(2024, 12, 12)) == "12\u00a0décembre 2024"


@given(st.text())
def test_any_text_ends_up_holdable_by_a_word_document(text):
    from docx import Document

    cleaned = french_typography(clean_text(text))
    Document().add_paragraph().add_run(cleaned)  # raises on a character XML cannot hold


def test_format_number_to_the_cent():
    assert format_number(167000000) == "167\u202f000\u202f000"
    assert format_number(12.5) == "12,5"
    assert format_number(99685.456) == "99\u202f685,46"
    # Rounded up to a whole number: no dangling comma ("100, € HT" was printed)
    assert format_number(99.995) == "100" and format_number(1234.999) == "1\u202f235" and format_number(0.004) == "0"


@given(st.floats(min_value=0, max_value=1e12, allow_nan=False))
def test_format_number_writes_a_french_number(value):
    text = format_number(value).replace("\u202f", "")
    assert not text.endswith(",") and text.count(",") <= 1
    assert abs(float(text.replace(",", ".")) - value) <= 0.005 + value * 1e-15
