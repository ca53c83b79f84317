"""Test shop configuration, one sync round and the `wms sync` / `wms worker` commands."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.integrations.sync_helpers import configure_shop, mirror_catalog
from wms.db import db
from wms.domain.orders.models import Order
from wms.integrations.prestashop.shops import configured_shops, parse_states, shop_settings
from wms.integrations.prestashop.sync import run_round
from wms.sync_cli import sync, worker

KEY = "K" * 32


def test_first_shop_from_url_and_key_and_more_from_json():
    config = {
        "PRESTASHOP_URL": "https://one.example/api", "PRESTASHOP_KEY": KEY,
        "PRESTASHOP_IMPORT_STATES": "2,3",
        "PRESTASHOP_SHOPS": '[{"name": "eu", "url": "https://eu.example/api", "key": "%s",'
                            ' "import_states": [2, 9], "shipped_state": 15}]' % KEY,
    }
    default, eu = configured_shops(config)
    assert default.name == "default" and default.import_states == {2, 3}
    assert default.client_config.base_url == "https://one.example/api"
    assert eu.name == "eu" and eu.import_states == {2, 9}
    assert eu.shipped_state == 15 and 15 in eu.shipped_states
    # Flask parses WMS_* values as JSON: an object of shops and a bare int are accepted too.
    config["PRESTASHOP_SHOPS"] = {"eu": {"url": "https://eu.example/api", "key": KEY}}
    config["PRESTASHOP_IMPORT_STATES"] = 2
    # The global setting applies to every shop that does not set its own.
    assert [s.import_states for s in configured_shops(config)] == [{2}, {2}]


@pytest.mark.parametrize(("config", "match"), [
    ({"PRESTASHOP_SHOPS": "not json"}, "must be JSON"),
    ({"PRESTASHOP_SHOPS": [{"url": "https://x.example/api", "key": KEY}]}, "needs a \"name\""),
    ({"PRESTASHOP_SHOPS": [{"name": "x", "key": KEY}]}, "no webservice URL"),
    ({"PRESTASHOP_URL": "https://x.example/api", "PRESTASHOP_KEY": ""}, "WMS_PRESTASHOP_KEY"),
    ({"PRESTASHOP_URL": "https://x.example/api", "PRESTASHOP_KEY": KEY, "PRESTASHOP_IMPORT_STATES": "2,x"},
     "PRESTASHOP_IMPORT_STATES"),
])
def test_bad_shop_configuration_says_what_to_fix(config, match):
    with pytest.raises(ValueError, match=match):
        configured_shops(config)


def test_unknown_shop_name_is_refused():
    with pytest.raises(LookupError, match="not configured"):
        shop_settings("nowhere", {})
    assert parse_states("[2, 3]", "X") == {2, 3}


def test_one_round_imports_sends_and_pushes(app, fake_shop, shop_url):
    configure_shop(app, shop_url, fake_shop.key)
    fake_shop.generate_orders(30, seed=2)
    mirror_catalog(fake_shop)
    report = run_round(app.config)
    assert not report.errors
    assert report.imports["default"].imported == 30
    assert report.outbox.done == 0 and report.requests > 0
    assert report.stock["default"].pushed > 0  # the warehouse is empty: every SKU goes to 0

    again = run_round(app.config)
    assert again.imports["default"].imported == 0 and again.stock["default"].pushed == 0


def test_a_shop_that_is_down_is_reported_without_stopping_the_round(app, fake_shop, shop_url):
    configure_shop(app, shop_url, fake_shop.key, PRESTASHOP_MAX_RETRIES=0)
    fake_shop.webservice_enabled = False
    report = run_round(app.config)
    assert any("import failed" in e for e in report.errors)


def test_sync_and_worker_commands(app, fake_shop, shop_url):
    configure_shop(app, shop_url, fake_shop.key)
    fake_shop.generate_orders(5, seed=4)
    mirror_catalog(fake_shop)
    runner = app.test_cli_runner()
    result = runner.invoke(sync, ["--no-stock"])
    assert result.exit_code == 0, result.output
    assert "default: imported 5" in result.output
    result = runner.invoke(worker, ["--once", "--interval", "1"])
    assert result.exit_code == 0, result.output
    assert "imported 0" in result.output
    assert runner.invoke(worker, ["--interval", "0"]).exit_code != 0
    assert db.session.scalar(select(func.count()).select_from(Order)) == 5
