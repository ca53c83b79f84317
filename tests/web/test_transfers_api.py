"""Transfers through the JSON API: create, each step, the scope `stock`, bad bodies as 4xx."""
from sqlalchemy import func, select

from wms.db import db
from wms.domain.inventory import services as inventory
from wms.domain.locations.models import Location, LocationKind
from wms.domain.transfers.models import TransferOrder
from wms.domain.users.models import ApiToken


def _sites(make_warehouse, make_product):
    paris, lyon = make_warehouse("PAR", "Paris"), make_warehouse("LYO", "Lyon")
    locs = [Location(warehouse_id=paris.id, code="A-01-01-1", kind=LocationKind.STORAGE),
            Location(warehouse_id=paris.id, code="PACK-PAR", kind=LocationKind.PACKING),
            Location(warehouse_id=lyon.id, code="DOCK-LYO", kind=LocationKind.RECEIVING)]
    db.session.add_all(locs)
    tee = make_product("TEE-1")
    inventory.receive(tee, locs[0], 10)
    db.session.commit()
    return tee


def test_a_transfer_through_the_api(client, login_as, make_warehouse, make_product):
    _sites(make_warehouse, make_product)
    login_as("supervisor")
    r = client.post("/api/v1/transfers", json={"source": "PAR", "destination": "LYO", "release": True,
                                               "lines": [{"sku": "TEE-1", "quantity": 4}]})
    assert r.status_code == 201, r.get_json()
    tr = r.get_json()
    assert tr["status"] == "RELEASED" and tr["code"] == f"TR-{tr['id']}"
    base = f"/api/v1/transfers/{tr['id']}"
    assert client.post(f"{base}/pick-all").get_json()["lines"][0]["picked"] == 4
    shipped = client.post(f"{base}/ship", json={"tracking": "TRK-9"}).get_json()
    assert shipped["status"] == "SHIPPED" and shipped["lines"][0]["in_transit"] == 4 and shipped["tracking"] == "TRK-9"
    r = client.post(f"{base}/ship")
    assert r.status_code == 422 and "cannot be shipped" in r.get_json()["error"]["message"]
    r = client.post(f"{base}/receive", json={"lines": [{"sku": "TEE-1", "quantity": 5}]})
    assert r.status_code == 422 and "Only 4 of TEE-1" in r.get_json()["error"]["message"]
    done = client.post(f"{base}/receive", json={"lines": [{"sku": "TEE-1", "quantity": 4}]}).get_json()
    assert done["status"] == "RECEIVED" and done["lines"][0]["received"] == 4
    assert [t["code"] for t in client.get("/api/v1/transfers?status=RECEIVED").get_json()["items"]] == [tr["code"]]
    assert client.get("/api/v1/transfers?status=LOST").status_code == 422
    assert client.get("/api/v1/transfers/999").status_code == 404
    assert inventory.ledger_problems() == []


def test_bad_transfer_requests_are_refused_with_a_sentence(client, login_as, make_warehouse, make_product, make_user):
    _sites(make_warehouse, make_product)
    login_as("supervisor")
    line = {"sku": "TEE-1", "quantity": 1}
    cases = [({"source": "PAR", "destination": "LYO", "lines": []}, "lines"),
             ({"source": "PAR", "destination": "LYO", "lines": [{"sku": "TEE-1", "quantity": 0}]}, "quantity"),
             ({"source": "PAR", "destination": "LYO", "lines": [{"sku": "TEE-1", "quantity": -1}]}, "quantity"),
             ({"source": "PAR", "destination": "LYO", "lines": [{"sku": "TEE-1", "quantity": 10**12}]}, "quantity"),
             ({"source": "PAR", "destination": "LYO", "lines": [{"sku": "TEE-1", "quantity": "2"}]}, "quantity"),
             ({"source": "PAR", "destination": "LYO", "lines": [{"sku": "NOPE", "quantity": 1}]}, "No product has"),
             ({"source": "PAR", "destination": "PAR", "lines": [line]}, "both the source and the destination"),
             ({"source": "PAR", "destination": "MARS", "lines": [line]}, "no warehouse MARS"),
             ({"source": "PAR", "destination": "LYO", "release": True, "lines": [{"sku": "TEE-1", "quantity": 11}]},
              "1 of 11 missing")]
    for body, words in cases:
        r = client.post("/api/v1/transfers", json=body)
        assert 400 <= r.status_code < 500 and words in r.get_json()["error"]["message"], (body, r.get_json())
    assert client.post("/api/v1/transfers", data="x").status_code == 422
    assert db.session.scalar(select(func.count()).select_from(TransferOrder)) == 0
    # A token without the stock scope reads, and cannot create.
    user = make_user("supervisor")
    db.session.add(ApiToken(user_id=user.id, name="ro", token_hash=ApiToken.hash("wms_ro-token"), scopes="read"))
    db.session.commit()
    client.post("/logout")
    headers = {"Authorization": "Bearer wms_ro-token"}
    assert client.get("/api/v1/transfers", headers=headers).status_code == 200
    r = client.post("/api/v1/transfers", headers=headers,
                    json={"source": "PAR", "destination": "LYO", "lines": [line]})
    assert r.status_code == 403 and "'stock' scope" in r.get_json()["error"]["message"]
