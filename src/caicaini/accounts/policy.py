"""Sign-up rules that need no database: e-mail syntax and normalisation, password strength,
date of birth, country. Each failure raises a typed error with a message a user can act on."""

from __future__ import annotations

from datetime import date

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email

from caicaini.accounts.countries import is_country
from caicaini.accounts.errors import InvalidEmail, TooYoung, WeakPassword
from caicaini.accounts.majority import age_on
from caicaini.errors import InvalidInput

MINIMUM_AGE = 13
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256  # argon2 work is bounded; longer inputs are refused, not truncated

# Top of the public breach lists; anything here is guessed within seconds.
COMMON_PASSWORDS = frozenset(
    [
        "123456",
        "123456789",
        "12345678",
        "1234567890",
        "password",
        "password1",
        "password12",
        "password123",
        "qwerty",
        "qwerty123",
        "qwertyuiop",
        "111111",
        "123123",
        "abc123",
        "1q2w3e4r",
        "1q2w3e4r5t",
        "1qaz2wsx",
        "letmein",
        "welcome",
        "welcome1",
        "welcome123",
        "iloveyou",
        "admin",
        "admin123",
        "administrator",
        "monkey",
        "dragon",
        "football",
        "baseball",
        "sunshine",
        "princess",
        "passw0rd",
        "p@ssw0rd",
        "p@ssword",
        "trustno1",
        "starwars",
        "superman",
        "whatever",
        "0987654321",
        "9876543210",
        "changeme",
        "changeme123",
        "caicaini",
        "caicaini123",
        "secret123",
        "login123",
        "qwerty1234",
        "asdfghjkl",
        "zxcvbnm123",
        "password!",
        "password1!",
        "passwordpassword",
    ]
)


class Passwords:
    """Argon2id hashing. "standard" uses the library's RFC 9106 low-memory profile; "fast"
    exists only so the test suite does not spend minutes hashing (production refuses it)."""

    def __init__(self, hasher: PasswordHasher) -> None:
        self.hasher = hasher
        self._dummy = hasher.hash("dummy-password-for-timing")

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        """Same work whether or not the account exists (no timing oracle for enumeration)."""
        try:
            ok = self.hasher.verify(password_hash or self._dummy, password)
        except (VerificationError, InvalidHashError):
            return False
        return ok and password_hash is not None

    def needs_rehash(self, password_hash: str) -> bool:
        return self.hasher.check_needs_rehash(password_hash)


_PROFILES = {
    "standard": lambda: PasswordHasher(),
    "fast": lambda: PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1),
}
_passwords: dict[str, Passwords] = {}


def passwords(profile: str = "standard") -> Passwords:
    if profile not in _passwords:
        _passwords[profile] = Passwords(_PROFILES[profile]())
    return _passwords[profile]


def normalise_email(raw: str, *, allow_local_domains: bool = False) -> str:
    """Validate syntax (no DNS lookups) and return the address in lower case.

    ``allow_local_domains`` admits reserved names like ``caicaini.local`` for development
    and the demo accounts; production refuses them."""
    value = (raw or "").strip()
    domain = value.rpartition("@")[2].lower()
    probe = value
    if allow_local_domains and domain.endswith((".local", ".test", ".localhost")):
        probe = value.rpartition("@")[0] + "@example.com"
    try:
        result = validate_email(probe, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidEmail(f"That e-mail address is not valid: {exc}", field="email") from exc
    if probe is not value:
        return f"{result.local_part}@{domain}".lower()
    return result.normalized.lower()


def check_password_strength(password: str, email: str | None = None) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(
            f"Choose a password of at least {MIN_PASSWORD_LENGTH} characters.", field="password"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(
            f"Passwords can be at most {MAX_PASSWORD_LENGTH} characters.", field="password"
        )
    classes = {_char_class(c) for c in password}
    if len(classes) < 2:
        raise WeakPassword(
            "Mix at least two kinds of characters (letters, digits, symbols, capitals).",
            field="password",
        )
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or len(set(lowered)) < 4:
        raise WeakPassword("That password is too common or too easy to guess.", field="password")
    local = (email or "").partition("@")[0].lower()
    if len(local) >= 3 and local in lowered:
        raise WeakPassword("Your password must not contain your e-mail address.", field="password")


def check_minimum_length(password: str) -> None:
    """The lighter rule for accounts an operator creates by hand (CLI)."""
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise WeakPassword(
            f"Passwords need {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters.",
            field="password",
        )


def _char_class(char: str) -> str:
    if char.islower():
        return "lower"
    if char.isupper():
        return "upper"
    if char.isdigit():
        return "digit"
    return "other"


def check_date_of_birth(date_of_birth: date, today: date) -> None:
    if date_of_birth > today:
        raise InvalidInput("The date of birth is in the future.", field="date_of_birth")
    age = age_on(date_of_birth, today)
    if age > 130:
        raise InvalidInput("Please check the date of birth.", field="date_of_birth")
    if age < MINIMUM_AGE:
        raise TooYoung(
            f"You must be at least {MINIMUM_AGE} years old to create a Caicaini account.",
            field="date_of_birth",
        )


def normalise_country(code: str) -> str:
    value = (code or "").strip().upper()
    if len(value) != 2 or not is_country(value):
        raise InvalidInput(
            "Choose your country (a two-letter ISO 3166 code such as US or DE).", field="country"
        )
    return value
