"""Users, roles and API tokens."""
from __future__ import annotations

import enum
import hashlib
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, update
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from wms.db import UTCDateTime, created_at_column, db, enum_column
from wms.i18n import N_, _, _l


class Role(enum.Enum):
    OPERATOR = 1
    SUPERVISOR = 2
    ADMIN = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @property
    def title(self) -> str:
        """The role's name in the reader's language, for sentences (`label` stays a code)."""
        names = {"operator": N_("operator"), "supervisor": N_("supervisor"), "admin": N_("admin")}
        return _(names[self.label])

    def at_least(self, other: "Role") -> bool:
        return self.value >= other.value


class User(UserMixin, db.Model):
    __tablename__ = "user_account"
    # werkzeug's default (scrypt); the test suite swaps in a cheap method for speed.
    HASH_METHOD = "scrypt"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[Role] = enum_column(Role, default=Role.OPERATOR)
    password_hash: Mapped[str | None] = mapped_column(String(256))
    # The badge barcode on the operator's card, scanned at the handheld login.
    badge_code: Mapped[str | None] = mapped_column(String(64), unique=True)
    pin_hash: Mapped[str | None] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(default=True)
    # The language the screens speak to this user ("en", "fr"); None: the browser's choice,
    # then WMS_DEFAULT_LANGUAGE. The handheld asks at the first sign-in.
    language: Mapped[str | None] = mapped_column(String(8))
    # Bumped when the password or PIN changes, so old sessions end.
    session_version: Mapped[int] = mapped_column(default=1)
    # Superseded by SignInAttempt (counted per submitted name or badge and per client address,
    # so unknown names behave like known ones); kept until a later migration drops them.
    failed_sign_ins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = created_at_column()

    # How this user object was signed in on this request ("password" or "badge"); set by
    # the sign-in views and the session loader, never stored in the database.
    auth_method: str = "password"

    def set_password(self, password: str) -> None:
        """Set the desk password; ends every session and revokes every API token of the user."""
        self.password_hash = generate_password_hash(password, method=self.HASH_METHOD)
        self.end_sessions()
        self.revoke_tokens()

    def end_sessions(self) -> None:
        """Sign the user out everywhere: session and remember-me cookies carry the version."""
        self.session_version = (self.session_version or 0) + 1

    def revoke_tokens(self) -> None:
        """Revoke every API token of this user (password change, deactivation)."""
        if self.id is not None:
            db.session.execute(update(ApiToken).where(ApiToken.user_id == self.id,
                                                      ApiToken.revoked.is_(False))
                               .values(revoked=True))

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def set_pin(self, pin: str) -> None:
        self.pin_hash = generate_password_hash(pin, method=self.HASH_METHOD)
        self.end_sessions()

    def check_pin(self, pin: str) -> bool:
        return bool(self.pin_hash) and check_password_hash(self.pin_hash, pin)

    def has_role(self, role: Role) -> bool:
        return self.active and self.role.at_least(role)

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str:
        # Flask-Login keeps this in the session and the remember-me cookie: the version ends
        # old sessions after a sign-out or a reset, the method keeps a badge session on the
        # handheld (the desk asks for the password).
        return f"{self.id}:{self.session_version}:{self.auth_method}"

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role.label}>"


SCOPES = ("read", "stock", "orders", "receipts", "admin")
SCOPE_LABELS = {"read": _l("read everything"), "stock": _l("stock moves and counts"),
                "orders": _l("order actions"), "receipts": _l("receipts"),
                "admin": _l("everything, tokens too")}


def normalise_scopes(scopes) -> str:
    """Scopes as stored: known names, space-separated, in a fixed order. Unknown names refuse."""
    if isinstance(scopes, str):
        scopes = scopes.replace(",", " ").split()
    wanted = set(scopes or ())
    unknown = wanted - set(SCOPES)
    if unknown:
        raise ValueError(_("unknown scope(s): %(unknown)s (one or more of %(scopes)s)",
                           unknown=', '.join(sorted(map(str, unknown))), scopes=', '.join(SCOPES)))
    return " ".join(s for s in SCOPES if s in wanted)


class ApiToken(db.Model):
    """A bearer token for scripts and integrations; only its SHA-256 is stored.

    It acts with its user's role, narrowed to its scopes; it ends at its expiry, when it or
    the token that minted it is revoked, and with its user (deactivation, password change).
    """

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = created_at_column()
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked: Mapped[bool] = mapped_column(default=False)
    scopes: Mapped[str] = mapped_column(String(64), default="read")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The token that minted this one through the API: revoking it revokes this one too.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("api_token.id"), index=True)

    @property
    def scope_set(self) -> set[str]:
        return set((self.scopes or "").split())

    def allows(self, scope: str) -> bool:
        return "admin" in self.scope_set or scope in self.scope_set

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()


class SignInAttempt(db.Model):
    """Wrong sign-in tries, counted per submitted user name, per badge and per client address.

    Keyed on what was typed or scanned, not on the user row: an unknown name counts, answers
    and locks exactly like a known one, so the answers tell nothing about which exist.
    """

    __tablename__ = "sign_in_attempt"

    key: Mapped[str] = mapped_column(String(140), primary_key=True)  # "user:…", "badge:…", "ip:…"
    failures: Mapped[int] = mapped_column(default=0)
    first_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
