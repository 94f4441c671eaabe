"""Selection by explicit ids: the order given, unknown ids with a "did you mean"."""

from __future__ import annotations

import pytest

from refcli.errors import UserError
from refcli.search.selection import parse_ids, select_by_ids
from tests.conftest import SEED_IDS


@pytest.fixture
def library(shipped_library):
    return shipped_library

def test_order_is_kept_and_reasons_given(library):
    order = [SEED_IDS[3], SEED_IDS[0], SEED_IDS[2]]
    selections = select_by_ids(library, order)
    assert [selection.mission.id for selection in selections] == order
    assert selections[1].reason == "listed in --ids, position 2"


def test_unknown_id_suggests_the_closest(library):
    suggestion = r"no mission with id 'antony-point-etape'; did you mean 'antony-point-etape-psl'"
    with pytest.raises(UserError, match=suggestion):
        select_by_ids(library, ["antony-point-etape"])


def test_duplicate_and_empty(library):
    with pytest.raises(UserError, match="listed twice"):
        select_by_ids(library, [SEED_IDS[0], SEED_IDS[0]])
    with pytest.raises(UserError, match="no reference selected"):
        select_by_ids(library, parse_ids(" , ,"))


def test_parse_ids():
    assert parse_ids("a, b,,c ") == ["a", "b", "c"]
