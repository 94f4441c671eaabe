"""Write files atomically: to a temporary file in the same folder, then renamed over the target.

An interrupted run (an error, Ctrl-C) leaves the target as it was and no temporary file behind.
Generic over what is written: bytes, or a function that writes to a binary stream (a python-docx
Document's save, a TOML dump).
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import tempfile
import traceback
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from refcli.errors import Interrupted, UserError, os_reason
from refcli.i18n import _

Content = bytes | Callable[[BinaryIO], None]


def check_writable(path: Path, force: bool = False, example: str = "annexe.docx") -> None:
    """Raise UserError unless path can be written: its folder exists and is writable, and it is not a
    folder (the message suggests `example` in it), nor an existing file when force is False."""
    if not _is_utf8(path):
        raise UserError(_("{path}: the file name is not UTF-8 text (a selection record or a tender file, "
                          "UTF-8 TOML, could not name it); give a name in UTF-8").format(path=_shown(path)))
    if path.is_dir():
        raise UserError(_("{path}: is a folder; give the output file's name, e.g. {example}").format(
            path=path, example=path / example))
    folder = path.parent
    if not folder.exists():
        raise UserError(_("{path}: the folder {folder} does not exist; create it first")
                        .format(path=path, folder=folder))
    if not folder.is_dir():
        raise UserError(_("{path}: {folder} is not a folder").format(path=path, folder=folder))
    if path.exists() or path.is_symlink():
        if not force:
            raise UserError(_("{path}: the file exists; pass --force to overwrite it").format(path=path))
        if not path.is_file():
            raise UserError(_("{path}: exists and is not a regular file; refcli will not replace it").format(path=path))
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UserError(_("{path}: the folder {folder} is not writable").format(path=path, folder=folder))


def _is_utf8(path: Path) -> bool:
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:  # bytes that are not UTF-8 reach Python as lone surrogates
        return False
    return True


def _shown(path: Path) -> str:
    return str(path).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def refuse_inputs(path: Path, inputs: Iterable[tuple[str, Path | None]] = (), folders: Iterable[Path] = ()) -> None:
    """Raise UserError when path is one of the command's inputs (symlinks and hard links followed) or lies
    inside one of folders (the mission library): --force replaces a previous output, never an input."""
    target = _resolved(path)
    for folder in folders:
        if target.is_relative_to(_resolved(folder)):
            raise UserError(_("{path}: is inside the mission library {folder}; refcli never writes an output there, "
                              "--force or not: choose another --out").format(path=path, folder=folder))
    for what, source in inputs:
        if source is not None and (target == _resolved(source) or _same_file(path, source)):
            raise UserError(_("{path}: is {what} ({source}); refcli never writes over one of its inputs, "
                              "--force or not: choose another --out").format(path=path, what=what, source=source))


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a symlink loop: compared as written
        return path.absolute()


def _same_file(first: Path, second: Path) -> bool:
    """A hard link is the same file under another name."""
    try:
        return os.path.samefile(first, second)
    except (OSError, ValueError):
        return False


def write_atomically(path: Path, content: Content, force: bool = False) -> None:
    """Write content to path through a temporary file and a rename; never overwrite unless force."""
    write_all_atomically([(path, content)], force=force)


def _prepare(path: Path, content: Content) -> Path:
    """Write content to a temporary file beside path, synced, readable as path will be; return it."""
    folder = path.parent
    try:
        descriptor, temporary_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as error:
        raise UserError(_("{path}: cannot write in {folder}: {strerror}")
                        .format(path=path, folder=folder, strerror=os_reason(error))) from None
    temporary = Path(temporary_name)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            try:
                if isinstance(content, bytes | bytearray):
                    stream.write(content)
                else:
                    content(stream)
                stream.flush()
                os.fsync(stream.fileno())
            except BaseException as error:
                # What content left half-done (python-docx's zip writer) goes while the stream is open:
                # collected after it closes, it would print "Exception ignored ... seek of closed file".
                traceback.clear_frames(error.__traceback__)
                raise
        os.chmod(temporary, 0o666 & ~_umask())
    except BaseException:
        _remove(temporary)
        raise
    return temporary


@contextlib.contextmanager
def _signals_interrupt(path: Path) -> Iterator[None]:
    """While a file is written, SIGTERM and SIGHUP (a closed terminal, a system shutting down) interrupt the
    write as Ctrl-C does: the temporary file is removed and the command ends with 128 + the signal's number."""
    def interrupt(number: int, frame: object) -> None:
        raise Interrupted(_("{path}: interrupted ({signal}) while writing it; nothing written, the file is as it "
                            "was").format(path=path, signal=signal.Signals(number).name), 128 + number)

    previous = {}
    try:
        for number in (signal.SIGTERM, signal.SIGHUP):
            previous[number] = signal.signal(number, interrupt)
    except ValueError:  # not the main thread: signals stay as they are
        pass
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _move(temporary: Path, path: Path, force: bool) -> None:
    if force:
        os.replace(temporary, path)
        return
    # A hard link fails if the target appeared since the check: no file is ever clobbered.
    try:
        os.link(temporary, path)
    except FileExistsError:
        raise UserError(_("{path}: the file exists; pass --force to overwrite it").format(path=path)) from None
    except OSError as error:
        if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK, errno.ENOSYS):
            raise
        # No hard links on this file system: claim the name with O_EXCL, then rename over the claim.
        try:
            claim = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            raise UserError(_("{path}: the file exists; pass --force to overwrite it").format(path=path)) from None
        os.close(claim)
        os.replace(temporary, path)
        return
    _remove(temporary)


def _sync_folder(folder: Path) -> None:
    """Make the rename durable; a file system that cannot sync a folder is left as it is."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    with contextlib.suppress(OSError):
        os.fsync(descriptor)
    os.close(descriptor)


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_all_atomically(files: list[tuple[Path, Content]], force: bool = False) -> None:
    """Write files that go together (an annex and its selection record): all of them, or none.

    Every target is checked, then every content is written to a temporary file beside its target; only then are
    they renamed into place, one after the other with nothing in between, and a SIGTERM, SIGHUP or Ctrl-C that
    comes meanwhile waits until the last is in place (the command then ends as interrupted, saying so). Until the
    renames, an interruption or an error leaves every target as it was and no temporary file behind. A rename
    refused (the target appeared since, without force) undoes the files this call created.
    """
    for path, _content in files:
        check_writable(path, force)
    prepared: list[tuple[Path, Path]] = []
    first = files[0][0]
    try:
        with _signals_interrupt(first):
            for path, content in files:
                prepared.append((path, _prepare(path, content)))
    except OSError as error:
        _remove_all(prepared)
        path = files[len(prepared)][0] if len(prepared) < len(files) else first
        raise UserError(_("{path}: cannot write the file: {reason}").format(
            path=path, reason=os_reason(error))) from None
    except Interrupted:  # SIGTERM, SIGHUP (_signals_interrupt): said as such
        _remove_all(prepared)
        raise
    except KeyboardInterrupt:
        _remove_all(prepared)
        raise Interrupted(_("{path}: interrupted (Ctrl-C) while writing it; nothing written, the file is as it "
                            "was").format(path=first), 128 + signal.SIGINT) from None
    except BaseException:
        _remove_all(prepared)
        raise
    created: list[Path] = []
    with _signals_deferred() as deferred:
        try:
            for number, (path, temporary) in enumerate(prepared):
                existed = path.exists()
                _move(temporary, path, force)
                if not existed:
                    created.append(path)
                prepared[number] = (path, path)  # in place: nothing left to remove
        except BaseException as error:
            _remove_all([(path, temporary) for path, temporary in prepared if temporary != path])
            for path in created:
                _remove(path)
            if isinstance(error, OSError):
                raise UserError(_("{path}: cannot write the file: {reason}").format(
                    path=path, reason=os_reason(error))) from None
            raise
        for folder in dict.fromkeys(path.parent for path, _content in files):
            _sync_folder(folder)
    if deferred:
        names = ", ".join(str(path) for path, _content in files)
        raise Interrupted(_("interrupted ({signal}) while {files} were put in place; refcli waited until they all "
                            "were: they are complete").format(signal=signal.Signals(deferred[0]).name, files=names),
                          128 + deferred[0])


def _remove_all(prepared: list[tuple[Path, Path]]) -> None:
    for _path, temporary in prepared:
        _remove(temporary)


@contextlib.contextmanager
def _signals_deferred() -> Iterator[list[int]]:
    """While files are renamed into place, SIGINT, SIGTERM and SIGHUP are noted, not acted on: yields the list of
    those that came, for the caller to end on once every file is in place."""
    came: list[int] = []

    def note(number: int, frame: object) -> None:
        came.append(number)

    previous = {}
    try:
        for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            previous[number] = signal.signal(number, note)
    except ValueError:  # not the main thread: signals stay as they are
        pass
    try:
        yield came
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
