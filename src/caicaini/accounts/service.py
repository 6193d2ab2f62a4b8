"""Account rules: sign-up, e-mail verification, login, password and e-mail changes.

Invariants:
- one e-mail address, one account (unique, lower-cased after validation);
- nobody under 13 registers; the date of birth and country are kept so payments can ask
  ``has_majority`` before a paid subscription;
- passwords are stored only as argon2id hashes; e-mailed links are single-use, expiring and
  stored only as SHA-256 (the outbox holds a placeholder: ``caicaini.mail.links``); a new
  password retires pending reset links; at most ``link_mails_per_hour`` link mails go to one
  address or for one account in an hour (a reset request past it is dropped silently);
- login failures never say whether the address exists; non-active accounts are told why,
  but only after the right password was given;
- every action is audited; e-mail addresses and IPs go only in the audit's personal fields.

Services never commit: the caller's transaction covers the account row, its audit entries
and its outbox mails together. ``login`` returns failures instead of raising them so the
caller can commit the failure count before reporting it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.accounts import policy, tokens
from caicaini.accounts.errors import EmailOfClosedAccount, EmailTaken, InvalidCredentials
from caicaini.accounts.majority import age_of_majority, age_on
from caicaini.accounts.repository import AccountRepository
from caicaini.accounts.sessions import SessionService, StartedSession, unavailable
from caicaini.accounts.tokens import TokenIssuer
from caicaini.audit.service import Actor, AuditService
from caicaini.config import Settings
from caicaini.errors import DomainError, InvalidInput, NotFound, RateLimited
from caicaini.kit.clock import Clock
from caicaini.kit.ids import new_id
from caicaini.logs import get_logger
from caicaini.mail.repository import OutboxRepository
from caicaini.mail.service import MailService
from caicaini.models.accounts import Account
from caicaini.notices.terms import TermsService
from caicaini.trust.service import TrustService

log = get_logger(__name__)

LINK_TEMPLATES = ("verify_email", "password_reset", "email_change")
LINK_MAIL_WINDOW = timedelta(hours=1)


def _fingerprint(value: str | None) -> str | None:
    """A device fingerprint is a signal, not input to refuse: one that is not printable
    ASCII (NUL included, which PostgreSQL refuses in text) is dropped."""
    if value and value.isascii() and value.isprintable():
        return value
    return None


def _minutes(seconds: int) -> str:
    minutes = -(-seconds // 60)
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


@dataclass(frozen=True)
class SignUp:
    email: str
    password: str
    date_of_birth: date
    country: str
    device_fingerprint: str | None = None


@dataclass
class LoginAttempt:
    """What a login produced: a session, or the error to report after committing."""

    account: Account | None = None
    started: StartedSession | None = None
    error: DomainError | None = None

    def raise_for_error(self) -> StartedSession:
        if self.error is not None:
            raise self.error
        assert self.started is not None
        return self.started


def has_majority_at(account: Account, at: datetime) -> bool:
    return age_on(account.date_of_birth, at.date()) >= age_of_majority(account.country)


class AccountService:
    def __init__(self, session: AsyncSession, clock: Clock, settings: Settings) -> None:
        self.session = session
        self.clock = clock
        self.settings = settings
        self.repo = AccountRepository(session)
        self.passwords = policy.passwords(settings.password_hash_profile)
        self.audit = AuditService(session, clock)
        self.mail = MailService(session, clock, settings.public_url)
        self.trust = TrustService(session, clock)
        self.tokens = TokenIssuer(self.repo, clock, settings.secret_key)
        self.sessions = SessionService(self.repo, clock, settings)

    # look-ups
    async def get(self, account_id: str) -> Account:
        account = await self.repo.get(account_id)
        if account is None:
            raise NotFound("No such account.")
        return account

    async def by_email(self, email: str) -> Account | None:
        return await self.repo.by_email(self.normalise_email(email))

    def normalise_email(self, raw: str) -> str:
        return policy.normalise_email(raw, allow_local_domains=self.settings.env != "production")

    def has_majority(self, account: Account, at: datetime | None = None) -> bool:
        """Old enough in the account's country to enter a paid subscription."""
        return has_majority_at(account, at or self.clock.now())

    # sign-up and verification
    async def sign_up(self, form: SignUp, *, ip: str | None) -> Account:
        email = self.normalise_email(form.email)
        policy.check_password_strength(form.password, email)
        policy.check_date_of_birth(form.date_of_birth, self.clock.now().date())
        country = policy.normalise_country(form.country)
        existing = await self.repo.by_email(email)
        if existing is not None and existing.status == "closed":
            closed = existing.closed_at.strftime("%d %B %Y") if existing.closed_at else "earlier"
            raise EmailOfClosedAccount(
                f"The account with this e-mail address was closed ({closed}) and cannot be "
                "reopened. Sign up with another address, or contact support.",
                details={"field": "email"},
            )
        if existing is not None:
            raise EmailTaken(
                "An account with this e-mail address already exists. Log in or reset your "
                "password instead.",
                details={"field": "email"},
            )
        fingerprint = _fingerprint(form.device_fingerprint)
        await self.trust.check_new_account_allowed(ip, fingerprint)
        account = await self.create(
            email=email,
            password=form.password,
            date_of_birth=form.date_of_birth,
            country=country,
        )
        await self.trust.record(account.id, ip=ip, fingerprint=fingerprint, event="signup")
        terms = TermsService(self.session, self.clock, self.settings.public_url)
        # Creating an account is accepting the Terms in effect (their first paragraph).
        accepted = await terms.accept(account.id) if await terms.current() else None
        await self._audit_own(
            "account.signed_up",
            account.id,
            ip,
            details={"country": country, "terms_version": accepted and accepted.version},
            personal={"email": email},
        )
        await self.send_verification(account)
        return account

    async def create(
        self,
        *,
        email: str,
        password: str,
        date_of_birth: date,
        country: str,
        verified: bool = False,
        is_operator: bool = False,
    ) -> Account:
        """Insert the row (callers have validated the inputs)."""
        now = self.clock.now()
        return await self.repo.add(
            Account(
                id=new_id("acct"),
                email=email,
                password_hash=self.passwords.hash(password),
                date_of_birth=date_of_birth,
                country=country,
                status="active",
                is_operator=is_operator,
                email_verified_at=now if verified else None,
                session_version=1,
                created_at=now,
            )
        )

    async def send_verification(self, account: Account) -> None:
        wait = await self._link_mail_wait(account.email, account.id)
        if wait is not None:
            raise RateLimited(
                "A verification e-mail was sent several times lately. Use the newest one, "
                f"or ask again in {_minutes(wait)}.",
                retry_after=wait,
            )
        ttl = self.settings.verification_ttl_seconds
        raw = await self.tokens.issue(account.id, tokens.VERIFY_EMAIL, ttl)
        await self.mail.send(
            account.email,
            "verify_email",
            {"link": f"{self.mail.public_url}/verify-email?token={raw}", "hours": ttl // 3600},
            account_id=account.id,
        )

    async def verify_email(self, raw_token: str, *, ip: str | None) -> Account:
        token = await self.tokens.consume(raw_token, tokens.VERIFY_EMAIL)
        account = await self.get(token.account_id)
        if account.email_verified_at is None:
            account.email_verified_at = self.clock.now()
            await self._audit_own(
                "account.email_verified",
                account.id,
                ip,
                personal={"email": account.email},
            )
        return account

    # login
    async def login(
        self, email: str, password: str, *, ip: str | None, device_fingerprint: str | None = None
    ) -> LoginAttempt:
        try:
            address = self.normalise_email(email)
        except InvalidInput:
            return LoginAttempt(error=InvalidCredentials("The e-mail or password is wrong."))
        try:
            await self.sessions.check_throttle(ip, address)
        except DomainError as exc:
            return LoginAttempt(error=exc)
        account = await self.repo.by_email(address)
        if not self.passwords.verify(account.password_hash if account else None, password):
            await self.sessions.record_failure(ip, address)
            await self._audit_own(
                "account.login_failed",
                account.id if account else None,
                ip,
                details={"known_account": account is not None},
                personal={"email": address},
            )
            return LoginAttempt(error=InvalidCredentials("The e-mail or password is wrong."))
        assert account is not None
        if account.status != "active":
            return LoginAttempt(account=account, error=unavailable(account))
        if self.passwords.needs_rehash(account.password_hash):
            account.password_hash = self.passwords.hash(password)
        await self.sessions.clear_failures(address)
        started = await self.sessions.start(account)
        await self.trust.record(
            account.id, ip=ip, fingerprint=_fingerprint(device_fingerprint), event="login"
        )
        await self._audit_own(
            "account.login",
            account.id,
            ip,
        )
        return LoginAttempt(account=account, started=started)

    async def logout(self, session_token: str | None) -> None:
        await self.sessions.end(session_token)

    # password
    async def change_password(
        self,
        account: Account,
        *,
        current: str,
        new: str,
        keep_session_id: str | None,
        ip: str | None,
    ) -> None:
        if not self.passwords.verify(account.password_hash, current):
            raise InvalidCredentials("The current password is not correct.", details={})
        policy.check_password_strength(new, account.email)
        if self.passwords.verify(account.password_hash, new):
            raise InvalidInput(
                "The new password must differ from the current one.", field="new_password"
            )
        await self._set_password(account, new, keep_session_id=keep_session_id)
        await self._audit_own(
            "account.password_changed",
            account.id,
            ip,
            details={"via": "settings"},
        )

    async def request_password_reset(self, email: str, *, ip: str | None) -> None:
        """Sends a link when the address has an account; says nothing either way."""
        try:
            account = await self.by_email(email)
        except InvalidInput:
            return
        if account is None or account.status in ("closed", "banned"):
            return
        if await self._link_mail_wait(account.email, account.id) is not None:
            log.info("mail.throttled", template="password_reset", account_id=account.id)
            return  # said nothing either way: the answer must not tell the address exists
        ttl = self.settings.password_reset_ttl_seconds
        raw = await self.tokens.issue(account.id, tokens.PASSWORD_RESET, ttl)
        await self.mail.send(
            account.email,
            "password_reset",
            {"link": f"{self.mail.public_url}/reset-password?token={raw}", "minutes": ttl // 60},
            account_id=account.id,
        )

    async def reset_password(self, raw_token: str, new: str, *, ip: str | None) -> Account:
        token = await self.tokens.consume(raw_token, tokens.PASSWORD_RESET)
        account = await self.get(token.account_id)
        policy.check_password_strength(new, account.email)
        await self._set_password(account, new, keep_session_id=None)
        if account.email_verified_at is None:
            account.email_verified_at = self.clock.now()  # the link proved the address
        await self._audit_own(
            "account.password_changed",
            account.id,
            ip,
            details={"via": "reset"},
        )
        return account

    async def _set_password(
        self, account: Account, new: str, *, keep_session_id: str | None
    ) -> None:
        account.password_hash = self.passwords.hash(new)
        account.session_version += 1
        await self.tokens.retire(account.id, tokens.PASSWORD_RESET)
        await self.repo.delete_sessions(account.id, keep=keep_session_id)
        if keep_session_id is not None:
            kept = await self.repo.get_session(keep_session_id)
            if kept is not None:
                kept.session_version = account.session_version

    # e-mail change
    async def request_email_change(
        self, account: Account, *, new_email: str, password: str, ip: str | None
    ) -> None:
        if not self.passwords.verify(account.password_hash, password):
            raise InvalidCredentials("The current password is not correct.")
        address = self.normalise_email(new_email)
        if address == account.email:
            raise InvalidInput("That is already your e-mail address.", field="email")
        if await self.repo.email_exists(address):
            raise EmailTaken("Another account already uses this e-mail address.")
        wait = await self._link_mail_wait(address, account.id)
        if wait is not None:
            raise RateLimited(
                f"Confirmation e-mails were sent several times lately. Ask again in "
                f"{_minutes(wait)}.",
                retry_after=wait,
            )
        ttl = self.settings.verification_ttl_seconds
        raw = await self.tokens.issue(account.id, tokens.EMAIL_CHANGE, ttl, new_email=address)
        await self.mail.send(
            address,
            "email_change",
            {"link": f"{self.mail.public_url}/confirm-email?token={raw}", "hours": ttl // 3600},
            account_id=account.id,
        )

    async def confirm_email_change(self, raw_token: str, *, ip: str | None) -> Account:
        token = await self.tokens.consume(raw_token, tokens.EMAIL_CHANGE)
        account = await self.get(token.account_id)
        new_email = token.new_email or ""
        if await self.repo.email_exists(new_email):
            raise EmailTaken("Another account already uses this e-mail address.")
        old_email = account.email
        account.email = new_email
        account.email_verified_at = self.clock.now()
        await self._audit_own(
            "account.email_changed",
            account.id,
            ip,
            personal={"old_email": old_email, "new_email": new_email},
        )
        await self.mail.send(
            old_email,
            "notice",
            {
                "subject": "Your Caicaini e-mail address was changed",
                "body": f"The e-mail address of your account is now {new_email}. If you did not "
                "make this change, reply to this message at once.",
            },
            account_id=account.id,
        )
        return account

    async def _link_mail_wait(self, address: str, account_id: str) -> int | None:
        """Seconds until another link mail may go to ``address`` or for ``account_id``
        (``link_mails_per_hour`` of them in any hour), or None when one may go now."""
        now = self.clock.now()
        sent = await OutboxRepository(self.session).sent_lately(
            LINK_TEMPLATES, now - LINK_MAIL_WINDOW, to_address=address, account_id=account_id
        )
        if len(sent) < self.settings.link_mails_per_hour:
            return None
        return max(1, math.ceil((min(sent) + LINK_MAIL_WINDOW - now).total_seconds()))

    async def _audit_own(
        self,
        action: str,
        account_id: str | None,
        ip: str | None,
        *,
        details: dict[str, Any] | None = None,
        personal: dict[str, Any] | None = None,
    ) -> None:
        """Audit an action a person took on their own account."""
        await self.audit.record(
            action,
            actor=Actor("user", account_id, ip),
            target_type="account",
            target_id=account_id,
            subject_account_id=account_id,
            details=details,
            personal=personal,
        )
