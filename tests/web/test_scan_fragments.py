"""Scan answers that carry only what changed (issue 13): a picker who stays on the line gets
the status line and the changed parts of the screen, not the whole screen again."""
from sqlalchemy import select, update

from wms.db import db
from wms.domain.inventory.models import MoveReason, StockMove
from wms.domain.users.models import User
from tests.web.test_scan_queries import (_scan, client, count_queries, picking_floor,  # noqa: F401 (fixtures)
                                         server)


def _oob_ids(body: str) -> list[str]:
    import re

    return re.findall(r'<\w+ hx-swap-oob="true"[^>]* id="([\w-]+)"', body)


def test_a_bin_scan_answers_the_status_line_and_the_parts_it_changes(client, picking_floor):
    r = _scan(client, picking_floor["location"], "frag-loc-0001")
    body = r.get_data(as_text=True)
    assert r.status_code == 200
    assert r.headers["HX-Retarget"] == "#status" and r.headers["HX-Reswap"] == "outerHTML"
    assert "scan-ok" in r.headers["HX-Trigger"]  # the sound and the vibration, as before
    assert body.startswith('<div id="status" data-answer="partial"')
    assert 'data-status="ok"' in body and "At A-01-01-1: pick 3 × Q-1" in body
    assert _oob_ids(body) == ["prompt", "pick-location", "pick-actions"]
    assert 'class="pick-loc pick-here" id="pick-location">A-01-01-1<' in body
    assert 'data-key="F2"' in body and 'data-confirm-code="A-01-01-1"' in body  # "bin is short" now
    # Not the scan form (the input keeps its focus), nor what did not change.
    assert 'name="code"' not in body and "pick-progress" not in body and 'id="pick-qty"' not in body


def test_a_product_scan_on_the_same_line_answers_only_the_quantity(client, picking_floor):
    _scan(client, picking_floor["location"], "frag-loc-0001")
    r = _scan(client, picking_floor["product"], "frag-prd-0001")
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and r.headers["HX-Retarget"] == "#status"
    assert "Picked 1 × Q-1" in body
    assert _oob_ids(body) == ["pick-qty"]
    assert '<small>Pick</small> 2</span>' in body
    for absent in ('name="code"', 'id="pick-location"', 'id="prompt"', "pick-progress", 'id="pick-actions"',
                   'id="screen"', "<html"):
        assert absent not in body, absent
    assert len(body) < 400  # a few hundred bytes instead of the whole screen


def test_the_last_unit_of_a_line_answers_the_whole_next_screen(client, picking_floor):
    _scan(client, picking_floor["location"], "frag-loc-0001")
    for n in (1, 2):
        assert _scan(client, picking_floor["product"], f"frag-prd-000{n}").headers.get("HX-Retarget")
    r = _scan(client, picking_floor["product"], "frag-prd-0003")
    body = r.get_data(as_text=True)
    assert "HX-Retarget" not in r.headers and 'name="code"' in body
    assert picking_floor["other_location"] in body and "1/2 lines" in body
    assert "data-answer" not in body


def test_a_refusal_answers_the_whole_screen(client, picking_floor):
    _scan(client, picking_floor["location"], "frag-loc-0001")
    r = _scan(client, picking_floor["other_location"], "frag-bad-0001")
    body = r.get_data(as_text=True)
    assert r.status_code == 422 and "HX-Retarget" not in r.headers
    assert "Wrong location" in body and 'name="code"' in body and "data-answer" not in body


def test_a_page_post_without_htmx_gets_the_whole_page(client, picking_floor):
    r = client.post("/handheld/pick/scan", data={"code": picking_floor["location"], "scan_id": "frag-page-001"})
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "HX-Retarget" not in r.headers and "<html" in body
    assert 'class="pick-loc pick-here"' in body


def test_a_replayed_partial_answer_shows_the_screen_as_it_is_now(client, picking_floor):
    """The retry of a scan whose (partial) answer was lost, after the screen moved on: the
    replay must not put the old line's quantity on the new line."""
    _scan(client, picking_floor["location"], "frag-loc-0001")
    first = _scan(client, picking_floor["product"], "frag-prd-0001")  # 2 left on line 1
    assert first.headers["HX-Retarget"] == "#status"
    _scan(client, picking_floor["product"], "frag-prd-0002")
    _scan(client, picking_floor["product"], "frag-prd-0003")  # line 1 done: line 2 now
    again = _scan(client, picking_floor["product"], "frag-prd-0001")
    body = again.get_data(as_text=True)
    assert again.status_code == 200 and again.headers["X-Scan-Replayed"] == "1"
    assert "HX-Retarget" not in again.headers and "scan-ok" in again.headers["HX-Trigger"]
    assert "Picked 1 × Q-1" in body  # the first answer's sentence
    assert picking_floor["other_location"] in body and "Q-2" in body and "1/2 lines" in body
    assert '<small>Pick</small> 3</span>' in body  # line 2's quantity, not line 1's "2"
    assert db.session.scalar(select(db.func.count()).select_from(StockMove)
                             .where(StockMove.reason == MoveReason.PICKED)) == 3
    db.session.commit()  # on SQLite the test's read holds the write lock (BEGIN IMMEDIATE)
    # The same retry once more answers the same.
    assert _scan(client, picking_floor["product"], "frag-prd-0001").get_data() == again.get_data()


def test_a_french_pickers_partial_answers_are_in_french(client, picking_floor):
    db.session.execute(update(User).values(language="fr"))
    db.session.commit()
    r = _scan(client, picking_floor["location"], "frag-loc-0001")
    body = r.get_data(as_text=True)
    assert "En A-01-01-1 : prenez 3 × Q-1" in body and "Scannez Q-1" in body
    assert "Emplacement vide" in body and "Mettre en pause" in body
    r = _scan(client, picking_floor["product"], "frag-prd-0001")
    body = r.get_data(as_text=True)
    assert "1 × Q-1 préparé(s)" in body and "<small>Préparer</small> 2" in body
    db.session.commit()
    again = _scan(client, picking_floor["product"], "frag-prd-0001")
    assert "1 × Q-1 préparé(s)" in again.get_data(as_text=True) and "Emplacement vide" in again.get_data(as_text=True)
