"""`wms worker --heartbeat FILE` touches the file after each round (the container's health check)."""
from __future__ import annotations

from tests.integrations.sync_helpers import configure_shop
from wms.sync_cli import worker


def test_worker_touches_its_heartbeat_after_a_round(app, fake_shop, shop_url, tmp_path):
    configure_shop(app, shop_url, fake_shop.key)
    beat = tmp_path / "worker.alive"
    result = app.test_cli_runner().invoke(worker, ["--once", "--heartbeat", str(beat)])
    assert result.exit_code == 0, result.output
    assert beat.exists()


def test_worker_without_a_shop_still_runs_its_rounds_and_beats(app, tmp_path):
    """With no shop the worker still delivers webhooks (docs/webhooks.md), so it is alive."""
    beat = tmp_path / "worker.alive"
    result = app.test_cli_runner().invoke(worker, ["--once", "--heartbeat", str(beat)])
    assert result.exit_code == 0, result.output
    assert "round failed" not in result.output
    assert beat.exists()
