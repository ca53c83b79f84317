"""Check sign-in secrets; count wrong tries per submitted name or badge and per client address.

The counters are keyed on what was typed or scanned (``user:<name>``, ``badge:<code>``) and on
the client's address (``ip:<address>``), never only on the user row: an unknown name or badge
gets the same answers ("1 try left", "locked") after the same number of tries, and costs the
same password hash, so neither the words nor the time of an answer tell whether it exists.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from wms.db import db, utcnow
from wms.domain.users.models import Role, SignInAttempt, User
from wms.errors import DomainError, PermissionDenied
from wms.i18n import _

MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)
# One client address (a script, a stolen laptop) may get this many wrong tries in LOCK_FOR,
# over every name and badge together, then it waits. A scanner fleet behind one NAT address
# shares it: 40 is far above what honest operators mistype in a quarter of an hour.
MAX_FAILURES_PER_CLIENT = 40
PIN_MIN_DIGITS = {Role.OPERATOR: 4, Role.SUPERVISOR: 4, Role.ADMIN: 6}
PIN_MAX_DIGITS = 8
PASSWORD_MIN_LENGTH = 8


class SignInRefused(PermissionDenied):
    """Wrong secret, unknown user, disabled or locked account. The caller commits the count."""

    status = 401
    code = "sign_in_refused"

    def __init__(self, message: str, *, user_id: int | None = None, wrong_secret: bool = False,
                 keys: tuple[str, ...] = (), warning: str = ""):
        super().__init__(message + warning)
        self.user_id = user_id
        self.wrong_secret = wrong_secret
        self.keys = keys  # the counters this wrong try was counted on
        self.warning = warning  # "1 try left…" or "…now locked…", appended to the message

    def reword(self, message: str) -> None:
        """Replace the sentence, keeping the countdown warning."""
        self.message = message + self.warning
        self.args = (self.message,)


# A hash to check unknown names against, so that they cost the same time as known ones.
_dummy_hashes: dict[str, str] = {}


def _dummy_hash() -> str:
    method = User.HASH_METHOD
    if method not in _dummy_hashes:
        _dummy_hashes[method] = generate_password_hash("not-a-secret", method=method)
    return _dummy_hashes[method]


def _verify(stored: str | None, secret: str) -> bool:
    """Check a secret against a stored hash, or against a dummy one when there is none."""
    ok = check_password_hash(stored or _dummy_hash(), secret or "")
    return bool(stored) and ok


def client_address() -> str | None:
    """The address of the client of the current request (after the configured proxies)."""
    from flask import has_request_context, request

    return request.remote_addr if has_request_context() else None


def _keys(kind: str, identifier: str) -> tuple[str, str | None]:
    address = client_address()
    return f"{kind}:{identifier[:120]}", (f"ip:{address[:120]}" if address else None)


def _attempts(keys) -> dict[str, SignInAttempt]:
    keys = [k for k in keys if k]
    rows = db.session.execute(select(SignInAttempt).where(SignInAttempt.key.in_(keys))).scalars()
    return {row.key: row for row in rows}


def _locked(row: SignInAttempt | None, now) -> bool:
    return row is not None and row.locked_until is not None and row.locked_until > now


def _count(key: str, limit: int, now) -> SignInAttempt:
    """Add one wrong try to a counter (created when missing); lock it at the limit."""
    row = db.session.get(SignInAttempt, key)
    if row is None:
        row = SignInAttempt(key=key, failures=0)
        try:
            with db.session.begin_nested():
                db.session.add(row)
        except IntegrityError:  # another request created it at the same moment
            row = db.session.get(SignInAttempt, key)
    if row.first_failure_at is None or row.first_failure_at <= now - LOCK_FOR or (
            row.locked_until is not None and row.locked_until <= now):
        # A fresh window: tries older than the lock time, or before a lock that has passed.
        row.failures, row.first_failure_at, row.locked_until = 0, now, None
    row.failures += 1
    if row.failures >= limit:
        row.locked_until = now + LOCK_FOR
    db.session.flush()
    return row


def count_failure(keys) -> SignInAttempt | None:
    """Count a wrong try on the account counter (first key) and the client's; return the former."""
    now = utcnow()
    account = None
    for key in keys:
        if key is None:
            continue
        row = _count(key, MAX_FAILURES_PER_CLIENT if key.startswith("ip:") else MAX_FAILURES, now)
        account = account or row
    return account


def forget_old_attempts() -> int:
    """Delete counters whose window and lock have both passed (flush only); return how many.
    They would start afresh anyway: this only keeps unknown names from piling up."""
    now = utcnow()
    result = db.session.execute(delete(SignInAttempt).where(
        SignInAttempt.first_failure_at <= now - LOCK_FOR,
        or_(SignInAttempt.locked_until.is_(None), SignInAttempt.locked_until <= now)))
    return result.rowcount or 0


def record_refusal_after_rollback(exc: SignInRefused) -> None:
    """For callers whose refusal rolls the transaction back: count the wrong try again, alone."""
    if exc.wrong_secret and exc.keys:
        count_failure(exc.keys)


def _check(kind: str, identifier: str, find, secret_of, secret: str, wrong_message: str,
           noun: str) -> User:
    now = utcnow()
    account_key, client_key = _keys(kind, identifier)
    attempts = _attempts((account_key, client_key))
    if _locked(attempts.get(client_key), now):
        raise SignInRefused(_("Too many wrong sign-ins from this device: wait until "
                              "%(locked_until)s UTC, or ask a supervisor.",
                              locked_until=format(attempts[client_key].locked_until, '%H:%M')))
    if _locked(attempts.get(account_key), now):
        until = format(attempts[account_key].locked_until, '%H:%M')
        raise SignInRefused(_("Too many wrong tries: this badge is locked until %(until)s UTC. Ask "
                              "a supervisor to unlock it (desk, Users), or wait.", until=until)
                            if noun == "badge" else
                            _("Too many wrong tries: this account is locked until %(until)s UTC. "
                              "Ask a supervisor to unlock it (desk, Users), or wait.", until=until))
    user = find() if identifier else None
    if not _verify(secret_of(user) if user is not None else None, secret):
        row = count_failure((account_key, client_key))
        warning = ""
        if row.locked_until is not None:
            minutes = int(LOCK_FOR.total_seconds() // 60)
            warning = " " + (_("Too many wrong tries: this badge is now locked for %(minutes)s "
                               "minutes. Ask a supervisor to unlock it.", minutes=minutes)
                             if noun == "badge" else
                             _("Too many wrong tries: this account is now locked for %(minutes)s "
                               "minutes. Ask a supervisor to unlock it.", minutes=minutes))
        elif row.failures == MAX_FAILURES - 1:
            warning = " " + (_("1 try left before this badge locks.") if noun == "badge"
                             else _("1 try left before this account locks."))
        raise SignInRefused(wrong_message, user_id=user.id if user else None, wrong_secret=True,
                            keys=(account_key, client_key), warning=warning)
    if not user.active:
        raise SignInRefused(_("This account is disabled. Ask a supervisor."))
    if attempts.get(account_key) is not None:
        db.session.delete(attempts[account_key])
        db.session.flush()
    return user


def check_password(username: str, password: str) -> User:
    """Return the user for a desk sign-in, or refuse (counting the wrong try)."""
    name = (username or "").strip()
    return _check("user", name.lower(),
                  lambda: db.session.execute(select(User).where(User.username == name)).scalar_one_or_none(),
                  lambda u: u.password_hash, password, _("Wrong user name or password."), "account")


def check_badge(badge: str, pin: str, *, role: Role = Role.OPERATOR) -> User:
    """Return the user for a badge + PIN, or refuse (counting the wrong try)."""
    code = (badge or "").strip().upper()
    user = _check("badge", code,
                  lambda: db.session.execute(select(User).where(func.upper(User.badge_code) == code)).scalar_one_or_none(),
                  lambda u: u.pin_hash, pin or "",
                  _("Badge or PIN not recognised: scan your badge again and type your PIN."),
                  "badge")
    if len(pin or "") < PIN_MIN_DIGITS[user.role]:
        raise SignInRefused(_("The PIN of a %(role)s has at least %(pin_min_digits)s digits: ask "
                              "an administrator to set a new one (wms user set-pin).",
                              role=user.role.title, pin_min_digits=PIN_MIN_DIGITS[user.role]))
    if not user.has_role(role):
        raise SignInRefused(_("%(name)s is not a %(role)s.", name=user.name, role=role.title))
    return user


# ---------------------------------------------------------------- managing users

def check_pin_rules(pin: str, role: Role) -> None:
    """Refuse a PIN that is not all digits or too short for the role (admins: 6 digits)."""
    low = PIN_MIN_DIGITS[role]
    if not (pin.isascii() and pin.isdecimal() and low <= len(pin) <= PIN_MAX_DIGITS):
        raise DomainError(_("The PIN of a %(role)s is %(low)s to %(pin_max_digits)s digits.",
                            role=role.title, low=low, pin_max_digits=PIN_MAX_DIGITS), code="invalid")


def check_password_rules(password: str) -> None:
    if len(password or "") < PASSWORD_MIN_LENGTH:
        raise DomainError(_("The password must have at least %(password_min_length)s characters.",
                            password_min_length=PASSWORD_MIN_LENGTH), code="invalid")


def attempt_keys(user: User) -> list[str]:
    keys = [f"user:{user.username.lower()[:120]}"]
    if user.badge_code:
        keys.append(f"badge:{user.badge_code.upper()[:120]}")
    return keys


def locked_keys() -> dict[str, SignInAttempt]:
    """The counters locked right now (names, badges, addresses), by key."""
    rows = db.session.execute(select(SignInAttempt).where(SignInAttempt.locked_until > utcnow())).scalars()
    return {row.key: row for row in rows}


def locked_accounts() -> list[tuple[str, SignInAttempt, User | None]]:
    """What is locked now, for the desk: (label, counter, the user it belongs to or None)."""
    locked = locked_keys()
    if not locked:
        return []
    users = db.session.execute(select(User)).scalars().all()
    owner = {k: u for u in users for k in attempt_keys(u)}
    out = []
    for key, row in sorted(locked.items()):
        kind, _, ident = key.partition(":")
        label = {"user": "user name", "badge": "badge", "ip": "address"}.get(kind, kind)
        if kind == "badge":
            ident = mask_badge(ident)
        out.append((f"{label} {ident}", row, owner.get(key)))
    return out


def is_locked(user: User, locked: dict | None = None) -> bool:
    locked = locked_keys() if locked is None else locked
    return any(k in locked for k in attempt_keys(user))


def unlock(user: User) -> bool:
    """Clear the wrong-try counters of a user's name and badge; True when one was locked."""
    keys = attempt_keys(user)
    was = is_locked(user)
    db.session.execute(delete(SignInAttempt).where(SignInAttempt.key.in_(keys)))
    return was


def unlock_key(key: str) -> None:
    db.session.execute(delete(SignInAttempt).where(SignInAttempt.key == key[:140]))


def set_pin(user: User, pin: str) -> None:
    pin = (pin or "").strip()
    check_pin_rules(pin, user.role)
    user.set_pin(pin)
    unlock(user)


def set_password(user: User, password: str) -> None:
    check_password_rules(password)
    user.set_password(password)


def deactivate(user: User) -> None:
    """Disable the account: its sessions end and its API tokens are revoked."""
    user.active = False
    user.end_sessions()
    user.revoke_tokens()


def sign_out_everywhere(user: User) -> None:
    user.end_sessions()


def mask_badge(code: str | None) -> str:
    """A badge code as the desk shows it: enough to tell cards apart, not to print a copy."""
    if not code:
        return "—"
    return "•" * max(len(code) - 2, 2) + code[-2:]


def create_user(username: str, name: str, role: Role, password: str | None, badge: str | None,
                pin: str | None) -> User:
    """Create a user after checking every field; raise DomainError with a sentence otherwise."""
    username = (username or "").strip()
    if not username or len(username) > 64 or any(c.isspace() or ord(c) < 32 for c in username):
        raise DomainError(_("The user name is 1 to 64 characters without spaces."), code="invalid")
    if db.session.execute(select(User).where(User.username == username)).scalar_one_or_none():
        raise DomainError(_("User %(username)s already exists.", username=username), code="invalid")
    name = (name or "").strip() or username
    if len(name) > 120:
        raise DomainError(_("The name is at most 120 characters."), code="invalid")
    badge = (badge or "").strip().upper() or None
    if badge:
        if not badge.startswith("BADGE-") or len(badge) > 64 or not badge.isascii() or not badge.isprintable():
            raise DomainError(_("A badge code starts with BADGE- (e.g. BADGE-0042)."), code="invalid")
        if db.session.execute(select(User).where(or_(func.upper(User.badge_code) == badge))).scalar_one_or_none():
            raise DomainError(_("Badge %(badge)s belongs to someone else.", badge=mask_badge(badge)), code="invalid")
    if password is not None:
        check_password_rules(password)
    if pin:
        check_pin_rules(pin, role)
    user = User(username=username, name=name, role=role, badge_code=badge)
    if password is not None:
        user.set_password(password)
    if pin:
        user.set_pin(pin)
    db.session.add(user)
    db.session.flush()
    return user
