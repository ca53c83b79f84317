"""`wms user unlock | set-pin | deactivate`: what a supervisor does on the desk's Users page,
from the command line (registered on the `wms user` group in wms/cli.py)."""
from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select


def _find(username: str):
    from wms.db import db
    from wms.domain.users.models import User

    user = db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise click.ClickException(f"There is no user {username}.")
    return user


@click.command("unlock")
@click.argument("username")
@with_appcontext
def user_unlock(username: str) -> None:
    """Clear the wrong-try lock of a user's name and badge."""
    from wms.db import db
    from wms.domain.users import services as users

    user = _find(username)
    was = users.unlock(user)
    db.session.commit()
    click.echo(f"{username} unlocked." if was else f"{username} was not locked.")


@click.command("set-pin")
@click.argument("username")
@click.option("--pin", help="The new PIN (asked for when omitted): 4 to 8 digits, 6 for administrators.")
@with_appcontext
def user_set_pin(username: str, pin: str | None) -> None:
    """Set a user's scanner PIN; ends their sessions and unlocks the badge."""
    from wms.db import db
    from wms.domain.users import services as users
    from wms.errors import DomainError

    user = _find(username)
    if pin is None:
        pin = click.prompt("New PIN", hide_input=True, confirmation_prompt=True)
    try:
        users.set_pin(user, pin)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(f"New PIN set for {username}; their sessions ended.")


@click.command("deactivate")
@click.argument("username")
@with_appcontext
def user_deactivate(username: str) -> None:
    """Disable a user: sessions end at once and API tokens are revoked."""
    from wms.db import db
    from wms.domain.users import services as users

    user = _find(username)
    users.deactivate(user)
    db.session.commit()
    click.echo(f"{username} deactivated: signed out everywhere, API tokens revoked.")


USER_COMMANDS = (user_unlock, user_set_pin, user_deactivate)
