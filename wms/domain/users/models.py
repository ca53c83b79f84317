"""Users, roles and API tokens."""
from __future__ import annotations

import enum
import hashlib
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from wms.db import UTCDateTime, created_at_column, db, enum_column


class Role(enum.Enum):
    OPERATOR = 1
    SUPERVISOR = 2
    ADMIN = 3

    @property
    def label(self) -> str:
        return self.name.lower()

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
    # Bumped when the password or PIN changes, so old sessions end.
    session_version: Mapped[int] = mapped_column(default=1)
    # A 4-digit PIN is guessable: after a few wrong tries the badge is locked for a while.
    failed_sign_ins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = created_at_column()

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=self.HASH_METHOD)
        self.session_version = (self.session_version or 0) + 1

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def set_pin(self, pin: str) -> None:
        self.pin_hash = generate_password_hash(pin, method=self.HASH_METHOD)
        self.session_version = (self.session_version or 0) + 1

    def check_pin(self, pin: str) -> bool:
        return bool(self.pin_hash) and check_password_hash(self.pin_hash, pin)

    def has_role(self, role: Role) -> bool:
        return self.active and self.role.at_least(role)

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str:  # Flask-Login: the version ends old sessions after a reset
        return f"{self.id}:{self.session_version}"

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role.label}>"


class ApiToken(db.Model):
    """A bearer token for scripts and integrations; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = created_at_column()
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked: Mapped[bool] = mapped_column(default=False)

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()
