"""Template tags for membership: prices, the community counter, the membership drive."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.formats import number_format

register = template.Library()

CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "UAH": "₴", "JPY": "¥", "PLN": "zł"}
ZERO_DECIMAL = {"JPY", "KRW"}


@register.filter
def money(amount: int | None, currency: str = "EUR") -> str:
    """Minor units to a price a reader reads: 500, "EUR" → "€5"; 550 → "€5.50"."""
    if amount is None:
        return ""
    currency = (currency or "").upper()
    value = Decimal(amount) if currency in ZERO_DECIMAL else Decimal(amount) / 100
    places = 0 if value == value.to_integral_value() else 2
    text = number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)
    symbol = CURRENCY_SYMBOLS.get(currency)
    if symbol is None:
        return f"{text} {currency}"
    return f"{text} {symbol}" if symbol == "zł" else f"{symbol}{text}"
