"""Issue 13 item 2: every request loads its user with one plain SELECT of its row
(wms/web/auth/loader.py, _load), and the user it makes is the session's, as a query's would be."""
from sqlalchemy import event, inspect

from wms.db import db
from wms.domain.users.models import Role, User
from wms.web.auth.loader import _load


def _statements(engine, work):
    seen = []
    # SQLite's BEGIN IMMEDIATE (wms/db_setup.py) opens every transaction: not one of the user's.
    listener = lambda *a: a[2].startswith("BEGIN") or seen.append(a[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        result = work()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return result, seen


def test_a_user_read_by_its_row_is_the_sessions_with_every_column(app, make_user):
    made = make_user("supervisor", badge="BADGE-LOAD-1")
    made.language = "fr"
    db.session.commit()
    uid = made.id
    expected = {c.key: getattr(made, c.key) for c in User.__mapper__.column_attrs}
    db.session.remove()  # a request's fresh session, as under the server

    user, statements = _statements(db.engine, lambda: _load(uid))
    assert len(statements) == 1 and statements[0].lstrip().upper().startswith("SELECT")
    assert {c.key: getattr(user, c.key) for c in User.__mapper__.column_attrs} == expected
    assert user.role is Role.SUPERVISOR and user.check_pin("1234")
    state = inspect(user)
    assert state.persistent and user in db.session and not db.session.dirty
    # As the ORM's own load: the session knows it, and a second lookup is the same object.
    assert db.session.get(User, uid) is user

    # A change made to it is saved (an UPDATE of what changed), as for a query's object.
    user.language = "en"
    _, statements = _statements(db.engine, db.session.commit)
    assert [s.split()[0].upper() for s in statements] == ["UPDATE"]
    db.session.remove()
    assert db.session.get(User, uid).language == "en"


def test_an_unknown_user_is_no_one(app, make_user):
    make_user()
    db.session.commit()
    db.session.remove()
    assert _load(2**31 - 1) is None


def test_a_user_the_session_holds_is_taken_from_it(app, make_user):
    # A test keeping one app context across requests: the session's own object, not a copy.
    user = make_user()
    db.session.commit()
    assert _load(user.id) is user


def test_a_signed_in_session_ends_at_sign_out_everywhere_in_a_fresh_session(client, make_user):
    user = make_user("operator", badge="BADGE-LOAD-2", pin="2468")
    user.language = "en"
    db.session.commit()
    assert client.post("/handheld/login", data={"badge": "BADGE-LOAD-2", "pin": "2468"}).status_code == 302
    db.session.remove()
    assert client.get("/handheld/").status_code == 200
    db.session.remove()
    user = db.session.get(User, user.id)
    user.end_sessions()
    db.session.commit()
    db.session.remove()
    answer = client.get("/handheld/")
    assert answer.status_code == 302 and "/handheld/login" in answer.headers["Location"]
