"""What a search looks for: a Query built from command-line options, a tender file and tender text.

Other commands reuse this stage: `load_tender(path)` reads a tender TOML file into a Tender, and
`build_query(...)` merges a Tender with command-line options into a Query that `rank.rank_missions`
ranks the library against.
"""

from __future__ import annotations

import datetime
from dataclasses import field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from refcli.errors import UserError, closest
from refcli.frozen import frozen
from refcli.i18n import N_, _
from refcli.records.load import parse_toml
from refcli.records.model import CLIENT_KINDS, client_kind_option
from refcli.search.text import REPLACEMENT, stem, tokens, written_tokens

if TYPE_CHECKING:
    from refcli.records.vocabulary import Vocabulary
    from refcli.search.glossary import Glossary

DEFAULT_LIMIT = 10
# A glossary alternative (an acronym's expansion, a synonym) counts this much of the term itself.
ALTERNATIVE_WEIGHT = 0.8
TENDER_KEYS = ("title", "buyer", "date", "keywords", "text", "text_file", "competencies", "window",
               "references", "client_kind", "require_illustrations")


@frozen
class Tender:
    """A call for tenders as the firm describes it in a TOML file (see docs/tender-file.md)."""

    source: Path | None = None
    title: str | None = None
    buyer: str | None = None
    date: datetime.date | None = None  # publication or deadline; the window counts back from its year
    keywords: tuple[str, ...] = ()
    text: str | None = None  # the tender's object or rules, inline or read from text_file
    competencies: dict[str, int] = field(default_factory=dict)  # name as written -> minimum level
    since: int | None = None
    years: int | None = None
    references: int | None = None  # how many references the buyer wants
    client_kind: str | None = None  # only references for a public (or private) client
    require_illustrations: bool = False
    text_file: Path | None = None  # where text was read from, if from a file


@frozen
class Alternative:
    """Another way to write a query term, from the glossary: searched at a lower weight."""

    text: str  # as the glossary writes it
    words: tuple[str, ...]  # its stems
    weight: float


@frozen
class QueryTerm:
    """One keyword or phrase of the query, with its glossary alternatives."""

    text: str  # as the user, the tender or the glossary wrote it
    words: tuple[str, ...]  # its folded words; a U+FFFD is kept, to match one unknown letter
    origin: str  # "argument", "text" or "tender"
    alternatives: tuple[Alternative, ...] = ()
    literal: bool = False  # an ambiguous term: searched as written, never expanded
    stems: tuple[str, ...] = ()  # what the index is searched for (refcli.search.text.stem of each word)
    # A phrase the user typed may also match with its words apart in one field (at a lower weight); a
    # glossary phrase found in free text need not: its words are searched as terms of their own.
    scattered: bool = False
    typed: bool = True  # a keyword someone typed (may hold a typo), not a word found in a tender's text

    @property
    def is_phrase(self) -> bool:
        return len(self.words) > 1


@frozen
class ConceptFound:
    """A concept of the glossary (a type of service, a field) that the query's text names."""

    name: str
    kind: str  # "service", "field" or "other"
    evidence: str  # the words that named it, folded


@frozen
class Query:
    terms: tuple[QueryTerm, ...]
    competencies: dict[str, int] = field(default_factory=dict)  # component id -> minimum level
    since: int | None = None  # missions that ended before this year are out of the window
    client_kind: str | None = None
    limit: int = DEFAULT_LIMIT
    notes: tuple[str, ...] = ()  # what the query left out and why (ambiguous terms)
    tender: Tender | None = None
    concepts: tuple[ConceptFound, ...] = ()
    concept_table: tuple = ()  # the glossary's concepts (glossary.Concept), which ranking reads

    def describe(self) -> dict:
        """The query as JSON: what was searched, after the glossary."""
        return {
            "terms": [
                {"text": term.text, "origin": term.origin, "phrase": term.is_phrase,
                 "stems": list(term.stems),
                 "alternatives": [alternative.text for alternative in term.alternatives]}
                for term in self.terms
            ],
            "concepts": [{"name": concept.name, "kind": concept.kind, "evidence": concept.evidence}
                         for concept in self.concepts],
            "competencies": dict(self.competencies),
            "since": self.since,
            "client_kind": self.client_kind,
            "limit": self.limit,
            "notes": list(self.notes),
            "tender": str(self.tender.source) if self.tender and self.tender.source else None,
        }


def current_year() -> int:
    return datetime.date.today().year


def rules_query(*, tender: Path | None, since: int | None, years: int | None, client: str | None,
                count: int) -> Query | None:
    """The tender's rules (window, client kind, heading) for hand-picked references: a Query with no terms;
    None when there are none."""
    if tender is None and since is None and years is None and client is None:
        return None
    from refcli.records.model import client_kind_option

    loaded = load_tender(tender) if tender is not None else None
    kind = client_kind_option(client, "--client") if client is not None else (loaded.client_kind if loaded else None)
    return Query((), {}, _window(since, years, loaded, current_year()), kind, count, (), loaded)


def rules_year(query: Query | None) -> int:
    """The year a tender's rules are read in: its date's, else this one."""
    tender = query.tender if query is not None else None
    return tender.date.year if tender is not None and tender.date is not None else current_year()


def build_query(
    vocabulary: Vocabulary,
    glossary: Glossary,
    *,
    keywords: list[str] | tuple[str, ...] = (),
    text: str | None = None,
    text_file: Path | None = None,
    competencies: list[str] | tuple[str, ...] = (),
    since: int | None = None,
    years: int | None = None,
    client_kind: str | None = None,
    limit: int | None = None,
    tender: Tender | None = None,
    year: int | None = None,
) -> Query:
    """Merge command-line options over a tender into a Query; bad input is a UserError naming it.

    keywords are terms or phrases ("maison du projet"); text and text_file are free text (a
    tender's object); competencies are "NAME", "NAME:LEVEL" or "NAME=LEVEL" (minimum level, 1 by default);
    years counts back from the tender's date, else from year (today's by default).
    """
    year = year if year is not None else current_year()
    terms: dict[str, QueryTerm] = {}
    notes: list[str] = []

    texts: list[str] = []

    def add(found: list[QueryTerm]) -> None:
        for term in found:
            terms.setdefault(" ".join(term.stems), term)

    if tender is not None:
        if tender.text_file is not None:
            notes += _unread(tender.text_file, _("{path}: text_file:").format(path=tender.source))
        for keyword in tender.keywords:
            add(_terms_from_keyword(keyword, "tender", glossary, notes))
        texts += tender.keywords
        for tender_text in (tender.title, tender.text):
            if tender_text:
                add(_terms_from_text(tender_text, "tender", glossary, notes))
                texts.append(tender_text)
    for keyword in keywords:
        add(_terms_from_keyword(keyword, "argument", glossary, notes))
    texts += keywords
    if text:
        add(_terms_from_text(text, "text", glossary, notes))
        texts.append(text)
    if text_file is not None:
        body = read_tender_text(text_file, "--tender-text")
        notes += _unread(text_file, "--tender-text")
        add(_terms_from_text(body, "text", glossary, notes))
        texts.append(body)

    wanted = tender_competencies(vocabulary, tender) if tender is not None else {}
    for key, level in vocabulary.parse_levels(competencies, "--competency").items():
        if key in wanted and wanted[key] != level:  # the command line replaces the tender's level: said so
            notes.append(_("--competency {key}:{level} replaces the tender's level {tender_level}").format(
                key=key, level=level, tender_level=wanted[key]))
        wanted[key] = level

    if not terms and not wanted:
        detail = f" ({'; '.join(notes)})" if notes else ""
        raise UserError(_("query: nothing to search for; give keywords, --text, --tender-text, --tender "
                        "or --competency{detail}").format(detail=detail))
    window_since = _window(since, years, tender, year)
    kind = (client_kind_option(client_kind, "--client") if client_kind is not None
            else tender.client_kind if tender else None)
    if limit is None:
        limit = tender.references if tender and tender.references else DEFAULT_LIMIT
    if limit < 1:
        raise UserError(_("--limit: must be 1 or more, got {limit}").format(limit=limit))
    return Query(tuple(terms.values()), wanted, window_since, kind, limit, tuple(notes), tender,
                 find_concepts(texts, glossary), glossary.concepts)


def find_concepts(texts: list[str] | tuple[str, ...], glossary: Glossary) -> tuple[ConceptFound, ...]:
    """The glossary's concepts that these texts name, in the glossary's order, each with the words that
    named it: a term of the concept found in a text, its words side by side."""
    from refcli.search.text import stems

    sequences = [[word.replace(REPLACEMENT, "") for word in stems(text)] for text in texts]
    starts: list[dict[str, list[int]]] = []  # where each stem stands in each text: a term is looked for there only
    for sequence in sequences:
        positions: dict[str, list[int]] = {}
        for position, word in enumerate(sequence):
            positions.setdefault(word, []).append(position)
        starts.append(positions)
    found = []
    for concept in glossary.concepts:
        for term, key in zip(concept.terms, concept.stems, strict=True):
            if key and any(tuple(sequence[start:start + len(key)]) == key
                           for sequence, positions in zip(sequences, starts, strict=True)
                           for start in positions.get(key[0], ())):
                found.append(ConceptFound(concept.name, concept.kind, term))
                break
    return tuple(found)


def _window(since: int | None, years: int | None, tender: Tender | None, year: int) -> int | None:
    if since is not None and years is not None:
        raise UserError(_("--since/--years: give one or the other, not both"))
    origin = "--since" if since is not None else "--years" if years is not None else None
    if origin is None and tender is not None and (tender.since is not None or tender.years is not None):
        since, years = tender.since, tender.years
        origin = f"{tender.source or 'tender'}: window.{'since' if since is not None else 'years'}"
    if years is not None:
        if years < 1:
            raise UserError(_("{origin}: must be 1 or more, got {years}").format(origin=origin, years=years))
        reference = tender.date.year if tender is not None and tender.date is not None else year
        since = reference - years
    if since is not None and since > year:
        raise UserError(_("{origin}: the window starts in {since}, in the future (this year is {year})")
                        .format(origin=origin, since=since, year=year))
    return since


def _level(vocabulary: Vocabulary, level: object, where: str) -> int:
    top = vocabulary.max_level
    if not isinstance(level, int) or isinstance(level, bool) or not 1 <= level <= top:
        raise UserError(_("{where}: minimum level must be a whole number from 1 to {top}, got {level!r}")
                        .format(where=where, top=top, level=level))
    return level


def resolve_competency(vocabulary: Vocabulary, name: str, where: str) -> str:
    """Return the component id a name, label or alias designates; else a UserError with a suggestion."""
    return vocabulary.require(name, f"{where}: {name!r}", what=N_("competency"))


def _terms_from_keyword(keyword: str, origin: str, glossary: Glossary, notes: list[str],
                        typed: bool = True) -> list[QueryTerm]:
    words = tuple(tokens(keyword, keep_replacement=True))
    if not words:
        return []
    ambiguity = glossary.ambiguity(keyword)
    if ambiguity is not None and ambiguity.match == "none":
        notes.append(_("{keyword!r} left out: ambiguous ({senses}); write the sense out").format(
            keyword=keyword, senses=" / ".join(ambiguity.senses)))
        return []
    term = _term(keyword, words, origin, glossary, literal=ambiguity is not None, scattered=True)
    return [term if typed else replace(term, typed=False)]


def _terms_from_text(text: str, origin: str, glossary: Glossary, notes: list[str]) -> list[QueryTerm]:
    """Return the glossary phrases free text contains, then its words, each once, as a bid manager would
    write the query: the notice's boilerplate and its consultation numbers left out.

    A glossary phrase is found once, the longest first, where no longer one was found ("assistance à
    maîtrise d'ouvrage", not also "maîtrise d'ouvrage"); an acronym and its expansion both in the text
    are one term. A phrase's words are still searched as words: the phrase adds, it does not replace; but
    the parts of a member written as one hyphenated word ("co-construction") are not words of their own."""
    spans = written_tokens(text)
    words = [word for word, _, _ in spans]
    plain = [word.replace(REPLACEMENT, "") for word in words]

    def written(start: int, end: int) -> str:  # the words as the text writes them: accents, capitals
        return " ".join(text[spans[start][1]:spans[end - 1][2]].split()).rstrip("'\u2019\u2018\u02bc`\u00b4")

    covered = [False] * len(words)
    compound = [False] * len(words)  # inside a hyphenated glossary member: not searched as words
    found: list[QueryTerm] = []
    groups: set[int] = set()
    starts: dict[str, list[int]] = {}
    for position, word in enumerate(plain):
        starts.setdefault(word, []).append(position)
    for key in glossary.phrase_keys():
        for start in starts.get(key[0], ()):
            end = start + len(key)
            if tuple(plain[start:end]) == key and not any(covered[start:end]):
                covered[start:end] = [True] * len(key)
                if glossary.is_compound(" ".join(key)):
                    compound[start:end] = [True] * len(key)
                term = replace(_term(" ".join(key), key, origin, glossary), typed=False, text=written(start, end))
                if _new_group(glossary, " ".join(key), groups):
                    found.append(term)
                break
    for position, (word, inside) in enumerate(zip(words, compound, strict=True)):
        bare = word.replace(REPLACEMENT, "")
        if inside or _noise(bare, glossary):
            continue
        if glossary.has_key(bare) and not _new_group(glossary, bare, groups):
            continue  # an acronym whose expansion the text also wrote (or the other way round)
        found += [replace(term, text=written(position, position + 1))
                  for term in _terms_from_keyword(word, origin, glossary, notes, typed=False)]
    return found


def _noise(word: str, glossary: Glossary) -> bool:
    """Whether a word of free text says nothing of the mission: boilerplate, a consultation number
    ("18PI012", "18m280ao"), a number alone, a fragment of two letters that is no acronym of the trade."""
    if word in glossary.boilerplate or not word:
        return True
    if word.isdigit():
        return True
    if any(character.isdigit() for character in word):
        return True
    return len(word) <= 2 and not glossary.has_key(word)


def _new_group(glossary: Glossary, key: str, groups: set[int]) -> bool:
    """Whether the glossary entries of key are not yet in the query (and note them)."""
    numbers = set(glossary.group_numbers(key))
    if numbers and numbers <= groups:
        return False
    groups |= numbers
    return True


def _term(text: str, words: tuple[str, ...], origin: str, glossary: Glossary, literal: bool = False,
          scattered: bool = False) -> QueryTerm:
    from refcli.search.text import stems

    expansion = None if literal else glossary.expand(" ".join(words).replace(REPLACEMENT, ""))
    alternatives = ()
    own = tuple(map(stem, words))
    if expansion is not None:
        alternatives = tuple(
            Alternative(alternative, tuple(stems(alternative)), ALTERNATIVE_WEIGHT)
            for alternative in expansion.alternatives if tuple(stems(alternative)) != own
        )
    return QueryTerm(text, words, origin, alternatives, literal, own, scattered and len(words) > 1)


def read_tender_text(path: Path, where: str) -> str:
    """Return the text of a tender's object or rules (.txt, .md, .docx, .pdf); of an RC, its mission's sections."""
    from refcli.search.tender_reading import tender_text_of

    return tender_text_of(path, where)


def tender_competencies(vocabulary: Vocabulary, tender: Tender) -> dict[str, int]:
    """The tender's competencies, each by its component's id, with its minimum level."""
    wanted: dict[str, int] = {}
    where = f"{tender.source or 'tender'}: competencies"
    for name, level in tender.competencies.items():
        key = resolve_competency(vocabulary, name, f"{where}.{name}")
        if key in wanted:  # "concertation" and "Concertation": which level would hold?
            raise UserError(_("{where}.{name}: names competency {key!r} a second time").format(
                where=where, name=name, key=key))
        wanted[key] = _level(vocabulary, level, f"{where}.{name}")
    return wanted


def _unread(path: Path, where: str) -> list[str]:
    """What a query's document gave nothing of (its scanned pages), each said with where it was named."""
    from refcli.search.tender_reading import selection_of

    return [f"{where} {line}" for line in selection_of(path, where).unread]


MAX_TENDER_BYTES = 2**20  # a tender file is a few hundred bytes; its documents are read through text_file


def load_tender(path: Path) -> Tender:
    """Read a tender TOML file; a problem is one line naming the file and the key."""
    from refcli.search.documents import MAX_FILE_BYTES, open_input, read_at_most

    with open_input(path, N_("the tender file"), max(MAX_FILE_BYTES.values())) as stream:  # a PDF given by mistake
        data = read_at_most(stream, MAX_TENDER_BYTES + 1)
    _refuse_document(path, data)
    if len(data) > MAX_TENDER_BYTES:
        raise UserError(_("{path}: the tender file is more than {size} MB; a tender file is a few lines of TOML "
                          "that name its documents (text_file)").format(path=path, size=MAX_TENDER_BYTES // 2**20))
    try:
        table = parse_toml(data.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise UserError(_("{path}: not UTF-8 text (byte {start}); save it as UTF-8")
                        .format(path=path, start=error.start)) from None
    except ValueError as error:  # tomllib.TOMLDecodeError
        if path.suffix.casefold() in (".txt", ".md"):
            raise UserError(_("{path}: this is a text file, not a tender file (TOML): search its text with "
                            "--tender-text, or draft a tender file with 'refcli tender read {path} --out "
                            "tender.toml'").format(path=path)) from None
        raise UserError(_("{path}: TOML syntax error: {error}").format(path=path, error=error)) from None
    return parse_tender(table, path)


def _refuse_document(path: Path, data: bytes) -> None:
    """A PDF or a Word file given as a tender file: say what it is and what reads it."""
    from refcli.search.documents import describe_file

    kind = describe_file(path, data)
    if kind is not None:
        raise UserError(_("{path}: this is {kind}, not a tender file (TOML): draft one with "
                        "'refcli tender read {path} --out tender.toml', or search its text with --tender-text")
                        .format(path=path, kind=_(kind)))


def parse_tender(table: dict, path: Path) -> Tender:
    """Check a tender table read from path and build the Tender."""
    for key in table:
        if key not in TENDER_KEYS:
            best = closest(key, list(TENDER_KEYS))
            hint = (_("; did you mean {name!r}?").format(name=best) if best else
                    _(" (expected one of {keys})").format(keys=", ".join(TENDER_KEYS)))
            raise UserError(_("{path}: {key}: unknown key{hint}").format(path=path, key=key, hint=hint))

    def text(key: str) -> str | None:
        value = table.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise UserError(_("{path}: {key}: expected a non-empty string").format(path=path, key=key))
        return value

    def whole(value: object, key: str) -> int | None:
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            raise UserError(_("{path}: {key}: expected a whole number, 1 or more, got {value!r}")
                            .format(path=path, key=key, value=value))
        return value

    date = table.get("date")
    if date is not None and (not isinstance(date, datetime.date) or isinstance(date, datetime.datetime)):
        raise UserError(_("{path}: date: expected a date like 2026-11-21, got {date!r}").format(path=path, date=date))
    keywords = table.get("keywords", [])
    if not isinstance(keywords, list) or not all(isinstance(item, str) and item.strip() for item in keywords):
        raise UserError(_("{path}: keywords: expected a list of non-empty strings").format(path=path))
    competencies = table.get("competencies", {})
    if not isinstance(competencies, dict):
        raise UserError(_("{path}: competencies: expected a table of competency = minimum level").format(path=path))
    for name, level in competencies.items():
        if not isinstance(level, int) or isinstance(level, bool) or level < 1:
            raise UserError(_("{path}: competencies.{name}: expected a minimum level, a whole number of 1 or more "
                              "(got {level!r})").format(path=path, name=name, level=level))
    window = table.get("window", {})
    if not isinstance(window, dict):
        raise UserError(_("{path}: window: expected a table with since = YEAR or years = N").format(path=path))
    unknown = set(window) - {"since", "years"}
    if unknown:
        raise UserError(_("{path}: window.{key}: unknown key (expected since or years)").format(
            path=path, key=sorted(unknown)[0]))
    if len(window) > 1:
        raise UserError(_("{path}: window: give since or years, not both").format(path=path))
    client_kind = text("client_kind")
    if client_kind is not None and client_kind not in CLIENT_KINDS:
        raise UserError(_("{path}: client_kind: expected public or private, got {client_kind!r}")
                        .format(path=path, client_kind=client_kind))
    illustrations = table.get("require_illustrations", False)
    if not isinstance(illustrations, bool):
        raise UserError(_("{path}: require_illustrations: expected true or false").format(path=path))
    body = text("text")
    text_file = text("text_file")
    text_path = None
    if text_file is not None:
        if body is not None:
            raise UserError(_("{path}: text_file: give text or text_file, not both").format(path=path))
        text_path = _inside_tender_folder(path, text_file)
        body = read_tender_text(text_path, f"{path}: text_file:")
    return Tender(
        source=path,
        title=text("title"),
        buyer=text("buyer"),
        date=date,
        keywords=tuple(keywords),
        text=body,
        competencies=dict(competencies),
        since=whole(window.get("since"), "window.since"),
        years=whole(window.get("years"), "window.years"),
        references=whole(table.get("references"), "references"),
        client_kind=client_kind,
        require_illustrations=illustrations,
        text_file=text_path,
    )


def _inside_tender_folder(path: Path, text_file: str) -> Path:
    """A tender file names its text files inside its own folder (symlinks followed): a tender someone sent
    cannot make refcli read, and echo the words of, a file elsewhere. --tender-text reads any file."""
    folder = path.parent.resolve()
    target = (path.parent / text_file).resolve()
    if not target.is_relative_to(folder):
        raise UserError(_("{path}: text_file: {text_file!r} is outside the tender's folder {folder}; put the file "
                          "beside the tender file, or give it on the command line with --tender-text").format(
                              path=path, text_file=text_file, folder=folder))
    return path.parent / text_file
