"""French formatting of amounts, years and counts, shared by the terminal and the annex."""

from __future__ import annotations

from refcli.model import Amount, Period

NBSP = "\u00a0"  # before a currency sign or a tax basis
THIN_NBSP = "\u202f"  # between groups of thousands, as French typography wants
EN_DASH = "\u2013"
CURRENCY_SIGNS = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF"}


def format_number(value: float) -> str:
    """Return 167000000 as '167 000 000' and 12.5 as '12,5', with non-breaking thin spaces."""
    if float(value).is_integer():
        whole, decimals = f"{int(value):,}", ""
    else:
        whole, _, decimals = f"{value:,.2f}".partition(".")
        decimals = "," + decimals.rstrip("0")
    return whole.replace(",", THIN_NBSP) + decimals


def format_amount(amount: Amount) -> str:
    """Return '167 000 000 € TTC', '99 685 € HT' or '29 340 € (TF)' (tranche ferme)."""
    sign = CURRENCY_SIGNS.get(amount.currency, amount.currency)
    text = f"{format_number(amount.value)}{NBSP}{sign}"
    if amount.basis == "TF":
        text += f"{NBSP}(TF)"
    elif amount.basis:
        text += f"{NBSP}{amount.basis}"
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
