"""Atomic writing: a temporary file in the same folder, renamed; never a half-written or clobbered file."""

from __future__ import annotations

import tempfile

import pytest

from refcli.errors import UserError
from refcli.write import check_writable, write_atomically


def test_writes_bytes_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "out.bin"
    write_atomically(target, b"hello")
    assert target.read_bytes() == b"hello"
    assert [path.name for path in tmp_path.iterdir()] == ["out.bin"]


def test_writes_through_a_function(tmp_path):
    target = tmp_path / "out.toml"
    write_atomically(target, lambda stream: stream.write(b'id = "x"\n'))
    assert target.read_text() == 'id = "x"\n'


def test_never_overwrites_without_force(tmp_path):
    target = tmp_path / "annexe.docx"
    target.write_bytes(b"old")
    with pytest.raises(UserError, match=r"annexe\.docx: the file exists; pass --force"):
        write_atomically(target, b"new")
    assert target.read_bytes() == b"old"
    write_atomically(target, b"new", force=True)
    assert target.read_bytes() == b"new"
    assert len(list(tmp_path.iterdir())) == 1


@pytest.mark.parametrize("interruption", [KeyboardInterrupt, RuntimeError, OSError])
def test_an_interrupted_write_leaves_nothing_behind(tmp_path, interruption):
    target = tmp_path / "annexe.docx"

    def half_write(stream):
        stream.write(b"half")
        raise interruption("stop")

    expected = UserError if interruption is OSError else interruption
    with pytest.raises(expected):
        write_atomically(target, half_write)
    assert list(tmp_path.iterdir()) == []


def test_an_interrupted_overwrite_keeps_the_old_file(tmp_path):
    target = tmp_path / "annexe.docx"
    target.write_bytes(b"old")

    def interrupted(stream):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_atomically(target, interrupted, force=True)
    assert target.read_bytes() == b"old"
    assert len(list(tmp_path.iterdir())) == 1


def test_a_folder_is_not_an_output_file(tmp_path):
    with pytest.raises(UserError, match="is a folder"):
        write_atomically(tmp_path, b"x", force=True)


def test_a_missing_folder_is_named(tmp_path):
    with pytest.raises(UserError, match=r"the folder .*missing does not exist"):
        check_writable(tmp_path / "missing" / "annexe.docx")


def test_an_unwritable_folder_is_an_error(tmp_path, monkeypatch):
    # Tests may run as root, for whom permissions do not apply: make the temporary file fail instead.
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(UserError, match="cannot write in .*: permission denied"):
        write_atomically(tmp_path / "annexe.docx", b"x")


def test_files_written_together_leave_none_behind_when_one_fails(tmp_path):
    from refcli.write import write_all_atomically

    annex, record = tmp_path / "annexe.docx", tmp_path / "annexe.refcli.toml"

    def fail(stream):
        raise OSError(28, "No space left on device")

    with pytest.raises(UserError, match="annexe.refcli.toml: cannot write the file: no space left on the disk"):
        write_all_atomically([(annex, b"annex"), (record, fail)])
    assert list(tmp_path.iterdir()) == []  # the annex written first was removed again
    write_all_atomically([(annex, b"annex"), (record, b"record")])
    assert annex.read_bytes() == b"annex" and record.read_bytes() == b"record"
