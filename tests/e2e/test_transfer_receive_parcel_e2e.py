"""The destination's handheld opens an arriving transfer by a parcel's label (issue 14 item 3),
in French at phone size; the screenshot goes to test-artifacts/fr/."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.e2e.test_desk_e2e import release_db
from tests.e2e.test_french_handheld_e2e import scan, shot
from tests.e2e.test_transfers_e2e import second_site  # noqa: F401 (fixture)
from wms.db import db

pytestmark = pytest.mark.browser


@pytest.fixture
def arriving(second_site):  # noqa: F811
    from wms.domain.transfers import parcels
    from wms.domain.transfers import services as transfers
    from wms.domain.users.models import User

    tr = transfers.create_transfer(second_site["source"], second_site["destination"], [(second_site["sku"], 2)])
    transfers.release(tr)
    transfers.pick_all(tr)
    parcels.pack(tr, "2", "1.5", carrier="OWN")
    transfers.ship(tr)
    user = db.session.execute(select(User).where(User.badge_code == "BADGE-0003")).scalar_one()
    user.language = "fr"
    info = {"code": tr.code, "parcel": tr.parcels[1].code}
    db.session.commit()
    release_db()
    return info


def test_receive_a_transfer_by_its_parcel_label(phone, live_server, arriving):
    base = live_server.url
    phone.goto(base + "/handheld/login")
    phone.locator("#badge").fill("BADGE-0003")
    phone.keyboard.press("Enter")
    phone.keyboard.type("3333")
    phone.keyboard.press("Enter")
    phone.wait_for_url(base + "/handheld/")
    phone.goto(base + "/handheld/transfer-receive")
    expect(phone.locator("main")).to_contain_text("PCL-T")
    shot(phone, "handheld-transfer-receive")
    scan(phone, arriving["parcel"])
    expect(phone.locator("#status")).to_contain_text(f"Réception de {arriving['code']}")
    shot(phone, "handheld-transfer-receive-parcel")
