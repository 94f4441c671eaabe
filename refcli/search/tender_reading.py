"""Read a consultation's documents (RC, CCTP, avis) into a draft tender file, every value with its evidence.

Two jobs, on the paragraphs `refcli.search.documents` reads:
- which text is the tender's: the sections that describe the mission (objet, contenu de la mission,
  attendus, compétences) are searched; the administrative ones (modalités de remise, critères de
  jugement, voies de recours, pièces à fournir) are not (`select_sections`, `tender_text_of`);
- what the rules say: the object, the buyer, the deadline for offers, the lots, how many references
  and over which window, the client kind, the skills asked for as components (`read_tender`).
A value is taken only where a sentence states it, and kept with that sentence, its file and page;
what no sentence states is reported as not found, never guessed.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from refcli.errors import UserError, os_reason
from refcli.i18n import N_, _, ngettext
from refcli.search.documents import Document, DocumentError, Paragraph, check_suffix, read_document

if TYPE_CHECKING:
    from refcli.records.vocabulary import Vocabulary
    from refcli.search.glossary import Glossary

# Component aliases too common in a mission's description to say on their own that a skill is asked for.
GENERIC_WORDS = frozenset({"etudes", "etude", "strategie", "ingenierie", "programmation", "gouvernance",
                           "partenariat", "observatoire"})
QUOTE_LENGTH = 300  # an evidence sentence is quoted up to this many characters
TITLE_LENGTH = 400

# -- matching French rules text, accents folded, broken accents (U+FFFD) tolerated --------------------------


def match_form(text: str) -> str:
    """Fold text for matching, one character for one, so that a match's span is the original's span."""
    folded = []
    for char in text:
        if char == "\ufffd":
            folded.append(char)
            continue
        plain = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)).casefold()
        plain = plain.replace("\u2019", "'").replace("\u2018", "'").replace("\u00a0", " ").replace("\u202f", " ")
        folded.append(plain[:1] if plain else " ")
    return "".join(folded)


def pattern(source: str) -> re.Pattern[str]:
    """A folded pattern where '{e}' marks a letter that had an accent, compiled when first used.

    Exports break accents two ways: a U+FFFD in the letter's place ("r\ufffdf\ufffdrences"), or nothing
    ("rfrences", "matre douvrage"); so a marked letter may be U+FFFD or missing, and so may an apostrophe.
    """
    return _Lazy(re.sub(r"\{([a-z])\}", r"[\1\\ufffd]?", source).replace("'", "'?"))  # type: ignore[return-value]


class _Lazy:
    """A regular expression compiled when first used. `tender read` uses the forty of this module; a search
    reading a tender's text uses four (its sections' headings): compiling them all took ≈ 25 ms of it."""

    __slots__ = ("_arguments", "_compiled")

    def __init__(self, *arguments: Any) -> None:
        self._arguments, self._compiled = arguments, None

    def __getattr__(self, name: str) -> Any:  # .search, .finditer...: the compiled pattern's
        if self._compiled is None:
            self._compiled = re.compile(*self._arguments)
        return getattr(self._compiled, name)


_NUMBER_WORDS = {"un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8,
                 "neuf": 9, "dix": 10, "douze": 12, "quinze": 15, "vingt": 20}
# A count: never the start of a longer figure (2020), nor a weighting (20 %).
_NUMBER = (r"(\d{1,2}(?!\d)(?!\s*%)|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
           + r")(?:\s*\(\s*\d{1,2}\s*\))?")


def _number(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBER_WORDS[word]


# -- sections -----------------------------------------------------------------------------------------------

# Words of a heading, folded; administrative ones are looked for first ("contenu du dossier" is not the mission).
_ADMINISTRATIVE = pattern(
    r"remise|d{e}p{o}t|transmission|crit{e}re|jugement|attribution|recours|litige|pi{e}ces?\b|dossier|plis?\b"
    r"|validit{e}|n{e}gociation|renseignements|visite|signature|d{e}mat{e}rialis|variante|prix|paiement|"
    r"p{e}nalit|d{e}lai|dur{e}e|forme du march|proc{e}dure|modalit{e}s|candidature|groupement|sous-trait|"
    r"assurance|confidentialit|langue|date limite|identification|pr{e}sentation des offres|r{e}glement|"
    r"avance|garantie|r{e}vision|facturation|clauses? administrative|unit{e} mon{e}taire|audition|s{e}lection|"
    r"sommaire|nomenclature|examen des|pouvoir adjudicateur|acheteur|ma{i}tre de l'ouvrage|d{e}composition|"
    r"allotissement|(?:d{e}roulement|conditions|caract{e}ristiques|organisation) de la consultation"
)
# The offers are the candidates' ("contenu de l'offre", "analyse des offres", "offres anormalement basses"),
# administrative; not the offer of housing or services a mission is about ("reconstitution de l'offre").
_OFFERS = pattern(r"\boffres?\b"
                  r"(?! (?:de |d')?(?:logement|habitat|soin|service|commerc|{e}quipement|transport|sant{e}))")
_MISSION = pattern(
    r"objet|contenu|mission|attendu|comp{e}tence|description|contexte|enjeu|d{e}roulement|phase|"
    r"p{e}rim{e}tre|besoin|profil|{e}quipe|objectif|programme|{e}tude|livrable|m{e}thodolog"
)


@dataclass
class Section:
    title: str
    file: str
    page: int
    kind: str  # "mission", "administrative" or "other"
    paragraphs: list[Paragraph] = field(default_factory=list)
    used: bool = False

    def describe(self) -> dict[str, Any]:
        return {"title": self.title, "file": self.file, "page": self.page, "kind": self.kind, "used": self.used}


_SUB_NUMBER = _Lazy(r"^(?:article\s+)?\d{1,2}\.\d")


_STRONG_HEADING = _Lazy(r"^(?:article|chapitre|titre|partie|section|annexe)\b", re.IGNORECASE)


def _strong_heading(title: str) -> bool:
    """A heading that opens a section of its own whatever its words: 'ARTICLE 4', a line in capitals."""
    letters = [char for char in title if char.isalpha()]
    return bool(_STRONG_HEADING.match(title.strip())) or (bool(letters) and all(char.isupper() for char in letters))


def heading_kind(title: str) -> str:
    folded = match_form(title)
    if _ADMINISTRATIVE.search(folded) or (_OFFERS.search(folded) and "reconstitution" not in folded):
        return "administrative"
    if _MISSION.search(folded):
        return "mission"
    return "other"


def split_sections(document: Document) -> list[Section]:
    """Cut a document at its headings; a numbered sub-heading of no kind takes its parent's."""
    name = document.path.name
    sections = [Section("(before the first heading)", name, 1, "other")]
    parent_kind = "other"
    for paragraph in document.paragraphs:
        if paragraph.kind == "margin":
            continue
        if paragraph.kind == "heading":
            kind = heading_kind(paragraph.text)
            if kind == "other" and not _strong_heading(paragraph.text):
                # "2.3 Le quartier", "1. Réalisation d'un diagnostic": a sub-heading or a numbered item of the
                # section it is in, whose text it stays
                sections[-1].paragraphs.append(Paragraph(paragraph.text, paragraph.page, "text"))
                continue
            if _SUB_NUMBER.match(match_form(paragraph.text)):
                if kind == "other":
                    kind = parent_kind
            else:
                parent_kind = kind
            sections.append(Section(paragraph.text, name, paragraph.page, kind))
        else:
            sections[-1].paragraphs.append(paragraph)
    return [section for section in sections if section.paragraphs or section.kind != "other"
            or section is not sections[0]]


@dataclass
class Selection:
    """The text of a tender's documents that a query searches, and the sections it came from."""

    text: str
    sections: list[Section]
    whole: bool  # no section of the rules was recognised: the whole text is the tender's
    unread: list[str] = field(default_factory=list)  # the documents' pages nothing was read of (unread_pages)

    def describe(self) -> dict[str, Any]:
        return {"whole": self.whole, "sections": [section.describe() for section in self.sections]}


def select_sections(documents: list[Document]) -> Selection:
    """Keep the sections that describe the mission; if none, every section but the administrative ones."""
    sections = [section for document in documents for section in split_sections(document)]
    known = [section for section in sections if section.kind != "other"]
    if len(known) < 2:
        for section in sections:
            section.used = True
        return Selection("\n".join(document.text for document in documents), sections, True, unread_pages(documents))
    mission = any(section.kind == "mission" for section in sections)
    for section in sections:
        section.used = section.kind == "mission" if mission else section.kind != "administrative"
    # The headings stay out: "ARTICLE 3 - CONTENU DE LA MISSION" says nothing of this mission.
    parts = [paragraph.text for section in sections if section.used for paragraph in section.paragraphs]
    return Selection("\n".join(parts), sections, False, unread_pages(documents))


def unread_pages(documents: list[Document]) -> list[str]:
    """Say which pages of the documents hold an image and no text: a scanned page inside a PDF of text (an annex,
    a signed page) gives nothing, and what it says of the references would be missed without a word."""
    return [ngettext("{file}: page {pages} holds an image and no text (scanned?): not read; read it yourself, or "
                     "run OCR first ('ocrmypdf in.pdf out.pdf')",
                     "{file}: pages {pages} hold an image and no text (scanned?): not read; read them yourself, "
                     "or run OCR first ('ocrmypdf in.pdf out.pdf')", len(document.image_pages)).format(
                file=document.path.name, pages=", ".join(map(str, document.image_pages)))
            for document in documents if document.image_pages]


@lru_cache(maxsize=8)
def _selection_of(path: Path, stamp: tuple[int, int]) -> Selection:
    return select_sections([read_document(path)])


def selection_of(path: Path, where: str) -> Selection:
    """The selection of one file, read once per command (search reads it for the query and for --explain)."""
    try:
        check_suffix(path)
        status = path.stat()
    except DocumentError as error:
        raise UserError(_("{where} {error}").format(where=where, error=error)) from None
    except OSError as error:
        raise UserError(_("{where} {path}: cannot read the file: {reason}").format(
            where=where, path=path, reason=os_reason(error))) from None
    try:
        return _selection_of(path, (status.st_mtime_ns, status.st_size))
    except DocumentError as error:
        raise UserError(_("{where} {error}").format(where=where, error=error)) from None


def tender_text_of(path: Path, where: str) -> str:
    """The text of a tender's document that a query searches: its mission's sections, or all of a short text."""
    return selection_of(path, where).text


def explain_selection(selection: Selection) -> list[str]:
    """Lines for --explain: which sections were searched and which were left out."""
    if selection.whole:
        return [_("the whole text was searched (no section of a consultation's rules recognised)")]
    used = [f"{section.title} ({section.file} p. {section.page})" for section in selection.sections if section.used]
    left = [f"{section.title} ({_(_SECTION_KINDS[section.kind])})" for section in selection.sections
            if not section.used and not section.title.startswith("(")]
    return [_("searched: {sections}").format(sections=_("; ").join(used) or _("nothing")),
            _("left out: {sections}").format(sections=_("; ").join(left) or _("nothing"))]


_SECTION_KINDS = {"mission": N_("mission"), "administrative": N_("administrative"), "other": N_("not the mission")}


# -- evidence -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    file: str
    page: int
    sentence: str

    def quote(self) -> str:
        sentence = self.sentence if len(self.sentence) <= QUOTE_LENGTH else self.sentence[:QUOTE_LENGTH - 1] + "…"
        where = (_("{file}, page {page}") if self.page else _("{file}, header or footer")).format(file=self.file,
                                                                                              page=self.page)
        return _("{where}: « {sentence} »").format(where=where, sentence=sentence)

    def as_json(self) -> dict[str, Any]:
        return {"file": self.file, "page": self.page, "sentence": self.sentence}


@dataclass
class Finding:
    """One field of the draft: its value and the sentence it came from, or why it was not found."""

    name: str
    value: Any = None
    evidence: Evidence | None = None
    note: str = ""

    def as_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {"value": _json_value(self.value)}
        if self.evidence:
            found["evidence"] = self.evidence.as_json()
        if self.note:
            found["note"] = self.note
        return found


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _json_value(item) for key, item in value.items()}
    return value


@dataclass
class Sentence:
    text: str
    folded: str
    evidence: Evidence
    section: Section | None
    heading: bool = False  # a heading's number is its own ("2 Références du candidat"), no count


_SENTENCE_END = _Lazy(r"(?<=[.;!?])\s+(?=[A-ZÀ-ÖØ-Þ«\"(\d])")


def sentences_of(documents: list[Document], sections: list[Section]) -> list[Sentence]:
    """Every sentence of the documents, a line that ends with ':' joined to what follows it."""
    by_paragraph: dict[int, Section] = {}
    for section in sections:
        for paragraph in section.paragraphs:
            by_paragraph[id(paragraph)] = section
    found: list[Sentence] = []
    for document in documents:
        name = document.path.name
        paragraphs = list(document.paragraphs)
        for number, paragraph in enumerate(paragraphs):
            text = paragraph.text
            if paragraph.kind == "row":
                text = re.sub(r"\s{2,}", " : ", text)
            if text.rstrip().endswith(":") and number + 1 < len(paragraphs):
                text = text.rstrip() + " " + paragraphs[number + 1].text
            pieces = [text] if paragraph.kind in ("row", "heading") else _SENTENCE_END.split(text)
            for piece in pieces:
                piece = piece.strip()
                if piece:
                    found.append(Sentence(piece, match_form(piece), Evidence(name, paragraph.page, piece),
                                          by_paragraph.get(id(paragraph)), paragraph.kind == "heading"))
    return found


# -- the fields ---------------------------------------------------------------------------------------------

_REFERENCE_WORD = pattern(r"r{e}f{e}rences?|principa(?:les|ux) (?:services|prestations|missions)|"
                          r"liste des (?:services|prestations|missions)|exp{e}riences?")
# What refuses the references just named: "... ne seront pas prises en compte", "... sont exclues".
_REFUSED = r"\s+(?:ne\s+(?:seront|sont)\s+pas|sont\s+exclues|seront\s+(?:exclues|refus{e}es|{e}cart{e}es))"
_WINDOW_YEARS = [
    pattern(_NUMBER + r"\s+derni{e}res\s+ann{e}es"),
    pattern(_NUMBER + r"\s+ann{e}es\s+(?:pr{e}c{e}dentes|{e}coul{e}es|pass{e}es)"),
    pattern(r"(?:de\s+)?moins\s+de\s+" + _NUMBER + r"\s+ans\b"),
    pattern(r"(?:au cours|durant|lors|pendant|sur)\s+(?:les|des)\s+" + _NUMBER + r"\s+(?:derniers\s+)?ans\b"),
    # Older ones refused: "les références de plus de trois ans ne seront pas prises en compte".
    pattern(r"plus\s+de\s+" + _NUMBER + r"\s+ans" + _REFUSED),
]
_WINDOW_SINCE = [
    pattern(r"depuis\s+(?:le\s+1er\s+janvier\s+|janvier\s+|l'ann{e}e\s+|le\s+d{e}but\s+de\s+)?((?:19|20)\d\d)\b"),
    pattern(r"(?:a\s+partir\s+d[eu]|post{e}rieure?s?\s+(?:a|au)|apr{e}s\s+l[ea])\s+(?:le\s+)?(?:1er\s+\S+\s+|"
            r"l'ann{e}e\s+|\d{1,2}\s+\S+\s+|\d{1,2}/\d{1,2}/)?((?:19|20)\d\d)\b"),
    pattern(r"(?:entre|de)\s+((?:19|20)\d\d)\s+(?:et|a)\s+(?:19|20)\d\d"),
]
_WINDOW_MONTHS = pattern(r"\b(\d{2,3})\s+derniers\s+mois\b")
# Older references accepted, so no window: "plus de trois ans" or "plus anciennes", not refused after it.
_OLDER_ACCEPTED = pattern(r"(?:plus\s+de\s+" + _NUMBER + r"\s+ans|plus\s+anciennes)(?!" + _REFUSED + ")")
_ARRETE = pattern(r"arr{e}t{e}\s+du\s+22\s+mars\s+2019")
_ARRETE_SERVICES = pattern(r"principa(?:les|ux)\s+(?:services|prestations|fournitures)|liste\s+des\s+services|"
                           r"r{e}f{e}rences|article\s+3\b")
_COUNT = [
    pattern(r"(?:au\s+moins|au\s+minimum|minimum(?:\s+de)?|jusqu'a|maximum(?:\s+de)?|de|les|ses|des)?\s*\b"
            + _NUMBER + r"\s+(?:a\s+" + _NUMBER + r"\s+)?(?:principales\s+|meilleures\s+|derni{e}res\s+)?"
            r"r{e}f{e}rences?\b"),
    pattern(r"r{e}f{e}rences?\s*\(\s*(?:au\s+moins\s+|minimum\s+|maximum\s+)?" + _NUMBER),
    pattern(r"r{e}f{e}rences?[^.;]{0,60}?\bau\s+nombre\s+de\s+" + _NUMBER),
]
_BUYER = pattern(
    r"(?:pouvoir\s+adjudicateur|entit{e}\s+adjudicatrice|acheteur(?:\s+public)?|ma{i}tre\s+d'ouvrage|"
    r"ma{i}tre\s+de\s+l'ouvrage|personne\s+publique\s+contractante)\s*(?:\([^)]*\)\s*)?"
    r"(?:est\s+[^:.;]{0,60}?)?:\s*"
    r"|^(?:nom\s+et\s+adresses?(?:\s+officiels?)?|nom\s+de\s+l'organisme)\s*:\s*"
)
# A heading naming the buyer, the name in the paragraph under it: "Identification de l'acheteur".
_BUYER_HEADING = pattern(r"^(?:\S+\s+){0,3}?(?:identification|d{e}signation|nom)\s+(?:de\s+l'|du\s+)"
                         r"(?:acheteur|pouvoir\s+adjudicateur|ma{i}tre\s+d'ouvrage|organisme\s+acheteur)\s*$")
_BUYER_END = _Lazy(r"\s*(?:,|;|\s-\s|\s–\s|\(|\d{5}|\.(?:\s|$)|$|\s(?:Adresse|Représentée?|Immatricul|Tél|Tel|"
                        r"Courriel|SIRET|Siège)\b)", re.IGNORECASE)
_DEADLINE = pattern(
    r"(?:date|heure)s?\s+(?:et\s+heure\s+)?limites?\s+(?:de\s+)?(?:r{e}ception|remise|d{e}p{o}t|transmission)\s+"
    r"des\s+(?:offres|plis|propositions|dossiers)"
    r"|(?:offres|plis)\s+(?:devront|doivent)\s+(?:{e}tre\s+)?(?:remis|d{e}pos{e}s|transmis|parvenir|re{c}us)"
    r"|^(?:remise|r{e}ception|d{e}p{o}t)\s+des\s+(?:offres|plis)\s*:"
)
# Words that make a date in a deadline's sentence another's: the avis "publié le", the questions', a visit's.
_NOT_THE_DEADLINE = pattern(r"publi{e}|\bavis\b|questions?|renseignements|visite|limite\s+d'envoi")
_INITIALLY = pattern(r"initialement|pr{e}c{e}demment")
_MOVED = pattern(r"(?:report{e}e?|prolong{e}e?|d{e}cal{e}e?|repouss{e}e?)\s+(?:au|a|jusqu'au)\s+")
_DEADLINE_CANDIDATURES = pattern(r"(?:date|heure)s?\s+(?:et\s+heure\s+)?limites?\s+(?:de\s+)?"
                                 r"(?:r{e}ception|remise|d{e}p{o}t)\s+des\s+candidatures")
_MONTHS = {"janvier": 1, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7, "aout": 8,
           "septembre": 9, "octobre": 10, "novembre": 11, "decembre": 12}
_DATE = [
    re.compile(r"\b(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})\b"),
    pattern(r"\b(\d{1,2}|1er)\s+(janvier|f{e}vrier|mars|avril|mai|juin|juillet|ao{u}t|septembre|octobre|novembre|"
            r"d{e}cembre)\s+(\d{4})\b"),
    re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"),
]
_TIME = _Lazy(r"\b(\d{1,2})\s*(?:h(?:eures?)?|:)\s*(\d{2})?\b")
# "Lot 1 : Concertation." in prose, or a table row "Lot 1 | Concertation | 80 000 € HT" (cells read " : " apart).
_LOT = pattern(r"^(?:lot\s+(?:n\s*[°ºo]\s*)?(\d{1,2}))\s*[:\-–—.)]\s*(\S.{2,150}?)\s*(?:[.;]|\s:\s|$)")
# A table of lots: its header row ("Lot | Désignation", "N° de lot | Intitulé"), then a row a lot ("1 | Concertation").
_LOT_HEADER = pattern(r"^(?:n\s*[°ºo]\s*(?:de\s+)?|num{e}ro\s+(?:de\s+|du\s+)?)?lots?\s:\s")
_LOT_ROW = pattern(r"^(?:lot\s+)?(?:n\s*[°ºo]\s*)?(\d{1,2})\s:\s(\S.{2,150}?)\s*(?:\s:\s|$)")
# What says how many lots there are: "le marché est décomposé en 2 lots", "la consultation comporte trois lots".
_LOT_COUNT = pattern(r"(?:d{e}compos{e}e?|divis{e}e?|allotie?|r{e}partie?|comporte|comprend)\s+(?:en\s+)?"
                     + _NUMBER + r"\s+lots\b")
_SINGLE_LOT = pattern(r"n'est\s+pas\s+alloti|ne\s+(?:fait|comporte)\s+pas\s+(?:l'objet\s+d'un\s+)?allotissement|"
                      r"pas\s+d'allotissement|\blot\s+unique\b|n'est\s+pas\s+d{e}compos{e}e?\s+en\s+lots|"
                      r"ne\s+comporte\s+pas\s+de\s+lots?|sans\s+allotissement|un\s+seul\s+lot")
_OBJECT = [
    pattern(r"(?:la\s+pr{e}sente\s+consultation|le\s+pr{e}sent\s+march{e}|le\s+march{e}|la\s+consultation|"
            r"le\s+pr{e}sent\s+accord-cadre|l'accord-cadre)\s+(?:a\s+pour\s+objet|porte\s+sur|concerne|vise)\s*:?\s*"),
    pattern(r"^objet\s+(?:du\s+march{e}|de\s+la\s+consultation|de\s+l'accord-cadre|du\s+contrat)?\s*:\s*"),
    pattern(r"\bintitul{e}\s+(?:du\s+march{e}\s+|de\s+la\s+consultation\s+|attribu{e}\s+au\s+march{e}\s+)?:\s*"),
]
# What a market "porte sur" that is not its object: its duration, its period, its amount.
_NOT_THE_OBJECT = pattern(r"(?:une|la|sa)\s+(?:dur{e}e|p{e}riode|montant)\b")
_CLIENT = {  # "personnes publiques", plural: "la personne publique" is the buyer
    "public": pattern(r"(?:ma{i}tres?\s+d'ouvrage|acheteurs?|clients?|donneurs?\s+d'ordres?|commanditaires?|"
                      r"organismes?|personnes)\s+publi(?:cs?|ques?)\b|collectivit{e}s\s+territoriales"),
    "private": pattern(r"(?:ma{i}tres?\s+d'ouvrage|acheteurs?|clients?|donneurs?\s+d'ordres?|commanditaires?)\s+"
                       r"priv{e}s?\b"),
}
_KIND = r"(?:publi(?:c|que)s?|priv{e}e?s?)"
_CLIENT_KINDS_ONLY = pattern(rf"^{_KIND}(?:\s+(?:ou|et)\s+{_KIND})?\W*$")  # "public ou privé": no buyer's name
_PUBLIC_OR_PRIVATE = pattern(r"publi(?:cs?|ques?)\s+(?:ou|et)\s+priv|priv{e}e?s?\s+(?:ou|et)\s+publi")
_SKILL_SENTENCE = pattern(r"comp{e}tences?|exp{e}rience|savoir-faire|expertise|ma{i}trise\s+(?:de|des|du)|"
                          r"sp{e}cialis|domaines?|qualifications?|profils?")


@dataclass
class TenderReading:
    """What the documents say, field by field, with the sections searched."""

    documents: list[Document]
    findings: dict[str, Finding]
    lots: list[tuple[str, str, Evidence]]  # (number, title, evidence); ("", "lot unique", ...) when not divided
    selection: Selection
    competencies: dict[str, Finding]  # component id -> finding
    lots_stated: tuple[int, Evidence] | None = None  # how many lots a sentence says there are


def read_tender(paths: list[Path], vocabulary: Vocabulary, glossary: Glossary) -> TenderReading:
    """Read one consultation's documents and find what a tender file holds; DocumentError on an unreadable file."""
    documents = [read_document(path) for path in paths]
    selection = select_sections(documents)
    sentences = sentences_of(documents, selection.sections)
    findings = {
        "title": _find_object(sentences, selection),
        "buyer": _find_buyer(sentences, documents),
        "date": _find_deadline(sentences),
        "references": _find_count(sentences),
        "window": _find_window(sentences),
        "client_kind": _find_client_kind(sentences),
    }
    competencies = _find_competencies(sentences, selection, vocabulary, glossary)
    return TenderReading(documents, findings, _find_lots(sentences), selection, competencies, _stated_lots(sentences))


def _find_object(sentences: list[Sentence], selection: Selection) -> Finding:
    for expression in _OBJECT:
        for sentence in sentences:
            match = expression.search(sentence.folded)
            if match and len(sentence.text) - match.end() > 10 and not _NOT_THE_OBJECT.match(sentence.folded,
                                                                                              match.end()):
                return _title_finding(sentence.text[match.end():], sentence.evidence)
    for sentence in sentences:
        section = sentence.section
        if section is not None and section.kind == "mission" and "objet" in match_form(section.title):
            return _title_finding(sentence.text, sentence.evidence,
                                  _("the first sentence of the section on the object"))
    return Finding("title", note=_("no sentence states the object (\"la présente consultation a pour objet…\", "
                                   "\"Objet du marché :\"); write it here"))


def _title_finding(text: str, evidence: Evidence | None, note: str = "") -> Finding:
    """The object as the title, whole; cut at a word only past TITLE_LENGTH, and then said (the annex's cover
    prints it to the buyer)."""
    text = " ".join(text.split()).strip(" :.;«»\"")
    if len(text) > TITLE_LENGTH:
        text = text[:TITLE_LENGTH].rsplit(" ", 1)[0] + "…"
        cut = _("cut at {length} characters: shorten it to the tender's own object").format(length=TITLE_LENGTH)
        note = f"{note}; {cut}" if note else cut
    return Finding("title", text[:1].upper() + text[1:], evidence, note)


def _find_buyer(sentences: list[Sentence], documents: list[Document]) -> Finding:
    for number, sentence in enumerate(sentences):
        match = _BUYER.search(sentence.folded)
        following = sentences[number + 1] if number + 1 < len(sentences) else None
        if not match and following is not None and _BUYER_HEADING.match(sentence.folded) \
                and not _BUYER.search(following.folded):
            heading = sentence.text
            joined = f"{heading} : {following.text}"
            sentence = Sentence(joined, match_form(joined), Evidence(following.evidence.file,
                                                                     following.evidence.page, joined), None)
            match = re.compile(" : ").search(joined, len(heading))
        if match:
            rest = sentence.text[match.end():]
            end = _BUYER_END.search(rest)
            name = rest[: end.start()].strip(" «»\"") if end else rest.strip()
            if len(name) >= 3 and not _CLIENT_KINDS_ONLY.match(match_form(name)):
                return Finding("buyer", name, sentence.evidence)
    return Finding("buyer", note=_("no sentence names the pouvoir adjudicateur or the acheteur; write it here"))


def _parse_date(folded: str, start: int, deadline: bool = False) -> tuple[datetime.date, str] | None:
    """The first date at or after start, and the time written after it (or ''). deadline: the date a deadline
    sentence gives it: none when the words before the date make it another's (an avis "publié le", the questions'),
    the new one when the deadline was moved ("initialement fixée au ..., reportée au ...")."""
    best = None
    for expression in _DATE:
        for match in expression.finditer(folded, start):
            if best is None or match.start() < best[0].start():
                best = (match, expression)
            break
    if best is None:
        return None
    match, expression = best
    if deadline:
        if _NOT_THE_DEADLINE.search(folded, start, match.start()):
            return None
        moved = _MOVED.search(folded, match.end())
        if moved and _INITIALLY.search(folded, start, match.start()):
            return _parse_date(folded, moved.end())
    try:
        if expression is _DATE[0]:
            day, month, year = int(match[1]), int(match[2]), int(match[3])
        elif expression is _DATE[2]:
            year, month, day = int(match[1]), int(match[2]), int(match[3])
        else:
            day = 1 if match[1] == "1er" else int(match[1])
            month = _MONTHS[_month_of(match[2])]
            year = int(match[3])
        date = datetime.date(year, month, day)
    except (ValueError, KeyError):
        return None
    time = _TIME.search(folded, match.end(), match.end() + 20)
    written = f"{int(time[1])}h{time[2] or '00'}" if time else ""
    return date, written


def _month_of(word: str) -> str:
    """The month a folded word names, a broken accent ('f\ufffdvrier') standing for any letter, or dropped."""
    expression = re.compile("^" + re.escape(word).replace("\ufffd", ".") + "$")
    for month in _MONTHS:
        if expression.match(month) or word in {month[:index] + month[index + 1:] for index in range(len(month))}:
            return month
    raise KeyError(word)


def _find_deadline(sentences: list[Sentence]) -> Finding:
    fallback = None
    for expression in (_DEADLINE, _DEADLINE_CANDIDATURES):
        for number, sentence in enumerate(sentences):
            match = expression.search(sentence.folded)
            if not match:
                continue
            parsed = _parse_date(sentence.folded, match.end(), deadline=True)
            if parsed is None:  # "Date et heure limites de réception des offres", the date in the next paragraph
                following = sentences[number + 1] if number + 1 < len(sentences) else None
                if following is None or len(sentence.text) > 120 or _NOT_THE_DEADLINE.search(following.folded) \
                        or _DEADLINE.search(following.folded) or _DEADLINE_CANDIDATURES.search(following.folded):
                    continue
                parsed = _parse_date(following.folded, 0, deadline=True)
                if parsed is None:
                    continue
                joined = f"{sentence.text} {following.text}"
                sentence = Sentence(joined, "", Evidence(sentence.evidence.file, sentence.evidence.page, joined), None)
            date, time = parsed
            note = (_("the deadline for offers") if expression is _DEADLINE else _("the deadline for applications")) \
                + (_(", at {time}").format(time=time) if time else "")
            finding = Finding("date", date, sentence.evidence, note)
            if expression is _DEADLINE:
                return finding
            fallback = fallback or finding
    return fallback or Finding("date", note=_("no sentence gives the date limite de remise des offres; write it "
                                              "here (window.years counts back from its year)"))


def _find_count(sentences: list[Sentence]) -> Finding:
    found: list[Finding] = []
    for sentence in sentences:
        if sentence.heading:
            continue
        for expression in _COUNT:
            match = expression.search(sentence.folded)
            if not match:
                continue
            numbers = [_number(group) for group in match.groups() if group]
            count = max(numbers)
            if count < 1 or count > 20:
                continue
            note = _("a range: the most the buyer takes") if len(numbers) > 1 else ""
            found.append(Finding("references", count, sentence.evidence, note))
            break
    if len({finding.value for finding in found}) > 1:  # lots that ask for different numbers: the user chooses
        stated = "; ".join(f"{finding.value} ({finding.evidence.file} p. {finding.evidence.page}: "
                           f"{finding.evidence.sentence[:60]})" for finding in found)
        return Finding("references", note=_("the documents state several numbers of references ({stated}); "
                                            "choose one").format(stated=stated))
    if found:
        return found[0]
    return Finding("references", note=_("no sentence says how many references the buyer wants"))


def _find_window(sentences: list[Sentence]) -> Finding:
    found: list[Finding] = []
    for sentence in sentences:
        folded = sentence.folded
        if not _REFERENCE_WORD.search(folded):
            continue
        for expression in _WINDOW_YEARS:
            match = expression.search(folded)
            if match and not _OLDER_ACCEPTED.search(folded[: match.start()] + folded[match.end():]):
                found.append(Finding("window", {"years": _number(match[1])}, sentence.evidence))
                break
        else:
            months = _WINDOW_MONTHS.search(folded)
            if months and int(months[1]) % 12 == 0:
                found.append(Finding("window", {"years": int(months[1]) // 12}, sentence.evidence,
                                     f"{months[1]} months"))
                continue
            for expression in _WINDOW_SINCE:
                match = expression.search(folded)
                if match and int(match[1]) <= datetime.date.today().year:  # "à partir du 15 février 2027": a date
                    found.append(Finding("window", {"since": int(match[1])}, sentence.evidence))
                    break
            else:
                if _ARRETE.search(folded) and _ARRETE_SERVICES.search(folded):
                    found.append(Finding("window", {"years": 3}, sentence.evidence,
                                         _("the arrêté du 22 mars 2019 it cites asks for the principal services "
                                           "of the last three years")))
    values = {tuple(finding.value.items()) for finding in found}
    if len(values) == 1:
        return found[0]
    if len(values) > 1:
        stated = "; ".join(f"{key} = {value} ({finding.evidence.file} p. {finding.evidence.page})"
                           for finding in found for key, value in finding.value.items())
        return Finding("window", note=_("the documents state several windows ({stated}); choose one").format(
            stated=stated))
    return Finding("window", note=_("no sentence states a window for the references (\"au cours des trois "
                                    "dernières années\", \"depuis 2021\"); none is assumed"))


def _find_client_kind(sentences: list[Sentence]) -> Finding:
    for sentence in sentences:
        folded = sentence.folded
        if not _REFERENCE_WORD.search(folded) or _PUBLIC_OR_PRIVATE.search(folded):
            continue
        for kind, expression in _CLIENT.items():
            if expression.search(folded):
                return Finding("client_kind", kind, sentence.evidence)
    return Finding("client_kind", note=_("no sentence restricts the references to public (or private) clients"))


def _find_lots(sentences: list[Sentence]) -> list[tuple[str, str, Evidence]]:
    lots: dict[str, tuple[str, str, Evidence]] = {}
    in_table = False  # the rows after a table's header row "Lot : Désignation"
    for sentence in sentences:
        match = _LOT.match(sentence.folded) or (_LOT_ROW.match(sentence.folded) if in_table else None)
        in_table = bool(_LOT_HEADER.match(sentence.folded)) or (in_table and match is not None)
        if match and match[1] not in lots:
            title = sentence.text[match.start(2):match.end(2)]
            lots[match[1]] = (match[1], title.strip(), sentence.evidence)
    if lots:
        return sorted(lots.values(), key=lambda lot: int(lot[0]))
    for sentence in sentences:
        if _SINGLE_LOT.search(sentence.folded):
            return [("", "lot unique", sentence.evidence)]
    return []


def _stated_lots(sentences: list[Sentence]) -> tuple[int, Evidence] | None:
    """How many lots a sentence says the consultation has, and that sentence."""
    for sentence in sentences:
        match = _LOT_COUNT.search(sentence.folded)
        if match and _number(match[1]) > 1:
            return _number(match[1]), sentence.evidence
    return None


def _component_names(vocabulary: Vocabulary, glossary: Glossary) -> list[tuple[tuple[str, ...], str, str, bool]]:
    """(tokens, component id, name as written, acronym) for every name a component goes by, glossary's too."""
    from refcli.search.glossary import glossary_key
    from refcli.search.text import tokens

    names: dict[tuple[str, ...], tuple[str, str]] = {}

    def add(name: str, component_id: str) -> None:
        if glossary_key(name) in glossary.ambiguities:  # "insertion", "planification": two senses
            return
        words = tuple(tokens(name))
        if words:
            names.setdefault(words, (component_id, name))

    for component in vocabulary.components:
        for name in (component.label, *component.aliases):
            add(name, component.id)
    for group in glossary.groups:
        owners = {vocabulary.resolve(member) for member in group} - {None}
        if len(owners) == 1:
            owner = owners.pop()
            assert owner is not None
            for member in group:
                add(member, owner)
    return [(words, component_id, name, name.isupper() and len(name) <= 6)
            for words, (component_id, name) in sorted(names.items(), key=lambda item: -len(item[0]))]


def _find_competencies(sentences: list[Sentence], selection: Selection, vocabulary: Vocabulary,
                       glossary: Glossary) -> dict[str, Finding]:
    """Components the mission's sections name (phrases, acronyms), or that a sentence on skills names."""
    from refcli.search.text import tokens

    names = _component_names(vocabulary, glossary)
    found: dict[str, Finding] = {}
    for sentence in sentences:
        in_mission = sentence.section is not None and sentence.section.used and not selection.whole
        about_skills = bool(_SKILL_SENTENCE.search(sentence.folded))
        if not (in_mission or about_skills or selection.whole):
            continue
        words = tokens(sentence.text)
        joined = " " + " ".join(words) + " "
        raw_words = set(re.findall(r"[\w-]+", sentence.text))
        for name_words, component_id, name, acronym in names:
            if component_id in found:
                continue
            if len(name_words) == 1 and not acronym and not about_skills and (
                    name_words[0] in GENERIC_WORDS or not (in_mission or selection.whole)):
                continue
            if acronym and name not in raw_words:
                continue  # an acronym counts written in capitals only
            if " " + " ".join(name_words) + " " in joined:
                found[component_id] = Finding(component_id, 1, sentence.evidence,
                                              _("named as {name!r}").format(name=name))
    order = {component_id: number for number, component_id in enumerate(vocabulary.ids())}
    return dict(sorted(found.items(), key=lambda item: order[item[0]]))


# -- the draft tender file ----------------------------------------------------------------------------------


def _comment(text: str) -> str:
    """One comment line, its leading indent kept (a list under a heading comment)."""
    indent = len(text) - len(text.lstrip(" "))
    # TOML allows no control character in a comment; a damaged document can hold some.
    text = "".join("\ufffd" if unicodedata.category(char) == "Cc" and char != "\t" else char for char in text)
    return "# " + " " * indent + " ".join(text.split())


def _toml_value(key: str, value: Any, multiline: bool = False) -> str:
    import tomli_w

    return tomli_w.dumps({key: value}, multiline_strings=multiline).rstrip("\n")


def render_draft(reading: TenderReading, vocabulary: Vocabulary, out: Path | None = None) -> str:
    """The draft tender file: each value under the sentence it came from; what was not found, commented out."""
    files = ", ".join(_("{name} ({format}, {pages} page(s))").format(name=document.path.name, format=document.format,
                                                                     pages=document.pages)
                      for document in reading.documents)
    lines = [
        _("# Draft tender file, read by `refcli tender read` from {files}.").format(files=files),
        _("# Check each value against the sentence quoted above it; uncomment and fill in what was not found."),
        _("# Then: refcli check --tender {file}").format(file=out.name if out else "tender.toml"),
        *(_comment(line) for line in reading.selection.unread),
        "",
    ]

    def field_lines(finding: Finding, key: str, example: str) -> None:
        if finding.value is not None and finding.evidence is not None:
            lines.append(_comment(finding.evidence.quote()))
            if finding.note:
                lines.append(_comment(finding.note))
            lines.append(_toml_value(key, finding.value))
        else:
            lines.append(_comment(_("{key}: not found: {note}").format(key=key, note=finding.note)))
            lines.append(f"# {example}")
        lines.append("")

    findings = reading.findings
    field_lines(findings["title"], "title", 'title = "..."')
    field_lines(findings["buyer"], "buyer", 'buyer = "..."')
    field_lines(findings["date"], "date", "date = 2027-01-31")
    lines.append(_("# keywords: editorial; add the phrases the buyer insists on, e.g."))
    lines.append('# keywords = ["maison du projet", "conseils citoyens"]')
    lines.append("")
    field_lines(findings["references"], "references", "references = 3")
    field_lines(findings["client_kind"], "client_kind", 'client_kind = "public"')
    lines.append(_("# require_illustrations: RCs rarely say it; true makes `refcli check` fail on a reference "
                   "without an illustration"))
    lines.append("# require_illustrations = false")
    lines.append("")
    if reading.lots:
        if reading.lots[0][0]:
            lines.append(_("# lots: {count} (a tender file describes one: keep the lot you bid for "
                           "in title and text)").format(count=len(reading.lots)))
            for number, title, evidence in reading.lots:
                lines.append(_comment(_("  lot {number}: {title} — {file}, page {page}").format(
                    number=number, title=title, file=evidence.file, page=evidence.page)))
        else:
            lines.append(_comment(_("lots: none, {quote}").format(quote=reading.lots[0][2].quote())))
    elif reading.lots_stated is None:
        lines.append(_("# lots: no lot found"))
    stated = reading.lots_stated
    if stated is not None and len(reading.lots) < stated[0]:
        found = (_("{found} read above: find the others").format(found=len(reading.lots)) if reading.lots else
                 _("their titles were not read: find them"))
        lines.append(_comment(_("lots: the documents say {count}, {quote}; {found} in the RC, and keep the lot you "
                                "bid for in title and text").format(count=stated[0], quote=stated[1].quote(),
                                                                     found=found)))
    lines.append("")
    used = [section for section in reading.selection.sections if section.used]
    if reading.selection.whole:
        lines.append(_("# text: the whole text of the documents (no section of a consultation's rules recognised)"))
    else:
        lines.append(_("# text: the sections that describe the mission, searched as free text:"))
        lines += [_comment(_("  {title} ({file}, page {page})").format(title=section.title, file=section.file,
                                                                   page=section.page)) for section in used
                  if not section.title.startswith("(")]
        left = [section for section in reading.selection.sections if not section.used
                and not section.title.startswith("(")]
        if left:
            lines.append(_("# left out (administrative or not about the mission): ")
                         + "; ".join(section.title for section in left)[:2000])
    text = reading.selection.text.strip()
    if text:
        lines.append(_toml_value("text", text, multiline=True))
    else:
        lines.append('# text = "..."')
    lines.append("")
    if reading.competencies:
        lines.append(_("# competencies: the components the documents name, at level 1 (the component at all); "
                       "raise a level if the RC insists on it"))
        lines.append("[competencies]")
        for component_id, finding in reading.competencies.items():
            assert finding.evidence is not None
            lines.append(_comment(f"{vocabulary.label(component_id)}, {finding.note}: {finding.evidence.quote()}"))
            lines.append(_toml_value(component_id, 1))
    else:
        lines.append(_("# competencies: no component of components.toml named in the mission's sections"))
        lines.append("# [competencies]")
        lines.append("# concertation = 1")
    lines.append("")
    window = findings["window"]
    if window.value is not None and window.evidence is not None:
        lines.append(_comment(window.evidence.quote()))
        if window.note:
            lines.append(_comment(window.note))
        lines.append("[window]")
        key, value = next(iter(window.value.items()))
        lines.append(_toml_value(key, value))
    else:
        lines.append(_comment(_("window: not found: {note}").format(note=window.note)))
        lines.append("# [window]")
        lines.append("# years = 3")
    return "\n".join(lines) + "\n"


def reading_json(reading: TenderReading, vocabulary: Vocabulary) -> dict[str, Any]:
    return {
        "files": [{"path": str(document.path), "format": document.format, "pages": document.pages,
                   "image_pages": list(document.image_pages)} for document in reading.documents],
        "fields": {name: finding.as_json() for name, finding in reading.findings.items()},
        "competencies": {component_id: {**finding.as_json(), "label": vocabulary.label(component_id)}
                         for component_id, finding in reading.competencies.items()},
        "lots": [{"number": number or None, "title": title, "evidence": evidence.as_json()}
                 for number, title, evidence in reading.lots],
        "lots_stated": None if reading.lots_stated is None else {
            "count": reading.lots_stated[0], "evidence": reading.lots_stated[1].as_json()},
        "text": reading.selection.describe(),
    }


def check_draft(text: str, path: Path) -> None:
    """The draft must load as a tender file: a failure here is a bug of render_draft."""
    import tomllib

    from refcli.search.query import parse_tender

    table = tomllib.loads(text)
    parse_tender(table, path)
