"""French typography for the annex: unbreakable spaces where French wants them, dates in words."""

from __future__ import annotations

import datetime

from hypothesis import given
from hypothesis import strategies as st

from refcli.annex.formatting import clean_text, format_date, french_typography


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
