"""Dates, times and numbers on the desk the reader's way (issue 18): stored in UTC, shown in
the warehouse's time zone (WMS_TIMEZONE, Europe/Paris by default) and written as the
locale writes them ("28 nov. 2026, 00:30" in French, "Nov 28, 2026, 12:30 AM" in English)."""
from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from wms.db import db
from wms.domain.orders.models import Order, OrderLine, record_event
from wms.web import formats

WINTER = datetime(2026, 11, 27, 23, 30, tzinfo=UTC)  # Paris is UTC+1: 00:30 on the 28th
SUMMER = datetime(2026, 7, 14, 22, 30, tzinfo=UTC)   # Paris is UTC+2: 00:30 on the 15th


def fmt(app, language, fn, *args, **kwargs):
    with app.test_request_context("/", headers={"Accept-Language": language}):
        return fn(*args, **kwargs)


def test_times_are_shown_in_paris_the_next_day_after_2330_utc(app):
    assert app.config["TIMEZONE"] == "Europe/Paris"
    assert fmt(app, "fr", formats.format_datetime, WINTER) == "28 nov. 2026, 00:30"
    assert fmt(app, "fr", formats.format_datetime, SUMMER) == "15 juil. 2026, 00:30"
    assert fmt(app, "en", formats.format_datetime, WINTER) == "Nov 28, 2026, 12:30\u202fAM"
    assert fmt(app, "fr", formats.format_datetime, WINTER, "short") == "28 nov., 00:30"
    assert fmt(app, "fr", formats.format_datetime, WINTER, "medium") == "28 nov. 2026, 00:30:00"
    assert fmt(app, "fr", formats.format_date, WINTER) == "28 nov. 2026"
    assert fmt(app, "fr", formats.format_time, SUMMER) == "00:30"
    assert fmt(app, "fr", formats.format_time, SUMMER, "medium") == "00:30:00"
    # A naive time read from an older row is UTC too.
    assert fmt(app, "fr", formats.format_datetime, WINTER.replace(tzinfo=None)) == "28 nov. 2026, 00:30"


def test_another_time_zone_is_taken_from_the_configuration(app):
    app.config["TIMEZONE"] = "America/Montreal"
    assert fmt(app, "fr", formats.format_datetime, WINTER) == "27 nov. 2026, 18:30"


def test_dates_wall_clock_times_numbers_and_percentages(app):
    assert fmt(app, "fr", formats.format_date, date(2026, 11, 28)) == "28 nov. 2026"
    assert fmt(app, "en", formats.format_date, date(2026, 11, 28)) == "Nov 28, 2026"
    assert fmt(app, "fr", formats.format_date, date(2026, 11, 27), "EEE d MMM") == "ven. 27 nov."
    # A carrier's cut-off is a wall-clock time of the warehouse: not moved to another zone.
    assert fmt(app, "fr", formats.format_time, time(15, 0), rebase=False) == "15:00"
    assert fmt(app, "fr", formats.format_number, 1.5, 2) == "1,50"
    assert fmt(app, "en", formats.format_number, 1.5, 2) == "1.50"
    assert fmt(app, "fr", formats.format_number, 1234.5) == "1\u202f234,5"
    assert fmt(app, "fr", formats.format_percent, 0.1234, 1) == "12,3\u00a0%"
    assert fmt(app, "en", formats.format_percent, 0.1234, 1) == "12.3%"
    assert fmt(app, "fr", formats.format_datetime, None) == ""


@pytest.fixture
def order(app):
    order = Order(reference="WEB-2001", customer_name="Ada", ship_name="Ada",
                  lines=[OrderLine(line_no=1, sku="SKU-1", name="Thing", quantity=1)])
    db.session.add(order)
    db.session.flush()
    event = record_event(order, "imported", "Imported from the shop.")
    db.session.flush()
    for e in order.events:
        e.created_at = WINTER
    order.ship_by = SUMMER
    db.session.commit()
    return order


def test_the_order_page_shows_its_times_in_paris_in_the_readers_language(client, login_as, order):
    login_as("supervisor")
    french = client.get(f"/desk/orders/{order.id}", headers={"Accept-Language": "fr"})
    html = french.get_data(as_text=True)
    assert french.status_code == 200
    assert "28 nov. 2026, 00:30" in html and "15 juil. 2026, 00:30" in html
    assert "UTC" not in html
    assert "Historique" in html and "À expédier avant" in html
    english = client.get(f"/desk/orders/{order.id}").get_data(as_text=True)
    assert "Nov 28, 2026, 12:30\u202fAM" in english and "History" in english
    # The list shows the short form, without the year.
    listing = client.get("/desk/orders", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "15 juil., 00:30" in listing


def test_pages_answer_in_french_headings_flashes_and_errors(client, login_as, order):
    login_as("supervisor")
    fr = {"Accept-Language": "fr-FR,fr;q=0.9"}
    assert "L'entrepôt aujourd'hui" in client.get("/desk/", headers=fr).get_data(as_text=True)
    r = client.post(f"/desk/orders/{order.id}/hold", data={"reason": "client absent"}, headers=fr)
    assert r.status_code == 302
    page = client.get(f"/desk/orders/{order.id}", headers=fr).get_data(as_text=True)
    assert "En attente : client absent" in page
    missing = client.get("/desk/no-such-page", headers=fr)
    assert missing.status_code == 404
    text = missing.get_data(as_text=True)
    assert "Introuvable" in text and "Il n&#39;y a rien à cette adresse." in text
    # English still for a browser that asks for nothing.
    assert "There is nothing at this address." in client.get("/desk/nope").get_data(as_text=True)
