"""Returns through the JSON API: announce (idempotent on external_ref), list, read; in the OpenAPI document."""
from sqlalchemy import func, select

from wms.db import db
from wms.domain.returns import services as returns
from wms.domain.returns.models import CustomerReturn
from tests.returns_helpers import shipped_order


def test_returns_are_creatable_and_readable_through_the_api(client, login_as, make_product, make_location, make_user):
    order, (shirt, cap) = shipped_order(make_product, make_location)
    db.session.commit()
    login_as("supervisor")
    body = {"order": "RETREF001", "external_ref": "RMA-ERP-77", "reason": "Too big",
            "lines": [{"sku": shirt.sku, "quantity": 1}]}
    r = client.post("/api/v1/returns", json=body)
    assert r.status_code == 201, r.get_json()
    created = r.get_json()
    assert created["outcome"] == "created" and created["status"] == "EXPECTED" and created["source"] == "api"
    assert [(ln["sku"], ln["announced"], ln["received"]) for ln in created["lines"]] == [(shirt.sku, 1, 0), (cap.sku, 0, 0)]
    again = client.post("/api/v1/returns", json=body)
    assert again.status_code == 200 and again.get_json()["outcome"] == "unchanged"
    assert db.session.scalar(select(func.count()).select_from(CustomerReturn)) == 1

    operator = make_user("operator")
    returns.scan(operator, created["code"])
    returns.scan(operator, shirt.main_barcode)
    returns.scan(operator, "2")
    returns.close(operator)
    db.session.commit()
    one = client.get(f"/api/v1/returns/{created['id']}").get_json()
    assert one["status"] == "RECEIVED" and one["waiting_for_refund"] is True
    assert one["items"][0]["condition"] == "DAMAGED" and one["items"][0]["location"] == "QUAR-01"
    listed = client.get("/api/v1/returns?status=RECEIVED").get_json()
    assert [item["code"] for item in listed["items"]] == [created["code"]]
    assert client.get("/api/v1/returns?order=RETREF001&discrepancy=1").get_json()["items"] == []
    assert client.get("/api/v1/returns/999").status_code == 404


def test_bad_return_requests_are_refused_with_a_sentence(client, login_as, make_product, make_location):
    order, (shirt, _cap) = shipped_order(make_product, make_location)
    db.session.commit()
    login_as("supervisor")
    cases = [({"order": "RETREF001", "lines": []}, "lines"),
             ({"order": "RETREF001", "lines": [{"sku": shirt.sku, "quantity": "1"}]}, "quantity"),
             ({"order": "NOPE", "lines": [{"sku": shirt.sku, "quantity": 1}]}, "No order has"),
             ({"order": "RETREF001", "lines": [{"sku": "OTHER", "quantity": 1}]}, "is not in order"),
             ({"order": "RETREF001", "lines": [{"sku": shirt.sku, "quantity": 5}]}, "only 2 shipped")]
    for body, words in cases:
        r = client.post("/api/v1/returns", json=body)
        assert 400 <= r.status_code < 500 and words in r.get_json()["error"]["message"], (body, r.get_json())
    assert client.post("/api/v1/returns", data="x").status_code == 422
    assert client.get("/api/v1/returns?status=LOST").status_code == 422
    assert db.session.scalar(select(func.count()).select_from(CustomerReturn)) == 0
    client.post("/logout")
    login_as("operator")
    assert client.post("/api/v1/returns", json={"order": "RETREF001", "lines": [{"sku": shirt.sku, "quantity": 1}]}
                       ).status_code == 403
    assert client.get("/api/v1/returns").status_code == 200


def test_the_openapi_document_describes_returns(client, login_as):
    from openapi_spec_validator import validate

    login_as("operator")
    doc = client.get("/api/v1/openapi.json").get_json()
    validate(doc)
    paths = doc["paths"]
    assert set(paths["/api/v1/returns"]) == {"get", "post"}
    assert paths["/api/v1/returns"]["post"]["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ReturnRequest"}
    assert set(paths["/api/v1/returns"]["post"]["responses"]) == {"200", "201", "default"}
    assert "/api/v1/returns/{return_id}" in paths
    assert doc["components"]["schemas"]["ReturnRequest"]["required"] == ["order", "lines"]
