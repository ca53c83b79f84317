"""Check sign-in secrets, locking an account for a while after repeated wrong tries."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from wms.db import db, utcnow
from wms.domain.users.models import Role, User
from wms.errors import PermissionDenied

MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)


class SignInRefused(PermissionDenied):
    """Wrong secret, unknown user, disabled or locked account. The caller commits the count."""

    status = 401
    code = "sign_in_refused"

    def __init__(self, message: str, *, user_id: int | None = None, wrong_secret: bool = False):
        super().__init__(message)
        self.user_id = user_id
        self.wrong_secret = wrong_secret


def record_failure(user: User) -> None:
    """Count a wrong secret; the fifth in a row locks the account for a while."""
    user.failed_sign_ins = (user.failed_sign_ins or 0) + 1
    if user.failed_sign_ins >= MAX_FAILURES:
        user.failed_sign_ins = 0
        user.locked_until = utcnow() + LOCK_FOR
    db.session.flush()


def record_refusal_after_rollback(exc: SignInRefused) -> None:
    """For callers whose refusal rolls the transaction back: count the wrong try again, alone."""
    if exc.wrong_secret and exc.user_id is not None:
        user = db.session.get(User, exc.user_id)
        if user is not None:
            record_failure(user)


def _check(user: User | None, ok, wrong_message: str) -> User:
    now = utcnow()
    if user is not None and user.locked_until is not None and user.locked_until > now:
        raise SignInRefused(f"Too many wrong tries: locked until {user.locked_until:%H:%M} UTC. "
                            "Ask a supervisor, or wait.")
    if user is None or not ok(user):
        if user is not None:
            record_failure(user)
        raise SignInRefused(wrong_message, user_id=user.id if user else None, wrong_secret=True)
    if not user.active:
        raise SignInRefused("This account is disabled. Ask a supervisor.")
    if user.failed_sign_ins or user.locked_until:
        user.failed_sign_ins, user.locked_until = 0, None
        db.session.flush()
    return user


def check_password(username: str, password: str) -> User:
    """Return the user for a desk sign-in, or refuse (counting the wrong try)."""
    user = db.session.execute(select(User).where(User.username == username.strip())).scalar_one_or_none()
    return _check(user, lambda u: u.check_password(password), "Wrong user name or password.")


def check_badge(badge: str, pin: str, *, role: Role = Role.OPERATOR) -> User:
    """Return the user for a badge + PIN, or refuse (counting the wrong try)."""
    code = (badge or "").strip().upper()
    user = db.session.execute(select(User).where(func.upper(User.badge_code) == code)).scalar_one_or_none() if code else None
    user = _check(user, lambda u: u.check_pin(pin or ""),
                  "Badge or PIN not recognised: scan your badge again and type your PIN.")
    if not user.has_role(role):
        raise SignInRefused(f"{user.name} is not a {role.label}.")
    return user
