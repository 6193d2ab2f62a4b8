"""Age of majority by country (ISO 3166-1 alpha-2), used to decide who may enter a paid
subscription (Terms §2). Country level only: where states or provinces differ (US, CA) the
national figure applies. Countries not listed use the common default of 18."""

from __future__ import annotations

from datetime import date

DEFAULT_AGE_OF_MAJORITY = 18

AGE_OF_MAJORITY: dict[str, int] = {
    "KR": 19,
    "DZ": 19,
    "TH": 20,
    "TW": 18,
    "JP": 18,
    "NZ": 18,
    "US": 18,
    "CA": 18,
    "AE": 21,
    "BH": 21,
    "CM": 21,
    "CI": 21,
    "EG": 21,
    "GA": 21,
    "ID": 21,
    "KW": 21,
    "LS": 21,
    "MG": 21,
    "SG": 21,
    "SZ": 21,
}


def age_of_majority(country: str) -> int:
    return AGE_OF_MAJORITY.get(country.upper(), DEFAULT_AGE_OF_MAJORITY)


def age_on(date_of_birth: date, day: date) -> int:
    """Whole years completed on ``day`` (a 29 February birthday counts on 1 March)."""
    years = day.year - date_of_birth.year
    if (day.month, day.day) < (date_of_birth.month, date_of_birth.day):
        years -= 1
    return years
