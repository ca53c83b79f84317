"""The domain's and the API's sentences in the reader's language (issue 18): a French user's
refused scan, an API error asked for in French, a CSV row error; English when nobody asks."""
from __future__ import annotations

from wms.db import db
from wms.domain.catalog.models import Product
from wms.domain.importing import ImportRefused, import_products
from wms.domain.inventory.services import receive
from wms.domain.locations.models import LocationKind
from wms.i18n import force_locale


def _scan(client, code, **headers):
    return client.post("/handheld/move/scan", data={"code": code},
                       headers={"HX-Request": "true", **headers})


def test_a_french_users_refused_scan_is_in_french(client, login_as, make_location, make_product):
    user = login_as("operator")
    make_location("A-01-01-1")
    make_location("PACK-01", kind=LocationKind.PACKING)
    user.language = "fr"
    db.session.commit()

    r = _scan(client, "PACK-01")
    body = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "PACK-01 est une zone « emballage » : son stock appartient à des commandes." in body
    assert "Scannez un emplacement de stockage ou de quai." in body
    r = _scan(client, "A-01-01-1")  # a success sentence too, with its code in place
    assert r.status_code == 200 and "Prise en A-01-01-1" in r.get_data(as_text=True)


def test_the_same_refusal_is_english_by_default(client, login_as, make_location):
    login_as("operator")
    make_location("PACK-01", kind=LocationKind.PACKING)
    db.session.commit()
    r = _scan(client, "PACK-01")
    assert r.status_code == 422
    assert "PACK-01 is a packing area: stock there belongs to orders." in r.get_data(as_text=True)
    # The browser's language counts when the user chose none.
    r = _scan(client, "PACK-01", **{"Accept-Language": "fr-FR,fr;q=0.9"})
    assert "PACK-01 est une zone « emballage »" in r.get_data(as_text=True)


def _token(client, login_as):
    login_as("supervisor")
    html = client.post("/desk/tokens", data={"name": "script", "scopes": ["admin"]}).get_data(as_text=True)
    secret = html.split("data-token>")[1].split("<")[0]
    client.post("/logout")
    client.delete_cookie("remember_token")
    return {"Authorization": f"Bearer {secret}"}


def test_api_errors_follow_accept_language_and_keep_their_code(client, login_as, make_product):
    auth = _token(client, login_as)
    make_product("MUG-1")
    db.session.commit()
    body = {"sku": "MUG-1", "quantity": "two", "from_location": "NOWHERE"}

    english = client.post("/api/v1/stock/moves", json=body, headers=auth)
    assert english.status_code == 422
    error = english.get_json()["error"]
    assert error["code"] == "invalid" and "quantity: Not a valid integer." in error["message"]

    french = client.post("/api/v1/stock/moves", json=body, headers={**auth, "Accept-Language": "fr"})
    error = french.get_json()["error"]
    assert french.status_code == 422 and error["code"] == "invalid"  # the code stays English
    assert "quantity: Nombre entier invalide." in error["message"]
    assert error["details"]["fields"]["quantity"] == ["Nombre entier invalide."]

    # marshmallow's sentences built with numbers (Range) and the domain's own refusals too.
    french = client.post("/api/v1/stock/moves", json={**body, "quantity": 0},
                         headers={**auth, "Accept-Language": "fr"}).get_json()["error"]
    assert "Doit être supérieur ou égal à 1 et inférieur ou égal à 1000000." in french["message"]
    move = {"sku": "MUG-1", "quantity": 1, "from_location": "A-09-09-9", "to_location": "A-01-01-1"}
    english = client.post("/api/v1/stock/moves", json=move, headers=auth).get_json()["error"]
    french = client.post("/api/v1/stock/moves", json=move,
                         headers={**auth, "Accept-Language": "fr"}).get_json()["error"]
    assert french["code"] == english["code"] and "A-09-09-9" in french["message"]
    assert french["message"] != english["message"] and "emplacement" in french["message"].lower()


def test_api_token_users_language_wins_over_the_header(client, login_as, app):
    auth = _token(client, login_as)
    from wms.domain.users.models import User

    owner = db.session.query(User).order_by(User.id.desc()).first()
    owner.language = "fr"
    db.session.commit()
    r = client.post("/api/v1/stock/moves", json={"sku": "MUG-1", "quantity": "two"},
                    headers={**auth, "Accept-Language": "en"})
    assert r.status_code == 422 and "quantity: Nombre entier invalide." in r.get_json()["error"]["message"]


def test_csv_row_errors_in_french(app):
    text = "sku,name,weight_g\nOK-1,Fine,10\nBAD 2,,heavy\n"
    with app.test_request_context("/"), force_locale("fr"):
        try:
            import_products(text)
        except ImportRefused as exc:
            messages = [str(e) for e in exc.result.errors]
        else:  # pragma: no cover - the file is refused
            raise AssertionError("the bad row was imported")
    assert any(m.startswith("ligne 3 : le sku « BAD 2 » doit faire au plus 64 caractères") for m in messages), messages
    assert any("weight_g doit être un nombre entier de 0 à" in m for m in messages), messages
    assert db.session.query(Product).count() == 0


def test_csv_row_errors_in_english_by_default(app):
    try:
        import_products("sku,name\nBAD 2,\n")
    except ImportRefused as exc:
        messages = [str(e) for e in exc.result.errors]
    assert "row 2: sku “BAD 2” must be at most 64 characters without spaces" in messages


def test_enum_labels_and_stored_values(app):
    """Labels are translated where shown; what the database stores (the name) never is."""
    from wms.domain.orders.models import OrderStatus

    with app.test_request_context("/"):
        assert OrderStatus.ALLOCATED.label == "To pick"
        with force_locale("fr"):
            assert OrderStatus.ALLOCATED.label == "À préparer"
            assert LocationKind.PACKING.label == "Emballage"
        assert OrderStatus.ALLOCATED.value == "To pick" and OrderStatus["ALLOCATED"].name == "ALLOCATED"
