"""Fixtures for the PrestaShop client tests: a fake shop served over HTTP and clients for it."""

from __future__ import annotations

import pytest

from tests.fakeshop import FakeShop, serve
from wms.integrations.prestashop.client import PrestaShopClient, ShopConfig


class SleepRecorder:
    """Stand in for time.sleep: record the backoff waits instead of sleeping them."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def fake_shop() -> FakeShop:
    """Return a fresh fake PrestaShop 8 with one language."""
    return FakeShop()


@pytest.fixture
def shop_url(fake_shop):
    """Serve ``fake_shop`` on 127.0.0.1 and return its ``.../api`` base URL."""
    with serve(fake_shop) as url:
        yield url


@pytest.fixture
def sleeps() -> SleepRecorder:
    """Return the recorder the clients use instead of time.sleep."""
    return SleepRecorder()


@pytest.fixture
def make_client(shop_url, fake_shop, sleeps):
    """Return a factory of clients for the served fake shop; keyword arguments override ShopConfig."""
    clients: list[PrestaShopClient] = []

    def make(**overrides) -> PrestaShopClient:
        settings = dict(
            base_url=shop_url, key=fake_shop.key, timeout=(2.0, 5.0),
            max_retries=3, backoff_base=0.001, name="test-shop",
        )
        settings.update(overrides)
        client = PrestaShopClient(ShopConfig(**settings), sleep=sleeps)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def shop_client(make_client) -> PrestaShopClient:
    """Return a client for the served fake shop with tiny backoffs."""
    return make_client()
