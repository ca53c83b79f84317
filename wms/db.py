"""The SQLAlchemy database object, the declarative base and small column helpers."""
from __future__ import annotations

import enum
from datetime import UTC, datetime

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, Enum, MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# Stable constraint names so Alembic migrations are the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)


MAX_ID = 2**31 - 1  # the largest INTEGER both databases hold


def as_id(value) -> int | None:
    """A row id typed, scanned or sent by a client: ASCII digits within INTEGER, else None.
    ("١٢" or 2**63 would otherwise reach the database and fail there with a 500.)"""
    text = str(value).strip() if value is not None else ""
    if text.isascii() and text.isdecimal() and len(text) <= 10 and int(text) <= MAX_ID:
        return int(text)
    return None


def text_problem(column, value: str, *, multiline: bool = False) -> str | None:
    """What is wrong with a text from outside for a model's column (e.g. Product.name): longer
    than the column holds (PostgreSQL would refuse it), control characters (NUL…), or
    invisible format characters (zero-width spaces). None when it is fine."""
    import unicodedata

    from wms.i18n import _

    length = getattr(column.property.columns[0].type, "length", None)
    if length is not None and len(value) > length:
        return _("is %(length)s characters long; at most %(max)s", length=len(value), max=length)
    for ch in value:
        if multiline and ch in "\n\r\t":
            continue
        category = unicodedata.category(ch)
        if category == "Cc":
            return _("holds a control character (NUL, tab, line break…)")
        if category == "Cf":
            return _("holds an invisible character (zero-width space…)")
    return None


def execute(statement, params=None):
    """Run a statement built once on the session's connection, inside its transaction.

    The scans' fast paths read and change their rows with statements of their own (one read
    that locks, UPDATEs that check as they change). Through Session.execute each would also
    pass the ORM's execution layer (autoflush, ORM result handling): for the one read of a
    scan, half its Python cost. The rows come back as Session.execute gives them for such a
    statement, with the same types. Nothing is flushed first: use it where no ORM change is
    pending that the statement must see (a fast path makes none).
    """
    return db.session.connection().execute(statement, params)


def utcnow() -> datetime:
    """Return the current time in UTC (aware)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always returned timezone-aware, on SQLite too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def enum_column(enum_cls: type[enum.Enum], **kw) -> Mapped:
    """A column holding an enum by name, as a plain string (no native ENUM type to migrate)."""
    return mapped_column(
        Enum(enum_cls, native_enum=False, length=24, validate_strings=True,
             create_constraint=False),
        **kw,
    )


def created_at_column(**kw) -> Mapped[datetime]:
    return mapped_column(UTCDateTime(), default=utcnow, nullable=False, **kw)
