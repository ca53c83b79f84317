"""Every desk page follows the chosen site (issue 14): the dashboard's numbers, receipts, counts,
returns and exceptions show the chosen site's rows; "All sites" shows every one; a single site
sees no selector and the same numbers."""
from __future__ import annotations

import re

from sqlalchemy import select

from tests.domain.test_sites import order_of, two_sites  # noqa: F401 (fixture)
from wms.db import db
from wms.domain.counts import services as count_services
from wms.domain.counts.models import CountStatus, CountTask
from wms.domain.inventory import services as inventory
from wms.domain.locations.models import Location
from wms.domain.orders.models import OrderStatus
from wms.domain.receiving import services as receiving
from wms.domain.returns.models import CustomerReturn, ReturnStatus


def _bin(code: str) -> Location:
    return db.session.execute(select(Location).where(Location.code == code)).scalar_one()


def _two_sites_at_work(s):
    """Paris: 2 allocated orders, a bin to count with its task, a receipt received there.
    Lyon: 1 backordered order short of stock, 1 held order, 2 bins to count, a count to approve,
    a receipt expected there. One receipt of no site (older than sites); one return per site."""
    orders = {}
    for ref, site, status in (("P-1", s.paris, OrderStatus.ALLOCATED), ("P-2", s.paris, OrderStatus.ALLOCATED),
                              ("L-SHORT", s.lyon, OrderStatus.BACKORDERED), ("L-HELD", s.lyon, OrderStatus.ON_HOLD)):
        order = order_of(s, {"SKU-A": 1}, reference=ref)
        order.warehouse_id, order.status = site.id, status
        orders[ref] = order
    for code in ("A-02-01-1", "B-01-01-1", "B-02-01-1"):
        _bin(code).needs_count = True
    count_services.create_count(user=s.supervisor, location=_bin("A-02-01-1"), note="paris")
    in_review = count_services.create_count(user=s.supervisor, location=_bin("B-02-01-1"), note="lyon")
    in_review.status = CountStatus.REVIEW
    receipts = {}
    for name, site in (("paris", s.paris), ("lyon", s.lyon), ("nowhere", None)):
        receipt = receiving.create_receipt([("SKU-B", 5)], supplier=f"Supplier {name}", user=s.supervisor,
                                           warehouse_id=site.id if site else None)
        if site is None:
            receipt.warehouse_id = None  # a receipt made before sites: any site's
        receipts[name] = receipt
    for ref in ("P-1", "L-HELD"):
        db.session.add(CustomerReturn(order_id=orders[ref].id, status=ReturnStatus.EXPECTED, source="desk",
                                      reason=f"return of {ref}"))
    db.session.flush()
    return orders, receipts


def _metrics(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-metric="([a-z_-]+)"><span class="num[^"]*">([^<]*)</span>', html))


def test_the_dashboard_counts_for_one_site_or_all(client, login_as, two_sites):
    s = two_sites()
    _two_sites_at_work(s)
    db.session.commit()
    login_as("supervisor")
    wanted = {"all": {"orders-allocated": "2", "orders-backordered": "1", "orders-on_hold": "1",
                      "lines-short": "1", "bins-to-count": "3", "counts-review": "1", "receipts-open": "3"},
              s.paris.id: {"orders-allocated": "2", "orders-backordered": "0", "orders-on_hold": "0",
                           "lines-short": "0", "bins-to-count": "1", "counts-review": "0", "receipts-open": "2"},
              s.lyon.id: {"orders-allocated": "0", "orders-backordered": "1", "orders-on_hold": "1",
                          "lines-short": "1", "bins-to-count": "2", "counts-review": "1", "receipts-open": "2"}}
    for site, numbers in wanted.items():
        page = client.get(f"/desk/?site={site}").get_data(as_text=True)
        got = _metrics(page)
        assert {k: got[k] for k in numbers} == numbers, site
        # The live fragment follows the same choice (kept in the session).
        assert {k: v for k, v in _metrics(client.get("/desk/dashboard/numbers").get_data(as_text=True)).items()
                if k in numbers} == numbers
        # The shop sync is one for every site: said only when filtered.
        assert ("not filtered" in page) is (site != "all")
        assert 'name="site"' in page


def test_receipts_counts_returns_and_exceptions_list_the_chosen_site(client, login_as, two_sites):
    s = two_sites()
    orders, receipts = _two_sites_at_work(s)
    db.session.commit()
    login_as("supervisor")
    codes = {name: r.code for name, r in receipts.items()}

    def page(url):
        r = client.get(url)
        assert r.status_code == 200
        return r.get_data(as_text=True)

    # Receipts: those expected at the site, and those of no site.
    for site, shown, hidden in ((s.paris.id, ("paris", "nowhere"), ("lyon",)),
                                (s.lyon.id, ("lyon", "nowhere"), ("paris",)), ("all", ("paris", "lyon", "nowhere"), ())):
        html = page(f"/desk/receipts?site={site}")
        assert all(f">{codes[n]}<" in html for n in shown) and not any(f">{codes[n]}<" in html for n in hidden)
    # Counts: tasks and flagged bins of the site.
    html = page(f"/desk/counts?site={s.lyon.id}")
    assert "B-02-01-1" in html and "B-01-01-1" in html and "A-02-01-1" not in html
    html = page(f"/desk/counts?site={s.paris.id}")
    assert "A-02-01-1" in html and "B-0" not in html
    # "Count every flagged bin" filtered to Lyon makes tasks for Lyon's bins only.
    assert client.post(f"/desk/counts?site={s.lyon.id}", data={"flagged": "1"}).status_code == 302
    db.session.expire_all()
    subjects = sorted(t.subject for t in db.session.execute(select(CountTask)).scalars())
    assert subjects == ["A-02-01-1", "B-01-01-1", "B-02-01-1"]  # B-01 added; B-02 had one, Paris untouched
    html = page("/desk/counts?site=all")
    assert "B-01-01-1" in html and "A-02-01-1" in html
    # Returns: those of the site's orders.
    html = page(f"/desk/returns?site={s.paris.id}&view=all")
    assert "P-1" in html and "L-HELD" not in html
    html = page(f"/desk/returns?site={s.lyon.id}&view=all")
    assert "L-HELD" in html and "P-1" not in html
    html = page("/desk/returns?site=all&view=all")
    assert "L-HELD" in html and "P-1" in html
    # Exceptions: Lyon's short line, held order and count; Paris has only its flagged bin.
    short, held = (f">SO-{orders[ref].id}<" for ref in ("L-SHORT", "L-HELD"))
    html = page(f"/desk/exceptions?site={s.lyon.id}")
    assert short in html and held in html and "B-02-01-1" in html and "A-02-01-1" not in html
    html = page(f"/desk/exceptions?site={s.paris.id}")
    assert short not in html and held not in html and "A-02-01-1" in html
    html = page("/desk/exceptions?site=all")
    assert short in html and held in html and "A-02-01-1" in html and "B-02-01-1" in html


def test_a_bad_site_choice_is_all_sites_and_never_a_500(client, login_as, two_sites):
    s = two_sites()
    _two_sites_at_work(s)
    db.session.commit()
    login_as("supervisor")
    for bad in ("x'", "99999999999", "-1", "١٢"):
        for url in ("/desk/", "/desk/receipts", "/desk/counts", "/desk/returns", "/desk/exceptions"):
            r = client.get(url, query_string={"site": bad})
            assert r.status_code == 200, (url, bad)
    # An unknown site id lists nothing of the others'.
    assert _metrics(client.get("/desk/?site=424242").get_data(as_text=True))["orders-allocated"] == "0"


def test_one_site_sees_no_selector_and_every_row(client, login_as, make_warehouse, make_location, make_product):
    site = make_warehouse()
    bin_ = make_location("A-01-01-1")
    bin_.needs_count = True
    db.session.commit()
    login_as("supervisor")
    # Even a site remembered in the session (or typed) changes nothing with a single site.
    for url in ("/desk/?site=424242", "/desk/", "/desk/counts", "/desk/exceptions", "/desk/receipts", "/desk/returns"):
        html = client.get(url).get_data(as_text=True)
        assert 'name="site"' not in html
    assert _metrics(client.get("/desk/").get_data(as_text=True))["bins-to-count"] == "1"
    assert site.id


def test_the_returns_rate_counts_the_chosen_site(client, login_as, two_sites):
    from wms.domain.inventory.models import MoveReason
    from wms.domain.returns.models import ReturnCondition, ReturnItem, ReturnLine

    s = two_sites(paris={"SKU-A": 10}, lyon={"SKU-A": 10})
    orders, _receipts = _two_sites_at_work(s)
    shirt = s.products["SKU-A"]
    inventory.remove(shirt, _bin("A-01-01-1"), 4, reason=MoveReason.SHIPPED)  # Paris ships 4
    inventory.remove(shirt, _bin("B-01-01-1"), 2, reason=MoveReason.SHIPPED)  # Lyon ships 2
    for ret in db.session.execute(select(CustomerReturn)).scalars():
        line = ReturnLine(sku="SKU-A", name=shirt.name, product_id=shirt.id, shipped=1, announced=1)
        ret.lines.append(line)
        db.session.flush()
        ret.items.append(ReturnItem(return_line_id=line.id, product_id=shirt.id, code="SKU-A", quantity=1,
                                    condition=ReturnCondition.SELLABLE))
    db.session.commit()
    login_as("supervisor")
    for site, shipped, returned in ((s.paris.id, 4, 1), (s.lyon.id, 2, 1), ("all", 6, 2)):
        html = client.get(f"/desk/returns/rate?site={site}").get_data(as_text=True)
        row = re.search(r"<td>SKU-A</td><td>[^<]*</td><td class=\"n\">(\d+)</td><td class=\"n\">(\d+)</td>", html)
        assert row and (int(row[1]), int(row[2])) == (shipped, returned), site
    # A bad period is still a sentence, whatever the site.
    r = client.get(f"/desk/returns/rate?site={s.lyon.id}&start=2026-13-01")
    assert r.status_code == 422 and "is not a date" in r.get_data(as_text=True)
