"""Scan answers that carry only what changed (issue 13): a picker who stays on the line gets
the status line and the changed parts of the screen, not the whole screen again."""
import re

from sqlalchemy import select, update

from wms.db import db
from wms.domain.inventory.models import MoveReason, StockMove
from wms.domain.users.models import Role, User
from tests.web.test_scan_queries import (_flow_scan, _scan, client, count_queries,  # noqa: F401 (fixtures)
                                         operator_client, picking_floor, server)
from tests.domain.test_packing import packing_setup  # noqa: F401 (fixture)


def _oob_ids(body: str) -> list[str]:
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


# ------------------------------------------------------------------ counting


def _count_floor(make_location, make_product, make_user, receive_units=5):
    from wms.domain.counts.services import create_count
    from wms.domain.inventory.services import receive

    bin_ = make_location("A-01-01-1")
    product = make_product("MUG-1")
    receive(product, bin_, receive_units)
    task = create_count(user=make_user("supervisor"), location=bin_)
    return task.code, product.main_barcode


def test_counting_answers_the_bin_and_a_lines_count_alone(server, operator_client, make_location,
                                                          make_product, make_user):
    code, barcode = _count_floor(make_location, make_product, make_user)
    client = operator_client()
    _flow_scan(client, "count", code, "cf-0000-0001")
    r = _flow_scan(client, "count", "A-01-01-1", "cf-0000-0002")
    body = r.get_data(as_text=True)
    assert r.headers["HX-Retarget"] == "#status" and "Counting in A-01-01-1" in body
    assert _oob_ids(body) == ["prompt", "count-location"]
    assert 'name="code"' not in body and "take-back" not in body
    # The product's first unit adds its line to the screen: the whole screen.
    r = _flow_scan(client, "count", barcode, "cf-0000-0003")
    assert "HX-Retarget" not in r.headers and "take-back" in r.get_data(as_text=True)
    # The next units change only that line's count (never the book quantity: a blind count).
    r = _flow_scan(client, "count", barcode, "cf-0000-0004", qty="2")
    body = r.get_data(as_text=True)
    assert r.headers["HX-Retarget"] == "#status" and "MUG-1: 3 counted in A-01-01-1" in body
    assert [re.sub(r"\d+", "N", i) for i in _oob_ids(body)] == ["counted-N"]
    assert re.search(r'<span hx-swap-oob="true" id="counted-\d+">3</span>', body)
    assert "5" not in body.replace("MUG-1", "")  # the book quantity (5) never shows
    # A retry of that scan: the whole current screen, under its sentence.
    db.session.commit()
    again = _flow_scan(client, "count", barcode, "cf-0000-0004", qty="2")
    body = again.get_data(as_text=True)
    assert again.headers["X-Scan-Replayed"] == "1" and "HX-Retarget" not in again.headers
    assert "MUG-1: 3 counted in A-01-01-1" in body and "take-back" in body and 'name="code"' in body


def test_a_french_counters_partial_answers_are_in_french(server, operator_client, make_location,
                                                         make_product, make_user):
    code, barcode = _count_floor(make_location, make_product, make_user)
    client = operator_client()
    db.session.execute(update(User).where(User.role == Role.OPERATOR).values(language="fr"))
    db.session.commit()
    _flow_scan(client, "count", code, "cf-fr00-0001")
    body = _flow_scan(client, "count", "A-01-01-1", "cf-fr00-0002").get_data(as_text=True)
    assert "Comptage en A-01-01-1" in body and "Scannez chaque produit de A-01-01-1, puis Terminer" in body
    _flow_scan(client, "count", barcode, "cf-fr00-0003")
    body = _flow_scan(client, "count", barcode, "cf-fr00-0004").get_data(as_text=True)
    assert "MUG-1 : 2 compté(s) en A-01-01-1" in body


# ------------------------------------------------------------------ packing


def test_packing_an_item_with_items_left_answers_the_line_the_parcel_and_the_box(
        server, operator_client, packing_setup, make_warehouse):  # noqa: F811
    make_warehouse()
    s = packing_setup(ordered=(3, 1), picked=(3, 1))
    order_code, barcode, other = s.order.code, s.a.barcodes[0].code, s.b.barcodes[0].code
    client = operator_client()
    _flow_scan(client, "packing", order_code, "pf-0000-0001")
    r = _flow_scan(client, "packing", barcode, "pf-0000-0002")
    body = r.get_data(as_text=True)
    assert r.headers["HX-Retarget"] == "#status" and "OK SKU-A: 1 of 3 packed" in body
    assert [re.sub(r"\d+", "N", i) for i in _oob_ids(body)] == ["pack-line-N", "parcel-N", "pack-box"]
    assert "1 / 3" in body and "1 item" in body and 'name="weight"' in body
    for absent in ('name="code"', "pack-head", "SKU-B", 'id="prompt"', "Park this order"):
        assert absent not in body, absent
    # A retry of it: the whole current screen, under its sentence.
    db.session.commit()
    again = _flow_scan(client, "packing", barcode, "pf-0000-0002")
    body = again.get_data(as_text=True)
    assert again.headers["X-Scan-Replayed"] == "1" and "HX-Retarget" not in again.headers
    assert "OK SKU-A: 1 of 3 packed" in body and 'name="code"' in body and "SKU-B" in body
    # The last item to verify brings the box form up: the whole screen.
    _flow_scan(client, "packing", barcode, "pf-0000-0003")
    _flow_scan(client, "packing", barcode, "pf-0000-0004")
    r = _flow_scan(client, "packing", other, "pf-0000-0005")
    body = r.get_data(as_text=True)
    assert "HX-Retarget" not in r.headers and "All items verified" in body and 'name="code"' in body


# ------------------------------------------------------------------ receiving


def test_an_item_counted_in_answers_the_counts_and_clears_a_refusals_form(server, operator_client, make_location,
                                                                          make_product):
    from wms.domain.locations.models import LocationKind
    from wms.domain.receiving import services as receiving

    make_location("DOCK-01", kind=LocationKind.RECEIVING)
    mug = make_product("MUG-1")
    receipt = receiving.create_receipt([(mug, 5)], supplier="Acme")
    code, barcode = receipt.code, mug.main_barcode
    client = operator_client()
    _flow_scan(client, "receiving", code, "rf-0000-0001")
    _flow_scan(client, "receiving", barcode, "rf-0000-0002")  # the first unit: the full service
    refused = _flow_scan(client, "receiving", "4006381333931", "rf-0000-0003", status=422)
    assert "Only a supervisor can link" in refused.get_data(as_text=True)
    r = _flow_scan(client, "receiving", barcode, "rf-0000-0004")
    body = r.get_data(as_text=True)
    assert r.headers["HX-Retarget"] == "#status" and "MUG-1" in body
    assert _oob_ids(body) == ["rcv-notice", "prompt", "rcv-total", "rcv-lines", "rcv-actions"]
    assert re.search(r'id="rcv-notice">\s*</div>', body)  # the refusal's note goes
    assert "<strong>2</strong> of 5 received" in body and 'class=" last"' in body
    for absent in ('name="code"', "rcv-head", "Acme", "Only a supervisor"):
        assert absent not in body, absent


def test_a_partial_answer_names_the_line_the_screen_shows(client, picking_floor):
    """static/js/scan.js swaps a partial answer only while the screen shows its task (else it
    loads the whole screen): the answer and the screen name the line alike."""
    screen = client.get("/handheld/pick", headers={"HX-Request": "true"}).get_data(as_text=True)
    line = re.search(r'class="pick-card" data-line="(\d+)" data-task="line-(\d+)"', screen)
    assert line and line.group(1) == line.group(2)
    body = _scan(client, picking_floor["location"], "frag-task-0001").get_data(as_text=True)
    assert body.startswith(f'<div id="status" data-answer="partial" data-task="line-{line.group(1)}" '
                           'data-screen="/handheld/pick"')
    # Pause while a scan was in flight: the new screen shows no line, so a late answer is not swapped.
    paused = client.post("/handheld/pick/pause", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "data-task" not in paused
