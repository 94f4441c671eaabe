"""The record writer: ids from titles, atomic writes that never replace a file unless forced."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from refcli.errors import UserError
from refcli.records.new_files import derive_id, write_record_file


def test_derive_id() -> None:
    assert derive_id("Point d'Etape de clôture de Bagneux", "Bagneux") == "point-d-etape-de-cloture-de-bagneux"
    assert derive_id("Diagnostic partagé", "Le Blanc-Mesnil") == "diagnostic-partage-le-blanc-mesnil"
    long = derive_id("AMO en vue de la coordination et du montage opérationnel et financier des 12 NPRU d'Est Ensemble")
    assert long == "amo-en-vue-de-la-coordination-et-du-montage-operationnel"
    assert len(long) <= 60


def test_write_new_file(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "a.toml"
    write_record_file(target, 'id = "a"\n')
    assert target.read_text(encoding="utf-8") == 'id = "a"\n'
    assert oct(target.stat().st_mode & 0o777) != oct(0o600)
    assert [path.name for path in target.parent.iterdir()] == ["a.toml"]


def test_never_replaces_without_force(tmp_path: Path) -> None:
    target = tmp_path / "a.toml"
    target.write_text("mine\n", encoding="utf-8")
    with pytest.raises(UserError, match="the file exists"):
        write_record_file(target, "theirs\n")
    assert target.read_text(encoding="utf-8") == "mine\n"
    write_record_file(target, "theirs\n", force=True)
    assert target.read_text(encoding="utf-8") == "theirs\n"
    assert [path.name for path in tmp_path.iterdir()] == ["a.toml"]


def test_interrupted_write_leaves_nothing(tmp_path: Path, monkeypatch) -> None:
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_record_file(tmp_path / "a.toml", 'id = "a"\n')
    assert list(tmp_path.iterdir()) == []


def test_without_hard_links_the_name_is_still_claimed_exclusively(tmp_path: Path, monkeypatch) -> None:
    def no_links(*args, **kwargs):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    target = tmp_path / "a.toml"
    write_record_file(target, "first\n")
    assert target.read_text(encoding="utf-8") == "first\n"
    with pytest.raises(UserError, match="the file exists"):
        write_record_file(target, "second\n")
    assert target.read_text(encoding="utf-8") == "first\n"
    assert [path.name for path in tmp_path.iterdir()] == ["a.toml"]
