"""Read the firm's existing fiches (text, markdown or Word) into record tables, saying what was guessed.

Pure parsing: every function here takes text and returns values; only `read_fiche_text` reads a file.
A fiche is a title, a subtitle, labelled fields ("Type de mission : ...") and three sections
("Enjeux de la mission", "Contenu de la mission", "Composantes de la mission").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from refcli.i18n import N_, _
from refcli.records.load import CONTROL_CHARACTERS
from refcli.records.model import MAX_MONTHS
from refcli.records.written import ParseError, parse_amount
from refcli.search.text import fold

DEFAULT_FIRM = "Perspectives Urbaines et Sociales"
FICHE_SUFFIXES = (".txt", ".md", ".docx")

# Canonical label -> field. Labels are matched case- and accent-insensitively, singular or plural,
# with or without a space before the colon, with or without markdown bold or heading marks.
LABELS: dict[str, str] = {
    "Type de mission": "mission_type",
    "Maître d'ouvrage": "client",
    "Années": "years",
    "Durée": "duration",
    "Durée de la mission": "duration",
    "Site": "site",
    "Equipe": "team",
    "directeur de mission": "director",
    "directrice de mission": "director",
    "Référent": "referent",
    "Référente": "referent",
    "Consultants mobilisés": "consultants",
    "Acteurs": "partners",
    "Montant du projet": "project",
    "Coût du projet": "project",
    "Montant de la mission": "fee",
    "Montant des honoraires": "fee",
    "Honoraires": "fee",
    "Montant des travaux": "project",
    "Programme": "programme",
    "Sources": "sources",
    "Enjeux de la mission": "stakes",
    "Contenu de la mission": "content",
    "Composantes de la mission": "components",
}
SECTIONS = ("stakes", "content", "components")  # multi-line blocks, under a heading or a label

BULLET = re.compile(r"^\s*(?:[-*•–◦]\s*)?[▶►▸]\s*|^\s*[-*•–◦]\s+")
_LABEL_LINE = re.compile(r"^\s*(?:#{1,6}\s*)?(?P<label>[^:]{2,40}?)\s*:\s*(?P<value>.*)$")
_SHEET_HEADING = re.compile(r"^(?:fiches?\s+(?:de\s+)?references?|references?)(?:\s+(?:n\s*[°o]?\s*)?\d+)?\W*$")
_GLUED_PARENTHESIS = re.compile(r"(\w)\(")
_SPACES = re.compile(r"[ \t\u00a0\u202f]+")


def _label_key(text: str) -> str:
    """Fold a label so that case, accents, plurals and spacing do not matter."""
    words = re.sub(r"\((?:s|x|e|es)\)", "", fold(text).replace("’", "'")).split()  # "Année(s)", "Référent(e)"
    return " ".join(word[:-1] if len(word) > 3 and word[-1] in "sx" else word for word in words)


_LABEL_KEYS = {_label_key(label): name for label, name in LABELS.items()}
_LABEL_KEYS[_label_key("Source")] = "sources"


@dataclass
class Fiche:
    """What one fiche yields: the record table, and what the user should know about it."""

    table: dict[str, Any]
    empty: list[str] = field(default_factory=list)  # labels present on the fiche with nothing after them
    inferred: list[str] = field(default_factory=list)  # values the fiche does not give, guessed
    todo: list[str] = field(default_factory=list)  # what the importer cannot know
    problems: list[str] = field(default_factory=list)  # why the fiche cannot be imported


class FicheReadError(Exception):
    """A file that cannot be read as a fiche (corrupt .docx, unsupported format, not text)."""


# -- reading files ---------------------------------------------------------------------------------------------


def read_fiche_text(path: Path) -> str:
    """Return the text of a fiche file: .txt or .md as UTF-8 (else Windows-1252), .docx paragraph by paragraph."""
    suffix = path.suffix.lower()
    if suffix not in FICHE_SUFFIXES:
        raise FicheReadError(_("unsupported file type {suffix!r}; export the fiche as .txt, .md or .docx").format(
            suffix=suffix or _("(none)")))
    from refcli.search.documents import MAX_FILE_BYTES, DocumentError, read_input

    if suffix == ".docx":
        return _docx_text(path)
    try:
        data = read_input(path, N_("the fiche"), MAX_FILE_BYTES["text"])
    except DocumentError as error:
        raise FicheReadError(str(error).removeprefix(f"{path}: ")) from None
    if b"\x00" in data[:4096]:
        raise FicheReadError(_("not a text file (binary content)"))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    # Word's text export writes a manual line break as U+000B and a page break as U+000C: line breaks here;
    # other control characters are no text.
    return CONTROL_CHARACTERS.sub("", text.replace("\x0b", "\n").replace("\x0c", "\n"))


def _docx_text(path: Path) -> str:
    """The fiche's text as the text format writes it, from Word's structure.

    A list paragraph (a List style, or Word's numbering) becomes a '- ' bullet line; inside a section
    (Enjeux, Contenu, Composantes) every other paragraph is followed by a blank line, so that each stays
    a paragraph or an item of its own; tables are read by _docx_table_lines.
    """
    from refcli.search.documents import DocumentError, open_word, word_structure_error

    try:
        document = open_word(path)
        return _docx_lines(document)
    except DocumentError as error:
        raise FicheReadError(str(error).removeprefix(f"{path}: ")) from None
    except Exception as error:
        if (problem := word_structure_error(path, error)) is None:
            raise
        raise FicheReadError(str(problem).removeprefix(f"{path}: ")) from None


def _docx_lines(document) -> str:  # type: ignore[no-untyped-def]
    from refcli.search.documents import body_blocks, paragraph_kind, paragraph_text, style_names

    styles = style_names(document)
    lines: list[str] = []
    in_section = False
    for child in body_blocks(document.element.body):
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            text = paragraph_text(child).replace("\t", " ").rstrip()
            found = _match_label(text) if text.strip() else None
            if found:
                in_section = found[0] in SECTIONS
            if text.strip() and paragraph_kind(child, styles) == "item" and not found:
                lines.append(text if BULLET.match(text) else "- " + text.strip())
            else:
                lines.append(text)
                if in_section and not found and text.strip():
                    lines.append("")
        elif tag == "tbl":
            lines += _docx_table_lines(child, styles)
    return "\n".join(lines)


def _cell_marks(cell: Any) -> str:
    """An empty cell of a component row drawn with shading: filled (■) when shaded, else empty (□)."""
    shading = next((node for node in cell.iter() if node.tag.endswith("}shd")), None)
    fill = None
    if shading is not None:
        fill = next((value for key, value in shading.attrib.items() if key.endswith("}fill")), None)
    return "■" if fill and fill.casefold() not in ("auto", "ffffff") else "□"


def _docx_table_lines(table: Any, styles: dict[str, str]) -> list[str]:
    """A label/value row reads as 'label : value' (a row may hold two pairs side by side); a component row
    ('Concertation' | '■■■□□', or a square per cell, drawn or shaded) as '■■■□□ Concertation'; other rows as
    their cells' lines. A cell's line breaks are kept, its list paragraphs are '- ' items."""
    from refcli.search.documents import body_blocks, paragraph_kind, paragraph_text

    lines = []
    for row in table.iter():
        if not row.tag.endswith("}tr"):
            continue
        cells, raw_cells = [], []
        for cell in row.iterchildren():
            if cell.tag.endswith("}tc"):
                paragraphs = []
                for paragraph in body_blocks(cell):
                    if not paragraph.tag.endswith("}p"):
                        continue
                    text = paragraph_text(paragraph).replace("\t", " ").strip()
                    if text and paragraph_kind(paragraph, styles) == "item" and not BULLET.match(text):
                        text = "- " + text
                    paragraphs.append(text)
                raw_cells.append(cell)
                cells.append("\n".join(paragraphs).strip())
        squares = [cell for cell in cells if cell and all(char in _FILLED + _EMPTY + " " for char in cell)]
        labels = [cell for cell in cells if cell and cell not in squares]
        empty = [raw for raw, text in zip(raw_cells, cells, strict=True) if not text]
        if len(labels) == 1 and squares:
            lines.append("".join(square.replace(" ", "") for square in squares) + "\t" + labels[0])
        elif len(labels) == 1 and not squares and len(empty) >= 3:
            lines.append("".join(_cell_marks(cell) for cell in empty) + "\t" + labels[0])
        else:
            cells = [cell for cell in cells if cell]
            pairs = list(zip(cells[::2], cells[1::2], strict=False))
            if len(cells) % 2 == 0 and cells and all(_LABEL_KEYS.get(_label_key(label.rstrip(" :")))
                                                     for label, _value in pairs):
                for number, (label, value) in enumerate(pairs):  # a blank line between two pairs: two values
                    lines += [""] * (number > 0) + [f"{label.rstrip(' :')} : {value}"]
            else:
                lines += cells
        lines.append("")
    return lines


# -- the values of labelled fields ----------------------------------------------------------------------------

_YEARS = re.compile(
    r"^(?:(?P<since>depuis)\s+)?(?P<start>(?:19|20)\d\d)"
    r"(?:\s*(?:-|–|—|/|à|a|au)\s*(?:(?P<end>(?:19|20)\d\d)|(?P<ongoing>en cours|aujourd'hui|ce jour)))?"
    r"\s*(?:\(\s*(?P<months>\d+)\s*mois\s*\))?\s*\.?$",
    re.IGNORECASE,
)


def parse_years(text: str) -> dict[str, Any]:
    """Return the period of '2012 (8 mois)', '2018 - 2021', '2019 - en cours' or 'depuis 2021' (ongoing)."""
    written = " ".join(text.split())
    match = _YEARS.match(written.replace("’", "'"))
    if not match:
        raise ParseError(_("cannot read the years {written!r}; expected '2012', '2018 - 2021', "
                         "'2019 - en cours' or '2012 (8 mois)'").format(written=written))
    start = int(match["start"])
    period: dict[str, Any] = {"start": start, "end": int(match["end"]) if match["end"] else start}
    if match["months"]:
        period["duration_months"] = int(match["months"])
    if match["ongoing"] or (match["since"] and not match["end"]):  # "depuis 2021": under way since
        period["ongoing"] = True
    return period


_DURATION = re.compile(r"^(?P<count>\d{1,4})\s*(?P<unit>mois|ans?|annees?)\s*\.?$", re.IGNORECASE)


def parse_duration(text: str) -> int:
    """Return the months of '18 mois' or '2 ans' (a fiche's "Durée")."""
    written = " ".join(text.split())
    match = _DURATION.match(fold(written))
    months = int(match["count"]) * (1 if match["unit"] == "mois" else 12) if match else 0
    if not 0 < months <= MAX_MONTHS:
        raise ParseError(_("cannot read the duration {written!r}; expected '18 mois' or '2 ans'").format(
            written=written))
    return months


_PROGRAMME_ITEM = re.compile(r"^(?P<count>\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+)\s+(?P<label>\D.*)$")


def parse_programme(text: str) -> list[dict[str, Any]]:
    """Return [{label, count}] for '144 démolitions, 351 constructions, 2102 résidentialisations.'."""
    items = []
    for part in split_list(text, split_and=True):
        match = _PROGRAMME_ITEM.match(part)
        if not match:
            raise ParseError(_("cannot read the programme item {part!r}; expected a count and a label, "
                             "like '144 démolitions'").format(part=part))
        items.append({"label": match["label"].strip(), "count": int(re.sub(r"\D", "", match["count"]))})
    return items


_POPULATION = re.compile(r"^(?P<place>.*?)\s*\(\s*(?P<count>\d[\d \u00a0\u202f.]*)\s*(?:habitants|hab\.?)\s*\)$",
                         re.IGNORECASE)
# Words that open the name of a district rather than of a city.
_DISTRICT_WORDS = ("quartier", "zac", "zus", "qpv", "secteur", "cite", "residence", "ilot", "zone", "habitat",
                   "lotissement", "faubourg", "hameau", "centre", "rue", "avenue", "place", "parc", "friche")


def parse_site(text: str) -> dict[str, Any]:
    """Return {city?, population?, districts?} for 'Antony, quartier du Noyer Doré' or 'Bagneux (38 495 habitants)'."""
    text = _GLUED_PARENTHESIS.sub(r"\1 (", text)
    items = [item for line in text.splitlines() for item in split_list(line, split_and="enumeration")]
    site: dict[str, Any] = {}
    if items:
        first = items[0]
        match = _POPULATION.match(first)
        if match:
            site["city"] = match["place"]
            site["population"] = int(re.sub(r"\D", "", match["count"]))
            items = items[1:]
        elif not fold(first).startswith(_DISTRICT_WORDS):
            site["city"] = first
            items = items[1:]
    if items:
        site["districts"] = items
    return site


def split_list(text: str, split_and: bool | str = False, protected: tuple[str, ...] = ()) -> list[str]:
    """Split on commas and semicolons outside parentheses, and on ' et ' if asked; drop the final period. A list
    that ends in 'etc.' (or '...') keeps 'etc.' as its last item: the annex must not read it as whole.

    split_and=True splits every ' et '; "enumeration" only the last item's, and only in a list of
    several items, so that "quartier des Tertres et des Couverons" stays whole. Protected names
    (the firm's, "Perspectives Urbaines et Sociales") are never split.
    """
    text = " ".join(text.split())
    placeholders: dict[str, str] = {}

    def hide(match: re.Match) -> str:  # each one as the fiche writes it ("Perspectives urbaines et sociales")
        token = f"\x00{len(placeholders)}\x00"
        placeholders[token] = match[0]
        return token

    for name in sorted(protected, key=len, reverse=True):
        if name.strip():
            text = re.sub(r"\s+".join(map(re.escape, name.split())), hide, text, flags=re.IGNORECASE)
    parts, depth, current = [], 0, ""
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char in ",;" and depth <= 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    parts = [part.strip() for part in parts]
    if parts:
        parts[-1] = re.sub(r"\s*\.$", "", parts[-1])
    last = parts[-1] if parts else ""
    unfinished = bool(last) and fold(last).rstrip(".") in ("etc", "")  # "etc." or "...": the list is not whole
    parts = [part for part in parts if part and fold(part).rstrip(".") not in ("etc", "...", "")]
    if split_and is True:
        parts = [piece for part in parts for piece in _split_and(part, every=True)]
    elif split_and == "enumeration" and len(parts) > 1:
        parts = parts[:-1] + _split_and(parts[-1], every=False)
    restored = []
    for part in parts:
        for token, name in placeholders.items():
            part = part.replace(token, name)
        restored.append(part.strip())
    found = [part for part in restored if part]
    return [*found, "etc."] if unfinished and found else found


_ARTICLE = re.compile(r"(?:de|des|du|d'|la|le|les|l')(?:\b|(?<='))", re.IGNORECASE)


def _split_and(text: str, every: bool) -> list[str]:
    """Split on ' et '; for the last item of an enumeration, once, and not before an article."""
    if every:
        return [piece.strip() for piece in re.split(r"\s+et\s+", text) if piece.strip()]
    found = [match for match in re.finditer(r"\s+et\s+", text) if not _ARTICLE.match(text, match.end())]
    if not found:
        return [text]
    last = found[-1]
    return [piece for piece in (text[: last.start()].strip(), text[last.end():].strip()) if piece]


_MANDATAIRE = re.compile(r"\s*\(\s*mandataire[^)]*\)\s*", re.IGNORECASE)


def parse_team(text: str, firm: str = DEFAULT_FIRM, protected: tuple[str, ...] = ()) -> dict[str, Any]:
    """Return {members, mandataire?} for 'Tracés urbains (mandataire), Perspectives Urbaines et Sociales, SPIRE'."""
    members, mandataire = marked_mandataire(split_list(text, split_and=True, protected=(firm, *protected)))
    return {"members": members, **({"mandataire": mandataire} if mandataire else {})}


def marked_mandataire(members: list[str]) -> tuple[list[str], str | None]:
    """The members without their "(mandataire)" mark, and the last one so marked (None: none is)."""
    mandataire = None
    unmarked = []
    for member in members:
        if _MANDATAIRE.search(member):
            member = mandataire = _MANDATAIRE.sub(" ", member).strip()
        unmarked.append(member)
    return unmarked, mandataire


def infer_role(team: dict[str, Any], firm: str = DEFAULT_FIRM) -> tuple[str, str | None]:
    """Return the firm's role from the team ({members, mandataire?}), and why it is inferred (None: read).

    The one rule, shared by `refcli import` and the shipped records (tests/records/test_provenance.py checks
    them): a team naming the firm as mandataire makes it mandataire, naming another firm makes it
    co-traitant; a team naming no mandataire gives "titulaire", which the fiche does not say: inferred.
    """
    mandataire = team.get("mandataire")
    if mandataire is not None:
        return ("mandataire" if fold(mandataire) == fold(firm) else "co-traitant"), None
    others = [member for member in team.get("members", ()) if fold(member) != fold(firm)]
    listed = _(" (the team lists {names} beside the firm)").format(names=", ".join(others)) if others else ""
    return "titulaire", _("the fiche names no mandataire{listed}: titulaire is refcli's rule for a team that "
                          "names none; check the contract").format(listed=listed)


# -- the sections -----------------------------------------------------------------------------------------------


def parse_paragraphs(lines: list[str]) -> str:
    """Join wrapped lines into paragraphs separated by a blank line; bullets become '- ' lines."""
    blocks: list[list[str]] = [[]]
    for line in lines:
        if not line.strip():
            if blocks[-1]:
                blocks.append([])
            continue
        if BULLET.match(line):
            blocks[-1].append("- " + BULLET.sub("", line, count=1).strip())
        elif blocks[-1]:
            blocks[-1][-1] += " " + line.strip()
        else:
            blocks[-1].append(line.strip())
    return "\n\n".join("\n".join(block) for block in blocks if block)


def parse_items(lines: list[str]) -> list[str]:
    """Return one item per bullet ('- ▶', '▶', '-', '•'); wrapped lines join the item above."""
    items: list[str] = []
    open_item = False
    for line in lines:
        if not line.strip():
            open_item = False
            continue
        if BULLET.match(line):
            items.append(BULLET.sub("", line, count=1).strip())
            open_item = True
        elif open_item:
            items[-1] += " " + line.strip()
        else:
            items.append(line.strip())
            open_item = True
    return [item for item in items if item]


_FILLED, _EMPTY = "■█▪●◼", "□○▫◻"


def parse_components(lines: list[str]) -> dict[str, int] | None:
    """Return {name: level} when the squares say which are filled ('■■■□□ Concertation'), else None.

    Text extraction usually loses the fill state: every row then shows the same squares, and no
    level can be read. Levels are read only when some row shows empty squares beside filled ones.
    """
    rows = [line.strip() for line in lines if line.strip()]
    if not any(char in _EMPTY for row in rows for char in row):
        return None
    levels = {}
    for row in rows:
        marks = re.match(rf"^([{_FILLED}{_EMPTY}\s]+)(.+)$", row)
        if not marks:
            continue
        level = sum(marks[1].count(char) for char in _FILLED)
        if level:
            levels[marks[2].strip()] = level
    return levels


# -- the whole fiche ---------------------------------------------------------------------------------------------


def _clean_line(line: str) -> str:
    return line.replace("**", "").replace("__", "").rstrip()


def _match_label(line: str) -> tuple[str, str, str] | None:
    """Return (field, value, label as written) when the line is a label or a section heading."""
    if BULLET.match(line):
        return None
    cleaned = _clean_line(line)
    match = _LABEL_LINE.match(cleaned)
    if match:
        name = _LABEL_KEYS.get(_label_key(match["label"]))
        if name:
            return name, match["value"].strip(), match["label"].strip()
    heading = re.sub(r"^\s*#{1,6}\s*", "", cleaned).strip()
    name = _LABEL_KEYS.get(_label_key(heading))
    if name in SECTIONS:
        return name, "", heading.rstrip(" :")
    return None


def _is_label_line(line: str) -> bool:
    """Whether a line reads as a label and its value ("Durée : 24 mois") though no label refcli knows."""
    match = None if BULLET.match(line) else _LABEL_LINE.match(_clean_line(line))
    return match is not None and bool(match["value"].strip()) and len(match["label"].split()) <= 5


def split_fiche(text: str) -> tuple[list[str], dict[str, list[str]], list[str], dict[str, str]]:
    """Return the lines before the first label (title, subtitle), each label's lines, stray lines, the labels.

    A labelled value runs on the lines below it up to a blank line ("Site : Bagneux (...)" then
    "quartier des ..."); a section runs up to the next label or heading. Text after a blank line
    that closed a labelled value belongs to no field: it is returned as stray, to be reported.
    """
    head: list[str] = []
    fields: dict[str, list[str]] = {}
    stray: list[str] = []
    written: dict[str, str] = {}
    current: str | None = None
    closed = False
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.replace("\u00a0", " ").rstrip()
        found = _match_label(line)
        if found:
            current, value, label = found
            written.setdefault(current, label)
            closed = False
            fields.setdefault(current, [])
            if value:
                fields[current].append(value)
        elif current is None:
            head.append(line)
        elif current in SECTIONS:
            fields[current].append(line)
        elif not line.strip():
            closed = closed or bool(fields[current])
        elif closed or _is_label_line(line):  # a label refcli does not read ends the value: reported, not glued on
            closed = True
            stray.append(line.strip())
        else:
            fields[current].append(line.strip())
    return head, fields, stray, written


def parse_fiche(text: str, firm: str = DEFAULT_FIRM, client_kind: str | None = None,
                protected: tuple[str, ...] = ()) -> Fiche:
    """Turn the text of a fiche into a record table (without id), and list what is empty, guessed or unknown."""
    head, fields, stray, written = split_fiche(text)
    fiche = Fiche({})
    if not fields:
        fiche.problems.append(_("no recognised label (Type de mission, Maître d'ouvrage, Années, Equipe...): "
                                "not a fiche référence"))
        return fiche
    titles = [re.sub(r"^\s*#{1,6}\s*", "", _clean_line(line)).strip() for line in head]
    # The sheet's own heading ("FICHE RÉFÉRENCE", "Fiche référence n° 12") is no title of the mission.
    titles = [title for title in titles if title and not _SHEET_HEADING.match(fold(title))]
    table = fiche.table
    if titles:
        table["title"] = titles[0]
    if len(titles) > 1:
        table["subtitle"] = " ".join(titles[1:])
    values = {name: "\n".join(line for line in lines if line.strip()).strip() for name, lines in fields.items()}
    fiche.empty += [written[name] for name in fields if not values[name]]

    def read(name: str, parser, *args):  # type: ignore[no-untyped-def]
        try:
            return parser(values[name], *args)
        except ParseError as error:
            fiche.problems.append(f"{written[name]}: {error}")
            return None

    def given(name: str) -> bool:
        return bool(values.get(name))

    if given("mission_type"):
        table["mission_type"] = " ".join(values["mission_type"].split())
    team: dict[str, Any] = {}
    if given("team"):
        team = parse_team(values["team"], firm, protected)
    role, why = infer_role(team, firm)
    table["role"] = role
    inferred: dict[str, str] = {}
    if why:
        inferred["role"] = why
    if given("stakes"):
        table["stakes"] = parse_paragraphs(fields["stakes"])
    if given("content"):
        table["content"] = parse_items(fields["content"])
    if given("partners"):
        table["partners"] = split_list(values["partners"])
    if given("sources"):
        table["sources"] = " ".join(values["sources"].split())
    client: dict[str, Any] = {}
    if given("client"):
        client["name"] = " ".join(values["client"].split())
    client["kind"] = client_kind or "public"
    if client_kind is None:
        inferred["client.kind"] = _("the fiche does not say it: public assumed by refcli import (--client-kind "
                                    "says it)")
    table["client"] = client
    if given("years"):
        period = read("years", parse_years)
        if period:
            table["period"] = period
    if given("duration"):
        months = read("duration", parse_duration)
        stated = table.get("period", {}).get("duration_months")
        if months and stated and months != stated:
            fiche.problems.append(_("{label}: {months} months, but the years say {stated} months: correct the fiche")
                                  .format(label=written["duration"], months=months, stated=stated))
        elif months and "period" in table:
            table["period"]["duration_months"] = months
    if given("site"):
        site = parse_site(values["site"])
        if "city" not in site:
            fiche.todo.append(_("site.city: the Site line names districts only; add the city by hand"))
        if site:
            table["site"] = site
    if given("director"):
        team["director"] = " ".join(values["director"].split())
    if given("referent"):
        team["referent"] = " ".join(values["referent"].split())
    if given("consultants"):
        team["consultants"] = split_list(values["consultants"], split_and=True, protected=(firm, *protected))
    if team.get("members") == []:
        del team["members"]
    if team:
        table["team"] = {key: team[key] for key in ("members", "mandataire", "director", "referent", "consultants")
                         if key in team}
    amounts = {}
    for name, key in (("project", "project"), ("fee", "fee")):
        if given(name):
            amount = read(name, parse_amount)
            if amount:
                if key == "project":
                    amount.pop("scope", None)  # the project's total cost: its place says what it covers
                amounts[key] = amount
    if amounts:
        table["amounts"] = amounts
    if given("programme"):
        programme = read("programme", parse_programme)
        if programme:
            table["programme"] = programme
    levels = parse_components(fields.get("components", []))
    if levels:
        table["components"] = levels
    else:
        fiche.todo.append(_("components: fill state unknown, set levels by hand"))
    fiche.todo.append(_("keywords: editorial, add them by hand"))
    if inferred:
        table["inferred"] = inferred
        fiche.inferred += [_("{path}: {reason} — confirm by deleting its line in [inferred]").format(path=path,
                                                                                                   reason=reason)
                           for path, reason in inferred.items()]
    if stray:
        fiche.todo.append(_("{count} line(s) outside any label left out, starting {start!r}").format(
            count=len(stray), start=stray[0][:60]))
    return fiche
