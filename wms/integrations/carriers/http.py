"""One HTTP call to a carrier, with its failures turned into a CarrierError sentence."""
from __future__ import annotations

import logging

import requests

from wms.domain.shipping.carriers import CarrierError, redact
from wms.i18n import _

log = logging.getLogger("wms.carriers")
DEFAULT_TIMEOUT = 20.0  # seconds; an account may set "timeout"


def call(name: str, account: dict, method: str, url: str, **kwargs) -> requests.Response:
    """Send one request; raise CarrierError when the carrier cannot be reached or is down.

    A 4xx is returned to the adapter (it reads the carrier's reason); a 5xx or no answer is
    "down". A read timeout is `unknown`: the carrier may have done it, so a retry looks first.
    """
    timeout = float(account.get("timeout") or DEFAULT_TIMEOUT)
    try:
        response = requests.request(method, url, timeout=(min(5.0, timeout), timeout),
                                    allow_redirects=False, **kwargs)
    except requests.ConnectTimeout:
        raise CarrierError(_("%(name)s cannot be reached (no connection within 5 s): try again "
                             "in a few minutes.", name=name), "down") from None
    except requests.Timeout:
        raise CarrierError(_("%(name)s did not answer within %(timeout)s s: try again (the WMS "
                             "checks first whether the shipment was created, so nothing ships "
                             "twice).", name=name, timeout=format(timeout, 'g')),
                           "timeout", unknown=True) from None
    except requests.ConnectionError:
        raise CarrierError(_("%(name)s cannot be reached: try again in a few minutes.", name=name), "down") from None
    # Never the request headers or body: they hold the credentials.
    log.info("%s %s %s -> %s", name, method, redact(url, account), response.status_code)
    if response.status_code >= 500:
        raise CarrierError(_("%(name)s is not working right now (HTTP %(status_code)s): try "
                             "again in a few minutes.", name=name, status_code=response.status_code), "down", unknown=method == "POST")
    return response
