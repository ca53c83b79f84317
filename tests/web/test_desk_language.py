"""Language per user on the desk (issue 18): own choice from the header, a supervisor's or an
administrator's on the Users page, bad values refused; the desk then speaks it."""
from __future__ import annotations

from html import unescape

from wms.db import db
from wms.domain.users.models import User


def language_of(user_id):
    db.session.expire_all()
    return db.session.get(User, user_id).language


def test_own_language_from_the_header_then_every_page_is_french(client, login_as):
    me = login_as("supervisor")
    page = client.get("/desk/").get_data(as_text=True)
    assert '<html lang="en">' in page and 'name="language"' in page
    r = client.post("/language", data={"language": "fr", "next": "/desk/orders"})
    assert r.status_code == 302 and r.headers["Location"] == "/desk/orders"
    assert language_of(me.id) == "fr"
    html = client.get("/desk/orders").get_data(as_text=True)
    assert '<html lang="fr">' in html
    assert "Commandes" in html and "Déconnexion" in html
    # The browser's choice again: English for a browser that asks for nothing.
    client.post("/language", data={"language": "", "next": "/desk/"})
    assert language_of(me.id) is None
    assert '<html lang="en">' in client.get("/desk/").get_data(as_text=True)
    # ... and French for a French browser.
    html = client.get("/desk/", headers={"Accept-Language": "fr-FR,fr;q=0.9"}).get_data(as_text=True)
    assert '<html lang="fr">' in html


def test_a_bad_own_language_is_refused_and_changes_nothing(client, login_as):
    me = login_as("supervisor")
    client.post("/language", data={"language": "fr"})
    for bad in ("de", "FR", "x" * 300, "<b>fr</b>"):
        r = client.post("/language", data={"language": bad})
        assert r.status_code == 400, bad
        assert "n'est pas une langue du WMS" in unescape(r.get_data(as_text=True))
        assert language_of(me.id) == "fr"


def test_a_supervisor_sets_an_operators_language_on_the_users_page(client, login_as, make_user):
    login_as("supervisor")
    operator = make_user("operator")
    admin = make_user("admin")
    db.session.commit()
    page = client.get("/desk/users").get_data(as_text=True)
    assert f'action="/desk/users/{operator.id}/language"' in page
    assert f'action="/desk/users/{admin.id}/language"' not in page  # an admin is not theirs to change
    r = client.post(f"/desk/users/{operator.id}/language", data={"language": "fr"})
    assert r.status_code == 302
    assert language_of(operator.id) == "fr"
    flash = client.get("/desk/users").get_data(as_text=True)
    assert f"{operator.name}: Français." in flash
    # Back to the browser's choice.
    client.post(f"/desk/users/{operator.id}/language", data={"language": ""})
    assert language_of(operator.id) is None
    # Refused: someone else's administrator, a language the WMS does not speak.
    r = client.post(f"/desk/users/{admin.id}/language", data={"language": "fr"})
    assert r.status_code == 403 and language_of(admin.id) is None
    r = client.post(f"/desk/users/{operator.id}/language", data={"language": "es"})
    assert r.status_code == 400
    assert "es is not a language of the WMS" in r.get_data(as_text=True)
    assert language_of(operator.id) is None
    assert client.post("/desk/users/99999/language", data={"language": "fr"}).status_code == 404


def test_an_administrator_sets_anyones_language_and_a_french_one_gets_the_flash_in_french(client, login_as, make_user):
    me = login_as("admin")
    other = make_user("supervisor")
    db.session.commit()
    assert client.post(f"/desk/users/{other.id}/language", data={"language": "fr"}).status_code == 302
    assert language_of(other.id) == "fr"
    # Their own: the confirmation already speaks the new language.
    client.post(f"/desk/users/{me.id}/language", data={"language": "fr"})
    html = client.get("/desk/users").get_data(as_text=True)
    assert f"{me.name} : Français." in html or f"{me.name}: Français." in html
    assert "<h1>Utilisateurs</h1>" in html


def test_pages_answer_in_french_dashboard_flash_and_404(client, login_as, make_user):
    login_as("supervisor")
    operator = make_user("operator")
    db.session.commit()
    client.post("/language", data={"language": "fr"})
    html = unescape(client.get("/desk/").get_data(as_text=True))
    assert "<title>Tableau de bord · WMS</title>" in html and "<h1>L'entrepôt aujourd'hui</h1>" in html
    client.post(f"/desk/users/{operator.id}/sign-out")
    assert f"{operator.name} est déconnecté sur tous les appareils." in unescape(client.get("/desk/users").get_data(as_text=True))
    r = client.get("/desk/no-such-page")
    assert r.status_code == 404
    html = unescape(r.get_data(as_text=True))
    assert "Il n'y a rien à cette adresse." in html and '<html lang="fr">' in html
