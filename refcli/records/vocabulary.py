"""The controlled vocabulary of mission components, with aliases, from a file the firm can edit."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import field
from pathlib import Path

from refcli.errors import UserError, os_reason
from refcli.frozen import frozen
from refcli.i18n import N_, _
from refcli.records.load import FileTooLarge, NotRegularFile, parse_toml, read_limited
from refcli.search.text import fold

FILE_NAME = "components.toml"
MAX_DATA_FILE_BYTES = 5_000_000  # components.toml and glossary.toml: the shipped ones are 2 and 23 KB


@frozen
class Component:
    id: str
    label: str
    aliases: tuple[str, ...] = ()


@frozen
class Vocabulary:
    components: tuple[Component, ...]
    max_level: int
    source: Path | None = None
    _names: dict[str, str] = field(init=False, repr=False, compare=False)
    _by_id: dict[str, Component] = field(init=False, repr=False, compare=False)
    _ids: tuple[str, ...] = field(init=False, repr=False, compare=False)
    # Names as records write them -> component id (or None): folding a name costs more than validating
    # the rest of a record, and records write the same few names.
    _resolved: dict[str, str | None] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names: dict[str, str] = {}
        for component in self.components:
            for name in (component.id, component.label, *component.aliases):
                names.setdefault(_key(name), component.id)
        object.__setattr__(self, "_names", names)
        object.__setattr__(self, "_by_id", {component.id: component for component in self.components})
        object.__setattr__(self, "_ids", tuple(component.id for component in self.components))
        object.__setattr__(self, "_resolved", {})

    def resolve(self, name: str) -> str | None:
        """Return the id of the component that name, label or alias designates, or None."""
        resolved = self._resolved
        if name not in resolved:
            if len(resolved) > _RESOLVED_SIZE:
                resolved.clear()
            resolved[name] = self._names.get(_key(name))
        return resolved[name]

    def require(self, name: str, context: str, what: str = N_("mission component")) -> str:
        """Return the id name designates; else a UserError '<context>: unknown <what>; did you mean ...?'."""
        component_id = self.resolve(name)
        if component_id is None:
            suggestion = self.suggest(name)
            hint = _("; did you mean {name!r}?").format(name=suggestion) if suggestion else ""
            raise UserError(_("{context}: unknown {what}{hint} (see {file})").format(
                context=context, what=_(what), hint=hint, file=self.source or FILE_NAME))
        return component_id

    def parse_level(self, text: str, option: str, *, default: int | None = 1,
                    what: str = N_("competency")) -> tuple[str, int]:
        """Read a -c value, 'NAME', 'NAME:LEVEL' or 'NAME=LEVEL', into (component id, level); bad input is a UserError.

        NAME is an id, a label or an alias, case and accents folded; without a level, default (None: required).
        """
        where = f"{option} {text!r}"
        name, level = text.strip(), None
        if self.resolve(name) is None:
            cut = max(name.rfind(":"), name.rfind("="))
            if cut >= 0:
                name, level = name[:cut].strip(), name[cut + 1:].strip()
        component_id = self.resolve(name)
        if component_id is None:
            glued = _GLUED_LEVEL.fullmatch(name)  # 'concertation 3', 'concertation≥3', 'concertation:3:4'
            if glued and self.resolve(glued[1]) is not None:
                raise UserError(_("{where}: write the level after ':' or '=', like '{name}:{level}'").format(
                    where=where, name=glued[1], level=glued[2]))
            component_id = self.require(name, where, what)
        if level is None:
            if default is None:
                raise UserError(_("{where}: give the level, from 1 to {max_level}: '{name}:N' or '{name}=N'").format(
                    where=where, max_level=self.max_level, name=name))
            return component_id, default
        if not level.isdigit() or not 1 <= int(level) <= self.max_level:
            raise UserError(_("{where}: the level must be a whole number from 1 to {max_level}, got {level!r}").format(
                where=where, max_level=self.max_level, level=level))
        return component_id, int(level)

    def parse_levels(self, texts: Iterable[str], option: str, *, default: int | None = 1,
                     what: str = N_("competency")) -> dict[str, int]:
        """parse_level of each -c value, into {component id: level}; one named twice ("concertation:3" and
        "Concertation:4": which level would hold?) is a UserError."""
        found: dict[str, int] = {}
        for text in texts:
            component_id, level = self.parse_level(text, option, default=default, what=what)
            if component_id in found:
                raise UserError(_("{option} {text!r}: names {component_id!r} a second time").format(
                    option=option, text=text, component_id=component_id))
            found[component_id] = level
        return found

    def label(self, component_id: str) -> str:
        return self.by_id()[component_id].label

    def by_id(self) -> dict[str, Component]:
        return self._by_id  # read-only: indexing asks for it once per mission

    def ids(self) -> tuple[str, ...]:
        return self._ids

    def suggest(self, name: str) -> str | None:
        """Return the closest label to an unknown component name, for a "did you mean"."""
        from refcli.errors import closest

        choices = {key: self.label(component_id) for key, component_id in self._names.items()}
        best = closest(_key(name), list(choices))
        return choices[best] if best else None


_RESOLVED_SIZE = 10_000
_GLUED_LEVEL = re.compile(r"(.*?)[\W_]*(\d+)")


def _key(name: str) -> str:
    return fold(name).replace("-", " ").replace("_", " ")


def read_data_file(path: Path, what: str) -> dict:
    """Parse a firm-editable TOML data file; a problem is one line: '<path>: cannot read <what>: <why>'."""
    try:
        return parse_toml(read_limited(path, MAX_DATA_FILE_BYTES).decode("utf-8"))
    except FileTooLarge as error:
        raise UserError(_("{path}: cannot read {what}: the file is {size:,} bytes; the limit is {limit:,}").format(
            path=path, what=what, size=error.size, limit=MAX_DATA_FILE_BYTES)) from None
    except NotRegularFile as error:
        raise UserError(_("{path}: cannot read {what}: it is {kind}, not a file").format(
            path=path, what=what, kind=_(error.kind))) from None
    except OSError as error:
        raise UserError(_("{path}: cannot read {what}: {error}").format(
            path=path, what=what, error=os_reason(error))) from None
    except (UnicodeDecodeError, ValueError) as error:  # tomllib.TOMLDecodeError is a ValueError
        raise UserError(_("{path}: cannot read {what}: {error}").format(path=path, what=what, error=error)) from None


def find_data_file(file_name: str, data_folder: Path | None, what: str) -> Path:
    """Return a firm-editable data file beside the library folder, else the copy shipped with refcli."""
    candidates = []
    if data_folder is not None:
        candidates.append(data_folder.parent / file_name)
    package = Path(__file__).parents[1]  # refcli/: its resources, or the checkout beside it
    candidates += [package / "resources" / file_name, package.parent / "data" / file_name]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise UserError(_("{file_name}: no {what} found beside {data_folder}")
                    .format(file_name=file_name, what=what, data_folder=data_folder))


def find_vocabulary_file(data_folder: Path | None) -> Path:
    """Return the components file beside the library folder, else the one shipped with refcli."""
    return find_data_file(FILE_NAME, data_folder, _("vocabulary of mission components"))


def load_vocabulary(data_folder: Path | None = None, path: Path | None = None) -> Vocabulary:
    """Read and check the components vocabulary."""
    path = path or find_vocabulary_file(data_folder)
    table = read_data_file(path, _("the components vocabulary"))
    max_level = table.get("max_level", 5)
    if not isinstance(max_level, int) or isinstance(max_level, bool) or not 1 <= max_level <= 10:
        raise UserError(_("{path}: max_level: must be a whole number from 1 to 10").format(path=path))
    entries = table.get("component")
    if not isinstance(entries, list) or not entries:
        raise UserError(_("{path}: component: expected [[component]] tables with id, label and aliases")
                        .format(path=path))
    components = []
    seen: dict[str, str] = {}
    for index, entry in enumerate(entries):
        where = f"{path}: component[{index}]"
        if not isinstance(entry, dict):
            raise UserError(_("{where}: expected a table with id, label and aliases").format(where=where))
        unknown = set(entry) - {"id", "label", "aliases"}
        if unknown:
            raise UserError(_("{where}.{key}: unknown key (expected id, label, aliases)").format(
                where=where, key=sorted(unknown)[0]))
        component_id, label, aliases = entry.get("id"), entry.get("label"), entry.get("aliases", [])
        if not isinstance(component_id, str) or not component_id.strip():
            raise UserError(_("{where}.id: expected a non-empty string").format(where=where))
        if not isinstance(label, str) or not label.strip():
            raise UserError(_("{where}.label: expected a non-empty string").format(where=where))
        if not isinstance(aliases, list) or not all(isinstance(alias, str) for alias in aliases):
            raise UserError(_("{where}.aliases: expected a list of strings").format(where=where))
        if any(component.id == component_id for component in components):
            raise UserError(_("{where}.id: {component_id!r} is the id of an earlier component; each id once").format(
                where=where, component_id=component_id))
        for name in (component_id, label, *aliases):
            owner = seen.setdefault(_key(name), component_id)
            if owner != component_id:
                raise UserError(_("{where}: {name!r} already names component {owner!r}")
                                .format(where=where, name=name, owner=owner))
        components.append(Component(component_id, label, tuple(aliases)))
    return Vocabulary(tuple(components), max_level, path)
