"""Partial scan answers for putaway, move and transfer pick (issue 13, follow-up): a scan that
leaves the operator on the same task answers the status line and the changed parts only,
named by the task they apply to; the next task, the end and refusals answer the whole screen;
a retry of a partial answer gets the whole current screen."""
import re

import pytest
from sqlalchemy import func, select

from wms.db import db
from wms.domain.inventory.models import MoveReason, StockMove
from wms.domain.inventory.services import receive, stock_at
from wms.domain.locations.models import Location, LocationKind
from tests.web.test_transfer_handheld import released  # noqa: F401 (fixture)

HX = {"HX-Request": "true"}


def _scan(client, flow, code, scan_id, qty=None):
    data = {"code": code, "scan_id": scan_id, **({"qty": qty} if qty else {})}
    return client.post(f"/handheld/{flow}/scan", data=data, headers={**HX, "X-Scan-Id": scan_id})


def _oob_ids(body: str) -> list[str]:
    return re.findall(r'<\w+ hx-swap-oob="true"[^>]* id="([\w-]+)"', body)


def _task(body: str) -> str | None:
    found = re.search(r'data-task="([^"]+)"', body)
    return found.group(1) if found else None


def _partial(r, task: str, screen: str) -> str:
    body = r.get_data(as_text=True)
    assert r.status_code == 200, body
    assert r.headers["HX-Retarget"] == "#status" and r.headers["HX-Reswap"] == "outerHTML"
    assert "scan-ok" in r.headers["HX-Trigger"]
    assert body.startswith(f'<div id="status" data-answer="partial" data-task="{task}" data-screen="{screen}"')
    for absent in ('name="code"', 'id="screen"', "<html", 'class="lines"'):
        assert absent not in body, absent
    return body


def _whole(r, status: int = 200) -> str:
    body = r.get_data(as_text=True)
    assert r.status_code == status, body
    assert "HX-Retarget" not in r.headers and 'name="code"' in body and "data-answer" not in body
    return body


def _moves(reason) -> int:
    return db.session.scalar(select(func.count()).select_from(StockMove).where(StockMove.reason == reason))


def _french(user):
    user.language = "fr"
    db.session.commit()


# ------------------------------------------------------------------ putaway


@pytest.fixture
def dock(login_as, make_location, make_product):
    user = login_as("operator")
    dock = make_location("DOCK-01", kind=LocationKind.RECEIVING)
    make_location("A-01-01-1", walk_sequence=1)
    mug = make_product("MUG-1", zone="A")
    receive(mug, dock, 3)
    db.session.commit()
    return user, mug


def test_putaway_more_of_the_product_held_answers_the_quantity_and_the_buttons(client, dock):
    _, mug = dock
    _whole(_scan(client, "putaway", "DOCK-01", "pa-f-0001"))
    first = _whole(_scan(client, "putaway", mug.main_barcode, "pa-f-0002"))  # the target box appears
    assert 'data-task="pa-DOCK-01-MUG-1"' in first and 'id="suggestion">A-01-01-1<' in first
    body = _partial(_scan(client, "putaway", mug.main_barcode, "pa-f-0003"), "pa-DOCK-01-MUG-1",
                    "/handheld/putaway")
    assert "MUG-1: 2 to put away; put away in A-01-01-1" in body
    assert _oob_ids(body) == ["pa-qty", "pa-actions"]
    assert 'id="pa-qty">2<' in body and "Take all 3" in body and 'data-key="F4"' in body
    assert 'id="suggestion"' not in body and "Still on the dock" not in body
    # All of the dock's units held: "Take all" goes, in the same small answer.
    body = _partial(_scan(client, "putaway", mug.main_barcode, "pa-f-0004"), "pa-DOCK-01-MUG-1",
                    "/handheld/putaway")
    assert 'id="pa-qty">3<' in body and "Take all" not in body and 'data-key="F2"' not in body
    # The bin ends the task: the whole screen.
    body = _whole(_scan(client, "putaway", "A-01-01-1", "pa-f-0005"))
    assert "Put away 3 × MUG-1 in A-01-01-1" in body and "data-task" not in body
    assert _moves(MoveReason.PUTAWAY) == 1


def test_putaway_refusal_and_replay_answer_the_whole_screen(client, dock):
    _, mug = dock
    _scan(client, "putaway", "DOCK-01", "pa-r-0001")
    _scan(client, "putaway", mug.main_barcode, "pa-r-0002")
    second = _scan(client, "putaway", mug.main_barcode, "pa-r-0003")
    assert second.headers["HX-Retarget"] == "#status"
    body = _whole(_scan(client, "putaway", mug.main_barcode, "pa-r-0004", qty="5"), status=422)
    assert 'id="pa-qty">2<' in body  # refused, nothing changed
    # The retry of the partial answer, after a cancel: the current (empty) screen, its sentence.
    assert client.post("/handheld/putaway/cancel", headers=HX).status_code == 200
    again = _scan(client, "putaway", mug.main_barcode, "pa-r-0003")
    body = _whole(again)
    assert again.headers["X-Scan-Replayed"] == "1" and "scan-ok" in again.headers["HX-Trigger"]
    assert "MUG-1: 2 to put away" in body and "data-task" not in body and "Take all" not in body
    assert stock_at(mug, db.session.scalar(select(Location).where(Location.code == "DOCK-01"))).on_hand == 3


def test_putaway_partial_answer_in_french(client, dock):
    user, mug = dock
    _french(user)
    _scan(client, "putaway", "DOCK-01", "pa-fr-0001")
    _scan(client, "putaway", mug.main_barcode, "pa-fr-0002")
    body = _partial(_scan(client, "putaway", mug.main_barcode, "pa-fr-0003"), "pa-DOCK-01-MUG-1",
                    "/handheld/putaway")
    assert "à ranger" in body and "Tout prendre (3)" in body and "Annuler" in body
    assert "to put away" not in body and "Take all" not in body


# ------------------------------------------------------------------ move


@pytest.fixture
def shelf(login_as, make_location, make_product):
    user = login_as("operator")
    src = make_location("A-01-01-1")
    make_location("A-02-01-1")
    mug = make_product("MUG-1")
    receive(mug, src, 5)
    db.session.commit()
    return user, mug


def test_move_product_scans_answer_the_prompt_product_and_quantity(client, shelf):
    _, mug = shelf
    body = _whole(_scan(client, "move", "A-01-01-1", "mv-f-0001"))  # a move starts: the whole screen
    assert 'data-task="mv-A-01-01-1"' in body
    body = _partial(_scan(client, "move", mug.main_barcode, "mv-f-0002"), "mv-A-01-01-1", "/handheld/move")
    assert "MUG-1: 1 to move" in body and "Scan more MUG-1, or the destination location" in body
    assert _oob_ids(body) == ["prompt", "mv-product", "mv-qty"]
    assert 'id="mv-product">MUG-1<' in body and 'id="mv-qty">1<' in body
    body = _partial(_scan(client, "move", mug.main_barcode, "mv-f-0003", qty="2"), "mv-A-01-01-1",
                    "/handheld/move")
    assert 'id="mv-qty">3<' in body and "Cancel move" not in body
    assert len(body) < 600
    body = _whole(_scan(client, "move", "A-02-01-1", "mv-f-0004"))  # the end of the move
    assert "Moved 3 × MUG-1 from A-01-01-1 to A-02-01-1" in body and "data-task" not in body
    # A refusal: the whole screen, nothing changed.
    _scan(client, "move", "A-01-01-1", "mv-f-0005")
    body = _whole(_scan(client, "move", mug.main_barcode, "mv-f-0006", qty="9"), status=422)
    assert 'id="mv-qty">0<' in body
    assert _moves(MoveReason.MOVED) == 1


def test_move_replay_after_a_cancel_shows_the_screen_as_it_is_now(client, shelf):
    user, mug = shelf
    _french(user)
    _scan(client, "move", "A-01-01-1", "mv-r-0001")
    body = _partial(_scan(client, "move", mug.main_barcode, "mv-r-0002"), "mv-A-01-01-1", "/handheld/move")
    assert "à déplacer" in body and "Scannez encore MUG-1" in body
    assert client.post("/handheld/move/cancel", headers=HX).status_code == 200
    again = _scan(client, "move", mug.main_barcode, "mv-r-0002")
    body = _whole(again)
    assert again.headers["X-Scan-Replayed"] == "1"
    assert "à déplacer" in body and 'id="mv-qty">0<' in body and "data-task" not in body


# ------------------------------------------------------------------ transfer pick


def test_transfer_pick_at_the_same_bin_answers_the_prompt_and_the_line(client, login_as, released):
    tr, tee, mug = released
    login_as("operator")
    body = _whole(_scan(client, "transfer-pick", tr.code, "tp-f-0001"))
    task = _task(body)
    assert task and task.startswith("tr-") and "Go to A-01-01-1" in body
    # The bin: the prompt only.
    body = _partial(_scan(client, "transfer-pick", "A-01-01-1", "tp-f-0002"), task, "/handheld/transfer-pick")
    assert "At A-01-01-1: take 3 × TEE-1." in body and _oob_ids(body) == ["prompt"]
    assert "Take 3 × TEE-1 and scan it." in body
    # A unit, more left here: the prompt and the line.
    body = _partial(_scan(client, "transfer-pick", tee.main_barcode, "tp-f-0003"), task, "/handheld/transfer-pick")
    assert "+1 TEE-1 from A-01-01-1." in body and _oob_ids(body) == ["prompt", "tp-line"]
    assert "2 × TEE-1" in body and "Take 2 × TEE-1 and scan it." in body and "Locations left" not in body
    # A refusal: the whole screen.
    body = _whole(_scan(client, "transfer-pick", mug.main_barcode, "tp-f-0004"), status=422)
    assert "Wrong product: take TEE-1 here." in body and f'data-task="{task}"' in body
    # The bin's last units: the next bin, a new task, the whole screen.
    body = _whole(_scan(client, "transfer-pick", tee.main_barcode, "tp-f-0005", qty="2"))
    assert "Go to A-01-02-1" in body and _task(body) not in (None, task)
    _scan(client, "transfer-pick", "A-01-02-1", "tp-f-0006")
    body = _whole(_scan(client, "transfer-pick", mug.main_barcode, "tp-f-0007", qty="2"))
    assert "is picked" in body and "data-task" not in body


def test_transfer_pick_replay_shows_the_next_bin(client, login_as, released):
    tr, tee, mug = released
    user = login_as("operator")
    _french(user)
    _scan(client, "transfer-pick", tr.code, "tp-r-0001")
    _scan(client, "transfer-pick", "A-01-01-1", "tp-r-0002")
    first = _scan(client, "transfer-pick", tee.main_barcode, "tp-r-0003")
    body = first.get_data(as_text=True)
    assert first.headers["HX-Retarget"] == "#status" and "Prenez 2 × TEE-1 et scannez-le." in body
    _scan(client, "transfer-pick", tee.main_barcode, "tp-r-0004", qty="2")  # the next bin now
    again = _scan(client, "transfer-pick", tee.main_barcode, "tp-r-0003")
    body = _whole(again)
    assert again.headers["X-Scan-Replayed"] == "1"
    assert "+1 TEE-1 depuis A-01-01-1." in body  # the first answer's sentence
    assert "A-01-02-1" in body and "2 × MUG-1" in body and "2 × TEE-1" not in body
    assert _moves(MoveReason.PICKED) == 2
