"""Sendcloud's Shipping API v2 (parcels): create and announce a parcel, download its label,
look it up by our reference, cancel it. Field by field sources: docs/carriers.md."""
from __future__ import annotations

from wms.domain.shipping.carriers import CarrierError, CreatedLabel, LabelRequest
from wms.integrations.carriers.http import call
from wms.i18n import _

DEFAULT_URL = "https://panel.sendcloud.sc/api/v2"
ACCEPT = {"pdf": "application/pdf", "zpl": "application/zpl"}


class SendcloudAdapter:
    """One Sendcloud parcel per WMS parcel, announced at once (request_label: true)."""

    needs_scan = False
    creates_labels = True
    formats = ("pdf", "zpl")
    name = "Sendcloud"

    def assign(self, carrier, parcel, scanned=None):
        raise CarrierError(_("Sendcloud gives the tracking number when the label is created."))

    # ------------------------------------------------------------ calls

    def _url(self, account: dict, path: str) -> str:
        return (account.get("url") or DEFAULT_URL).rstrip("/") + path

    def _auth(self, account: dict) -> tuple[str, str]:
        # Basic authentication: the API public key as user name, the secret key as password.
        return (str(account.get("public_key") or ""), str(account.get("secret_key") or ""))

    def _payload(self, account: dict, request: LabelRequest) -> dict:
        to, sender = request.recipient, request.sender
        parcel = {
            "name": to.name, "company_name": to.company, "address": to.address1,
            "address_2": to.address2, "city": to.city, "postal_code": to.postcode,
            "country": to.country, "telephone": to.phone, "email": to.email,
            "weight": f"{request.weight_g / 1000:.3f}",
            "order_number": request.order_reference,
            "external_reference": request.reference,
            "request_label": True,
            "apply_shipping_rules": False,
            "quantity": 1,
            "from_name": sender.name, "from_company_name": sender.company,
            "from_address_1": sender.address1, "from_address_2": sender.address2,
            "from_city": sender.city, "from_postal_code": sender.postcode,
            "from_country": sender.country, "from_telephone": sender.phone,
            "from_email": sender.email,
        }
        if account.get("sender_address"):
            parcel["sender_address"] = int(account["sender_address"])
        if request.service_code:
            parcel["shipment"] = {"id": int(request.service_code)}
        if request.relay_point_id:
            parcel["to_service_point"] = int(request.relay_point_id)
        return {"parcel": parcel}

    def create(self, account: dict, request: LabelRequest) -> CreatedLabel:
        if request.service_code and not str(request.service_code).isdecimal():
            raise CarrierError(_("The Sendcloud shipping method “%(service_code)s” is not a "
                                 "number: a supervisor fixes the carrier's service code.",
                                 service_code=request.service_code), "refused")
        if request.relay_point_id and not str(request.relay_point_id).isdecimal():
            raise CarrierError(_("The service point “%(relay_point_id)s” is not a Sendcloud "
                                 "service point id: fix it on the order page.",
                                 relay_point_id=request.relay_point_id), "relay")
        response = call(self.name, account, "POST", self._url(account, "/parcels"),
                        auth=self._auth(account), json=self._payload(account, request))
        if response.status_code not in (200, 201):
            raise self._error(response)
        parcel = (response.json() or {}).get("parcel") or {}
        return self._label_of(account, parcel, request)

    def find(self, account: dict, request: LabelRequest) -> CreatedLabel | None:
        response = call(self.name, account, "GET", self._url(account, "/parcels"),
                        auth=self._auth(account), params={"external_reference": request.reference})
        if response.status_code != 200:
            raise self._error(response)
        for parcel in (response.json() or {}).get("parcels") or []:
            if parcel.get("external_reference") != request.reference:
                continue
            status = parcel.get("status") or {}
            if status.get("id") == 1002:  # announcement failed: the carrier refused it
                raise CarrierError(_("Sendcloud refused the parcel: %(message)s",
                                     message=status.get("message") or _("announcement failed")),
                                   "refused")
            if status.get("id") not in (2000, 1999):  # cancelled, being cancelled
                return self._label_of(account, parcel, request)
        return None

    def cancel(self, account: dict, external_id: str | None, tracking_number: str | None) -> str:
        if not external_id:
            raise CarrierError(_("This parcel has no Sendcloud id: cancel it in the Sendcloud "
                                 "panel."))
        response = call(self.name, account, "POST",
                        self._url(account, f"/parcels/{int(external_id)}/cancel"),
                        auth=self._auth(account))
        body = _json(response)
        if response.status_code == 200:
            return body.get("message") or _("Cancelled at Sendcloud.")
        if response.status_code == 202:  # queued: Sendcloud cancels it if nothing happens to it
            return body.get("message") or _("Cancellation queued at Sendcloud.")
        if response.status_code in (404, 410):  # gone, or its announcement had failed (deleted)
            return _("Sendcloud no longer has this parcel.")
        if "already" in (body.get("message") or "").lower() and "cancel" in body.get("message", "").lower():
            return body["message"]  # cancelled earlier (e.g. by a retry whose answer was lost)
        raise CarrierError(_("Sendcloud did not cancel the parcel: %(message)s",
                             message=body.get("message") or _message(body)
                             or "HTTP %s" % response.status_code))

    def tracking_url(self, account: dict, tracking_number: str) -> str | None:
        return None  # Sendcloud gives each parcel's tracking_url in its answer

    # ------------------------------------------------------------ answers

    def _label_of(self, account: dict, parcel: dict, request: LabelRequest) -> CreatedLabel:
        number = parcel.get("tracking_number")
        if not number or not parcel.get("id"):
            status = (parcel.get("status") or {}).get("message") or "no label was created"
            raise CarrierError(_("Sendcloud created the parcel but gave no tracking number "
                                 "(%(status)s).", status=status),
                               "refused", unknown=True)
        fmt = request.label_format if request.label_format in self.formats else "pdf"
        response = call(self.name, account, "GET",
                        self._url(account, f"/parcels/{int(parcel['id'])}/documents/label"),
                        auth=self._auth(account), headers={"Accept": ACCEPT[fmt]},
                        params={"paper_size": "a6", "dpi": 203 if fmt == "zpl" else 72})
        if response.status_code != 200:
            raise CarrierError(_("Sendcloud created parcel %(number)s but its label could not be "
                                 "downloaded (%(value)s): try again.",
                                 number=number, value=_message(_json(response)) or response.status_code), "down", unknown=True)
        kind = (response.headers.get("Content-Type") or "").split(";")[0].strip()
        got = "zpl" if kind == "application/zpl" or not response.content.startswith(b"%PDF") else "pdf"
        return CreatedLabel(tracking_number=str(number), label=response.content, label_format=got,
                            external_id=str(parcel["id"]), tracking_url=parcel.get("tracking_url"))

    def _error(self, response) -> CarrierError:
        body = _json(response)
        message = _message(body) or f"HTTP {response.status_code}"
        if response.status_code in (401, 403):
            return CarrierError(_("Sendcloud refused the API keys (%(message)s): an "
                                  "administrator checks the carrier account.", message=message), "auth")
        return CarrierError(_("Sendcloud refused the parcel: %(message)s", message=message), _kind(message))


def _json(response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _message(body: dict) -> str:
    """The reason in Sendcloud's error answer: {"error": {"code", "message", "request"}}, or
    the per-field lists of a failed parcel ({"failed_parcels": [{"errors": {field: [..]}}]})."""
    error = body.get("error")
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"]).strip()
    for failed in body.get("failed_parcels") or []:
        errors = failed.get("errors") or {}
        parts = [f"{field}: {' '.join(map(str, msgs if isinstance(msgs, list) else [msgs]))}"
                 for field, msgs in errors.items()]
        if parts:
            return "; ".join(parts)
    return str(body.get("message") or "").strip()


def _kind(message: str) -> str:
    text = message.lower()
    if "weight" in text:
        return "weight"
    if "postal" in text or "postcode" in text or "zip" in text:
        return "postcode"
    if "service point" in text or "service_point" in text:
        return "relay"
    if any(word in text for word in ("address", "city", "house number", "country", "name")):
        return "address"
    return "refused"
