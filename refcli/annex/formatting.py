"""French formatting of amounts, years and counts, shared by the terminal and the annex."""

from __future__ import annotations

import datetime
import re

from refcli.records.model import Amount, Mission, Period

NBSP = "\u00a0"  # before a currency sign or a tax basis
CLIENT_KINDS = {"public": "public", "private": "privé"}
THIN_NBSP = "\u202f"  # between groups of thousands, as French typography wants
EN_DASH = "\u2013"
BASIS_NOT_STATED = "HT ou TTC non précisé"
CURRENCY_SIGNS = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF"}


def format_number(value: float) -> str:
    """Return 167000000 as '167 000 000' and 12.5 as '12,5', with non-breaking thin spaces."""
    if float(value).is_integer():
        whole, decimals = f"{int(value):,}", ""
    else:  # to the cent: 99.995 is '100', not '100,'
        whole, _, cents = f"{value:,.2f}".partition(".")
        decimals = "," + cents.rstrip("0") if cents.rstrip("0") else ""
    return whole.replace(",", THIN_NBSP) + decimals


def format_amount(amount: Amount) -> str:
    """Return what is known of an amount: '99 685 € HT', '167 000 000 € TTC',
    '29 340 € (tranche ferme, HT ou TTC non précisé)', '157 000 000 € (HT ou TTC non précisé)'."""
    sign = CURRENCY_SIGNS.get(amount.currency, amount.currency)
    text = f"{format_number(amount.value)}{NBSP}{sign}"
    if amount.basis:
        text += f"{NBSP}{amount.basis}"
    notes = []
    if amount.scope == "tranche ferme":
        notes.append("tranche ferme")
    if not amount.basis:
        notes.append(BASIS_NOT_STATED)
    if notes:
        text += f" ({', '.join(notes)})"  # a plain space: a narrow column breaks before the note, not inside a word
    return text


def format_years(period: Period) -> str:
    """Return '2012 (8 mois)', '2018 – 2021' or '2019 – en cours'."""
    if period.ongoing:
        text = f"{period.start}{NBSP}{EN_DASH} en cours"
    elif period.end != period.start:
        text = f"{period.start}{NBSP}{EN_DASH} {period.end}"
    else:
        text = str(period.start)
    if period.duration_months:
        text += f" ({period.duration_months}{NBSP}mois)"
    return text


MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")
# Patterns for the annex's text, compiled on first use (re keeps them): compiling the five costs 2 ms
# of each search, which only formats years and amounts.
_CONTROL = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]"
_SPACE_BEFORE_COLON = r"[ \t\u00a0\u202f]+:"
_SPACE_BEFORE_PUNCTUATION = r"[ \t\u00a0\u202f]+([;!?])"
_AFTER_OPENING_QUOTE = r"«[ \t\u00a0\u202f]*"
_BEFORE_CLOSING_QUOTE = r"[ \t\u00a0\u202f]*»"


def format_date(day: datetime.date) -> str:
    """Return a date as French prose: '1er mars 2025', '12 juin 2024'."""
    number = "1er" if day.day == 1 else str(day.day)
    return f"{number}{NBSP}{MONTHS[day.month - 1]} {day.year}"


def clean_text(text: str) -> str:
    """Drop the characters a Word document cannot hold (control characters, lone surrogates)."""
    return re.sub(_CONTROL, "", text)


def french_typography(text: str) -> str:
    """Make the spaces French typography wants unbreakable: before : ; ! ? and inside « ».

    A space typed before : becomes a non-breaking space, before ; ! ? a narrow one; « and » get a
    non-breaking space inside even when none was typed. A colon with no space before it (a time,
    an address) is left alone, so no text is changed but its spaces.
    """
    text = re.sub(_SPACE_BEFORE_COLON, NBSP + ":", text)
    text = re.sub(_SPACE_BEFORE_PUNCTUATION, THIN_NBSP + r"\1", text)
    text = re.sub(_AFTER_OPENING_QUOTE, "«" + NBSP, text)
    return re.sub(_BEFORE_CLOSING_QUOTE, NBSP + "»", text)


def role_text(mission: Mission) -> str:
    """The firm's role, naming the mandataire when another firm led; "" when the role is not confirmed."""
    if mission.role is None:
        return ""
    if mission.team.mandataire and mission.role != "mandataire":
        return f"{mission.role} (mandataire{NBSP}: {mission.team.mandataire})"
    return mission.role


def client_text(mission: Mission, with_category: bool = False) -> str:
    """'ANRU — public, État': the client, and whether it is public or private and its category when confirmed."""
    details = [CLIENT_KINDS.get(mission.client.kind, mission.client.kind)] if mission.client.kind else []
    if with_category and mission.client.category:
        details.append(mission.client.category)
    return f"{mission.client.name} — {', '.join(details)}" if details else mission.client.name


def fiche_facts(mission: Mission) -> list[tuple[str, str, tuple[str, ...]]]:
    """The fiche's facts as (label, value, the record's key paths it shows) rows, leaving out what the
    record does not give: the annex's facts table and `refcli show` both read them."""
    site = ", ".join(filter(None, [mission.site.city, *mission.site.districts]))
    if mission.site.population:
        site += f" ({format_number(mission.site.population)}{NBSP}habitants)"
    if mission.site.note:
        site = f"{site} — {mission.site.note}" if site else mission.site.note
    team = mission.team
    rows = [
        ("Type de mission", mission.mission_type, ("mission_type",)),
        ("Maître d'ouvrage", client_text(mission, with_category=True), ("client",)),
        ("Années", format_years(mission.period), ("period",)),
        ("Site", site, ("site",)),
        ("Rôle", role_text(mission), ("role", "team.mandataire")),
        ("Équipe", ", ".join(team.members), ("team.members",)),
        ("Directeur de mission", team.director or "", ("team.director",)),
        ("Référent", team.referent or "", ("team.referent",)),
        ("Consultants mobilisés", ", ".join(team.consultants), ("team.consultants",)),
        ("Acteurs", ", ".join(mission.partners), ("partners",)),
        ("Montant de la mission", format_amount(mission.fee) if mission.fee else "", ("amounts.fee",)),
        ("Coût du projet", format_amount(mission.project_amount) if mission.project_amount else "",
         ("amounts.project",)),
        ("Programme", ", ".join(f"{format_number(item.count)} {item.label}" for item in mission.programme),
         ("programme",)),
        ("Contact", mission.client.contact or "", ("client.contact",)),
        ("Attestation", "attestation de bonne exécution disponible" if mission.certificate else "",
         ("certificate",)),
    ]
    return [row for row in rows if row[1]]
