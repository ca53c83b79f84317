"""The handheld asks a new operator for a language with one tap, then speaks it (issue 18)."""
from __future__ import annotations

import json
import re
from html import unescape

from wms.db import db
from wms.domain.inventory.services import receive
from wms.domain.locations.models import LocationKind
from wms.domain.orders.models import Order, OrderLine
from wms.domain.users.models import User

HX = {"HX-Request": "true"}


def badge_sign_in(client, user, pin="1234"):
    r = client.post("/handheld/login", data={"badge": user.badge_code, "pin": pin})
    assert r.status_code == 302, r.get_data(as_text=True)
    return r


def js_messages(html: str) -> dict:
    block = re.search(r'<script type="application/json" id="i18n-messages">(.*?)</script>', html, re.S)
    assert block, "the page carries no i18n-messages block"
    return json.loads(block.group(1))


def test_first_badge_sign_in_asks_then_goes_where_the_operator_was_going(client, make_user):
    user = make_user("operator")
    db.session.commit()
    badge_sign_in(client, user)
    r = client.get("/handheld/pick?x=1")
    assert r.status_code == 302
    assert r.headers["Location"] == "/handheld/language?next=/handheld/pick?x%3D1"
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    # One big button per language, each named in its own language.
    assert re.search(r'value="fr" lang="fr"[^>]*><strong>Français</strong>', page)
    assert re.search(r'value="en" lang="en"[^>]*><strong>English</strong>', page)
    assert 'name="next" value="/handheld/pick?x=1"' in page
    r = client.post("/handheld/language", data={"language": "fr", "next": "/handheld/pick?x=1"})
    assert r.status_code == 302 and r.headers["Location"] == "/handheld/pick?x=1"
    db.session.expire_all()
    assert db.session.get(User, user.id).language == "fr"
    # Asked once: the screens now open straight away, in French.
    pick = client.get("/handheld/pick")
    assert pick.status_code == 200
    html = pick.get_data(as_text=True)
    assert "<title>Préparer</title>" in html
    assert "Aucune liste de préparation en attente." in html
    assert 'placeholder="Scannez…"' in html and ">Prêt<" in html


def test_a_bad_language_is_refused_with_a_sentence_and_changes_nothing(client, make_user):
    user = make_user("operator")
    db.session.commit()
    badge_sign_in(client, user)
    for bad in ("de", "", "FR", "<b>x</b>"):
        r = client.post("/handheld/language", data={"language": bad, "next": "/handheld/"})
        assert r.status_code == 400
        assert "is not a language of the WMS: choose English / Français." in r.get_data(as_text=True)
    assert "<b>x</b>" not in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).language is None
    # Still asked, and the scan path is never diverted meanwhile.
    assert client.get("/handheld/").status_code == 302
    r = client.post("/handheld/pick/scan", data={"code": "NOPE"}, headers=HX)
    assert r.status_code == 422


def test_only_same_site_next(client, make_user):
    user = make_user("operator")
    db.session.commit()
    badge_sign_in(client, user)
    r = client.post("/handheld/language", data={"language": "en", "next": "//evil.example/x"})
    assert r.status_code == 302 and r.headers["Location"] == "/handheld/"


def test_not_asked_at_the_desk_nor_on_htmx_nor_when_turned_off(app, client, make_user):
    # A desk (password) sign-in keeps the browser's language: the desk has its own setting.
    desk_user = make_user("supervisor")
    db.session.commit()
    client.post("/login", data={"username": desk_user.username, "password": "password-123"})
    assert client.get("/handheld/").status_code == 200
    client.post("/logout")
    user = make_user("operator")
    db.session.commit()
    badge_sign_in(client, user)
    assert client.get("/handheld/pick", headers=HX).status_code == 200
    app.config["ASK_LANGUAGE"] = False
    assert client.get("/handheld/pick").status_code == 200


def test_home_shows_the_language_and_changes_it_later(client, make_user):
    user = make_user("operator")
    user.language = "en"
    db.session.commit()
    badge_sign_in(client, user)
    home = client.get("/handheld/").get_data(as_text=True)
    assert 'href="/handheld/language?next=/handheld/"' in home and "Language: English" in home
    chooser = client.get("/handheld/language?next=/handheld/").get_data(as_text=True)
    assert 'value="en" lang="en" class="hh-tile big current" aria-current="true"' in chooser
    assert client.post("/handheld/language", data={"language": "fr", "next": "/handheld/"}).status_code == 302
    home = client.get("/handheld/").get_data(as_text=True)
    assert "Langue : Français" in home and "Déconnexion" in home and "Bonjour" in home


def test_the_scripts_get_their_sentences_in_the_operator_language(client, make_user):
    user = make_user("operator")
    user.language = "fr"
    db.session.commit()
    badge_sign_in(client, user)
    messages = js_messages(client.get("/handheld/").get_data(as_text=True))
    assert messages["yes"] == "Oui" and messages["no"] == "Non"
    # Plural forms keep %(num)d for the script; French says "0 scan" like "1 scan".
    assert messages["waiting"]["0"] == "%(num)d scan en attente d'envoi…"
    assert messages["waiting"]["1"] == "%(num)d scan en attente d'envoi…"
    assert messages["waiting"]["other"] == "%(num)d scans en attente d'envoi…"
    user.language = "en"
    db.session.commit()
    messages = js_messages(client.get("/handheld/").get_data(as_text=True))
    assert messages["waiting"]["0"] == "%(num)d scans waiting to be sent…"
    assert messages["stale_page"].startswith("Not applied")
    # The sign-in page (before anyone is known) carries them too, in the browser's language.
    client.post("/logout", data={"from": "handheld"})
    login = client.get("/handheld/login", headers={"Accept-Language": "fr-FR,fr;q=0.9"}).get_data(as_text=True)
    assert js_messages(login)["all_sent"] == "Tous les scans sont envoyés"
    assert "Scannez votre badge" in login


def test_the_pick_screen_speaks_french(client, make_user, make_location, make_product):
    from wms.domain.picking.allocation import allocate_orders
    from wms.domain.picking.models import PickListKind
    from wms.domain.picking.services import create_pick_list

    make_location("PACK-01", kind=LocationKind.PACKING)
    face = make_location("A-02-03-1", kind=LocationKind.PICK_FACE)
    mug = make_product("MUG-1")
    receive(mug, face, 5)
    ids = []
    for n in range(2):
        order = Order(reference=f"R{n}")
        order.lines.append(OrderLine(line_no=1, product_id=mug.id, sku=mug.sku, name=mug.name, quantity=2 - n))
        db.session.add(order)
        db.session.flush()
        ids.append(order.id)
    allocate_orders()
    pick_list = create_pick_list(ids, kind=PickListKind.BATCH)
    user = make_user("operator")
    user.language = "fr"
    db.session.commit()
    badge_sign_in(client, user)
    page = client.get("/handheld/pick").get_data(as_text=True)
    assert "2 commandes · 2 lignes · 3 unités" in page
    r = client.post(f"/handheld/pick/start/{pick_list.id}", headers=HX)
    assert r.status_code == 200
    assert f"Préparation de {pick_list.code}" in r.get_data(as_text=True)
    r = client.post("/handheld/pick/pause", headers=HX)
    assert f"{pick_list.code} en pause : n'importe qui peut la reprendre." in unescape(r.get_data(as_text=True))
    r = client.post("/handheld/pick/pause", headers=HX)
    assert r.status_code == 422 and "Vous ne préparez aucune liste." in unescape(r.get_data(as_text=True))
