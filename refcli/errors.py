"""The two kinds of failure a user can fix, told apart from bugs (which keep their traceback)."""

from __future__ import annotations

from refcli.frozen import frozen


@frozen
class Problem:
    """One thing wrong with one input file, located by key path (and line and column for syntax)."""

    path: str
    key: str
    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        if self.key:
            where += f": {self.key}"
        message = self.message.replace("\r", "\\r").replace("\n", "\\n")  # one line, always
        return f"{where}: {message}"


class UserError(Exception):
    """An input the user can fix: the command cannot do its job (exit 2).

    The message is one line naming the file and, where there is one, the field.
    """

    exit_code = 2


class NegativeAnswer(Exception):
    """The command ran and its answer is negative (exit 1): nothing matched, a check failed.

    A refusal to write (build-bid's rules, a changed selection record) carries a stable `code`, the ids it is
    about and its numbers: with --json, what the command prints instead of its document (docs/checklists.md).
    """

    exit_code = 1

    def __init__(self, message: str = "", code: str | None = None, missions: list[str] | tuple[str, ...] = (),
                 required: int | None = None, found: int | None = None) -> None:
        super().__init__(message)
        self.code, self.missions, self.required, self.found = code, list(missions), required, found

    def as_json(self) -> dict:
        return {"code": self.code, "missions": self.missions, "required": self.required, "found": self.found,
                "message": str(self)}


def closest(word: str, choices: list[str]) -> str | None:
    """The choice a mistyped word most likely meant, for a "did you mean" (None when none is close)."""
    from rapidfuzz import fuzz, process

    best = process.extractOne(word, choices, scorer=fuzz.WRatio, processor=str.casefold, score_cutoff=60)
    if not best or best[0] == word:
        return None
    # WRatio matches a part of a long choice: "foo" in "Coordination inter-chantiers". A suggestion is alike as a
    # whole, or holds the word.
    alike = fuzz.ratio(word, best[0], processor=str.casefold) >= 50 or word.casefold() in best[0].casefold()
    return best[0] if alike else None

class Interrupted(KeyboardInterrupt):
    """Ctrl-C or a signal (SIGTERM, SIGHUP) stopped the command while it wrote a file: nothing was written.

    A KeyboardInterrupt, which it stands for: no `except Exception` swallows it, and a caller that stops on
    Ctrl-C stops on it.
    """

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def os_reason(error: BaseException) -> str:
    """Why the system refused, in the user's language: the C library's own words (strerror) are English here,
    as Python leaves LC_MESSAGES alone; the usual refusals are refcli's messages."""
    import errno

    from refcli.i18n import N_, _

    reasons = {errno.ENOENT: N_("no such file or folder"), errno.EACCES: N_("permission denied"),
               errno.EPERM: N_("operation not permitted"), errno.EISDIR: N_("it is a folder"),
               errno.ENOTDIR: N_("a part of the path is not a folder"), errno.ENOSPC: N_("no space left on the disk"),
               errno.EROFS: N_("the disk is read-only"), errno.ENAMETOOLONG: N_("the file name is too long"),
               errno.ELOOP: N_("too many symbolic links")}
    reason = reasons.get(getattr(error, "errno", None))  # sqlite3.Error has none
    return _(reason) if reason else str(getattr(error, "strerror", None) or error)
