"""Find a library's record files and stat them; and the early scan that runs while refcli starts.

Listing and stat'ing 10,000 record files takes ~65 ms of the kernel's time, which a warm search needs
before anything else (the cache is keyed by each file's size and modification time). Importing what a
search uses (typer, rapidfuzz, sqlite3, refcli's modules) takes longer still, and both ran on one core.

So the entry point (refcli/__main__.py, the `refcli` command) calls start_early_scan before it imports
anything else: when the command line is a command that reads the library through its cache, a forked
child (a process of a few MB at that point, ~1 ms to fork) scans the folder the command line names, on
the machine's other core, while the parent imports and parses its arguments. The cache then asks
take_early_scan for that folder: it gets the child's answer only if the folder is the one the child
scanned and the child succeeded; in any other case (another folder, an error, no fork on this system)
it scans the folder itself, as before. The files are stat'ed ~0.1 s earlier, at the command's start.

Nothing here imports more than os and marshal: the child must start scanning at once.
"""

from __future__ import annotations

import marshal
import os
import sys

DATA_VARIABLE = "REFCLI_DATA"
DEFAULT_DATA = os.path.join("data", "missions")
# The commands that read the library through its cache (cli._load): they stat every record file.
CACHED_COMMANDS = frozenset({"search", "check", "build-bid", "list", "show"})


def is_record_name(name: str) -> bool:
    """Whether a file is read as a record: "x.toml", and "x.TOML" or "x.toml " too, whose problem says to rename it
    (left out unseen, it would be missing from every command without a word)."""
    return name.rstrip().lower().endswith(".toml")


def scan_record_files(folder: str | os.PathLike[str], *, stat: bool = True) -> dict[str, tuple[int, int]]:
    """Return, in the library's file order, each record file's relative path -> (size, mtime_ns).

    A sub-folder that cannot be listed is in it too, as a file that cannot be stat'ed (-1, -1): reading
    it gives its problem (load.read_record_bytes), and it is read again on each run.

    The files are find_record_files' (same rules, same order), found with os.scandir on strings:
    pathlib costs more than the stat calls at 10,000 files. Without stat, (0, 0) for each: a search
    without the cache needs only the names (10,000 stat calls, ~40 ms).
    """
    found: dict[str, tuple[int, int]] = {}
    # Names sorted within each folder, sub-folders walked where they sort: the order of sorted(Path). A stack of
    # the folders being walked, not recursion: a library nested a thousand folders deep is walked too.
    walking = [iter([(os.fspath(folder), "", None)])]
    while walking:
        item = next(walking[-1], None)
        if item is None:
            walking.pop()
            continue
        path, key, status = item
        if status is not None:
            found[key] = status
            continue
        entries = _folder_entries(folder, path, key, stat)
        if isinstance(entries, tuple):  # a sub-folder that cannot be listed: reading it says why
            found[key[:-1]] = entries
        elif isinstance(entries, dict):  # no sub-folder (the usual library): its records at once
            found.update(entries)
        else:
            walking.append(iter(entries))
    return found


def _folder_entries(library: str | os.PathLike[str], directory: str, prefix: str, stat: bool
                    ) -> dict[str, tuple[int, int]] | list[tuple[str, str, tuple[int, int] | None]] | tuple[int, int]:
    """One folder's records, key -> status, if it has no sub-folder; else its records (path, key, status) and
    sub-folders (path, key ending in /, None), sorted by name; (-1, -1) if it cannot be listed."""
    records: list[str] = []
    folders: list[str] = []
    try:
        listing = os.scandir(directory)
    except OSError as error:
        if not prefix:
            from refcli.records.load import unreadable_folder_error

            raise unreadable_folder_error(library, error) from None
        return (-1, -1)
    with listing:
        for entry in listing:
            name = entry.name
            if name.startswith("."):
                continue
            try:
                is_directory = entry.is_dir()
            except OSError:
                is_directory = False
            if is_directory:
                if not entry.is_symlink():  # os.walk(followlinks=False): no loops
                    folders.append(name)
            elif name.endswith(".toml") or is_record_name(name):  # the usual name tested first, in C
                records.append(name)
    records.sort()
    statuses = _stat_all(directory, records) if stat else [(0, 0)] * len(records)
    if not folders:
        return dict(zip([prefix + name for name in records] if prefix else records, statuses, strict=True))
    entries = sorted([(name, prefix + name, status) for name, status in zip(records, statuses, strict=True)]
                     + [(name, prefix + name + "/", None) for name in folders])
    return [(os.path.join(directory, name), key, status) for name, key, status in entries]


def _stat_all(directory: str, records: list[str]) -> list[tuple[int, int]]:
    """(size, mtime_ns) of each file of a folder, stat'ed relative to the open folder: the kernel need not
    walk the path again for each file (-25%)."""
    handle = os.open(directory, os.O_RDONLY) if _STAT_DIR_FD else None
    try:
        try:  # the usual case, in one comprehension; a file that cannot be stat'ed, one at a time
            return [(status.st_size, status.st_mtime_ns) for status in
                    (os.stat(name, dir_fd=handle) for name in records)]
        except OSError:
            return [_stat(name, handle, directory) for name in records]
    finally:
        if handle is not None:
            os.close(handle)


_STAT_DIR_FD = os.stat in os.supports_dir_fd


def _stat(name: str, handle: int | None, directory: str) -> tuple[int, int]:
    try:
        status = os.stat(name, dir_fd=handle) if handle is not None else os.stat(os.path.join(directory, name))
    except OSError:
        return (-1, -1)  # read_record_bytes will say why
    return (status.st_size, status.st_mtime_ns)


# --- the early scan ------------------------------------------------------------------------------

# The child started by start_early_scan: (its pid, the read end of its pipe, the folder it scans).
_early: tuple[int, int, str] | None = None


def start_early_scan(arguments: list[str], environ: dict[str, str] | os._Environ[str] = os.environ) -> None:
    """Fork a child that scans the library folder these arguments (sys.argv[1:]) name, if they name a
    command that stats it; take_early_scan collects its answer. Call before importing anything heavy."""
    global _early
    folder = named_folder(arguments, environ)
    if folder is None or _early is not None or not sys.platform.startswith("linux"):
        return  # fork is safe before any thread exists; on Linux it is also cheap
    try:
        read, write = os.pipe()
    except OSError:
        return
    try:
        pid = os.fork()
    except OSError:
        os.close(read)
        os.close(write)
        return
    if pid == 0:
        _run_child(folder, read, write)  # exits
    os.close(write)
    _early = (pid, read, folder)
    import atexit

    atexit.register(drop_early_scan)  # a command that ends before it takes the answer reaps the child too


def drop_early_scan() -> None:
    """Stop and reap the child if its answer was not taken: no process is left, not even a zombie
    (a container's first process may never reap what it inherits)."""
    global _early
    if _early is not None:
        pid, read, _ = _early
        _early = None
        os.close(read)
        _end(pid, kill=True)


def named_folder(arguments: list[str], environ: dict[str, str] | os._Environ[str]) -> str | None:
    """The library folder a command line reads through the cache (as cli._load resolves it), or None:
    another command, --no-cache (nothing is stat'ed) or --help (nothing is read). A wrong guess costs
    only the child's work: take_early_scan compares folders."""
    if not arguments or arguments[0] not in CACHED_COMMANDS:
        return None
    folder = None
    for position in range(1, len(arguments)):
        argument = arguments[position]
        if argument == "--":
            break
        if argument in ("--no-cache", "--help"):
            return None
        if argument == "--data":
            folder = arguments[position + 1] if position + 1 < len(arguments) else None
        elif argument.startswith("--data="):
            folder = argument[len("--data="):]
    return folder or environ.get(DATA_VARIABLE) or DEFAULT_DATA


def _run_child(folder: str, read: int, write: int) -> None:
    """Scan folder, write the result to the pipe, exit: no atexit handler, no buffer of the parent's."""
    status = 1
    try:
        os.close(read)
        for standard in (0, 1, 2):  # a script reading refcli's output must not wait for this process
            os.close(standard)
        data = marshal.dumps(scan_record_files(folder))
        view = memoryview(data)
        while view:
            view = view[os.write(write, view):]
        status = 0
    except BaseException:  # the parent scans the folder itself, and reports what goes wrong
        pass
    finally:
        os._exit(status)


def take_early_scan(folder: str | os.PathLike[str]) -> dict[str, tuple[int, int]] | None:
    """The early scan's result (scan_record_files(folder)) if the child scanned this folder and
    succeeded, else None; either way the child is gone afterwards."""
    global _early
    if _early is None:
        return None
    pid, read, scanned = _early
    from pathlib import Path  # the parent's folder is a Path made from the same text

    if os.fspath(folder) != os.fspath(Path(scanned)):
        drop_early_scan()
        return None
    _early = None
    chunks = []
    try:
        while chunk := os.read(read, 1 << 20):
            chunks.append(chunk)
    except OSError:
        chunks = []
    finally:
        os.close(read)
    if not _end(pid, kill=False) or not chunks:
        return None
    try:
        found = marshal.loads(b"".join(chunks))
    except (EOFError, ValueError, TypeError):
        return None
    return found if isinstance(found, dict) else None


def _end(pid: int, *, kill: bool) -> bool:
    """Reap the child (killed first if kill); whether it exited on success."""
    try:
        if kill:
            os.kill(pid, 9)
        _, status = os.waitpid(pid, 0)
    except OSError:
        return False
    return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
