"""Colissimo's label web service (SLS, REST/JSON): generateLabel gives the parcel number and
the label in one multipart answer. Field by field sources: docs/carriers.md."""
from __future__ import annotations

import json
from datetime import date

from wms.domain.shipping.carriers import CarrierError, CreatedLabel, LabelRequest
from wms.integrations.carriers.http import call
from wms.i18n import _

DEFAULT_URL = "https://ws.colissimo.fr/sls-ws/SlsServiceWSRest/2.0"
PRINTING = {"pdf": "PDF_10x15_300dpi", "zpl": "ZPL_10x15_203dpi"}
TRACKING = "https://www.laposte.fr/outils/suivre-vos-envois?code="


class ColissimoAdapter:
    """One generateLabel call per parcel; productCode from the carrier's service code."""

    needs_scan = False
    creates_labels = True
    formats = ("pdf", "zpl")
    name = "Colissimo"

    def assign(self, carrier, parcel, scanned=None):
        raise CarrierError(_("Colissimo gives the parcel number when the label is generated."))

    def _body(self, account: dict, request: LabelRequest) -> dict:
        to, sender = request.recipient, request.sender
        first, _, last = (to.name or "").strip().partition(" ")
        if not last:
            first, last = "", first
        addressee = {"lastName": last, "firstName": first, "companyName": to.company,
                     "line2": to.address1, "line3": to.address2, "countryCode": to.country,
                     "city": to.city, "zipCode": to.postcode, "email": to.email}
        if to.phone:
            addressee["phoneNumber"] = to.phone
            # Relay products notify the customer by text message: the mobile number is needed.
            addressee["mobileNumber"] = to.phone
        service = {"productCode": request.service_code or "DOM",
                   "depositDate": date.today().isoformat(),
                   "orderNumber": request.order_reference[:30],
                   "commercialName": sender.company or sender.name}
        parcel = {"weight": round(request.weight_g / 1000, 2)}
        if request.relay_point_id:
            parcel["pickupLocationId"] = request.relay_point_id
        return {
            "contractNumber": str(account.get("contract_number") or ""),
            "password": str(account.get("password") or ""),
            "outputFormat": {"x": 0, "y": 0,
                             "outputPrintingType": PRINTING.get(request.label_format, PRINTING["pdf"])},
            "letter": {
                "service": service,
                "parcel": parcel,
                "sender": {"senderParcelRef": request.reference,
                           "address": {"companyName": sender.company or sender.name,
                                       "line2": sender.address1, "line3": sender.address2,
                                       "countryCode": sender.country, "city": sender.city,
                                       "zipCode": sender.postcode, "phoneNumber": sender.phone,
                                       "email": sender.email}},
                "addressee": {"addresseeParcelRef": request.order_reference[:17],
                              "address": addressee},
            },
        }

    def create(self, account: dict, request: LabelRequest) -> CreatedLabel:
        url = (account.get("url") or DEFAULT_URL).rstrip("/") + "/generateLabel"
        response = call(self.name, account, "POST", url, json=self._body(account, request))
        info, label = parse_multipart(response.headers.get("Content-Type") or "", response.content)
        errors = [m for m in info.get("messages") or [] if str(m.get("type", "")).upper() == "ERROR"]
        number = ((info.get("labelV2Response") or {}).get("parcelNumber") or "").strip()
        if errors or response.status_code != 200 or not number or not label:
            raise self._error(response.status_code, errors)
        fmt = "zpl" if not label.startswith(b"%PDF") else "pdf"
        return CreatedLabel(tracking_number=number, label=label, label_format=fmt,
                            external_id=number, tracking_url=TRACKING + number)

    def find(self, account: dict, request: LabelRequest) -> CreatedLabel | None:
        # SLS has no look-up by our reference. A label generated but never handed over is
        # never billed (Colissimo invoices parcels handed to it, not printed labels), so a
        # retry after a timeout generates a new label and the lost one simply goes unused.
        return None

    def cancel(self, account: dict, external_id: str | None, tracking_number: str | None) -> str:
        # SLS offers no cancellation: an unused Colissimo label is not billed. Nothing to call.
        return _("Colissimo bills only parcels handed over to it: this label is void once torn "
                 "off, there is nothing to cancel.")

    def tracking_url(self, account: dict, tracking_number: str) -> str | None:
        return TRACKING + tracking_number

    def close_manifest(self, account: dict, tracking_numbers: list[str]) -> tuple[bytes, str]:
        """The deposit slip (bordereau) of the parcels handed over: its PDF and its number."""
        url = (account.get("url") or DEFAULT_URL).rstrip("/") + "/generateBordereauByParcelsNumbers"
        body = {"contractNumber": str(account.get("contract_number") or ""),
                "password": str(account.get("password") or ""),
                "generateBordereauParcelNumberList": {"parcelsNumbers": list(tracking_numbers)}}
        response = call(self.name, account, "POST", url, json=body)
        info, document = parse_multipart(response.headers.get("Content-Type") or "", response.content,
                                         document_ids=("<bordereau>",))
        errors = [m for m in info.get("messages") or [] if str(m.get("type", "")).upper() == "ERROR"]
        if errors or response.status_code != 200 or not document:
            raise self._error(response.status_code, errors)
        number = str((info.get("bordereauHeader") or {}).get("bordereauNumber") or "")
        return document, number

    def _error(self, status: int, errors: list[dict]) -> CarrierError:
        if not errors:
            return CarrierError(_("Colissimo answered without a label (HTTP %(status)s): try "
                                  "again.", status=status),
                                "down", unknown=True)
        first = errors[0]
        code, text = str(first.get("id") or ""), str(first.get("messageContent") or "").strip()
        lowered = text.lower()
        if code == "30000" or "mot de passe" in lowered or status in (401, 403):
            return CarrierError(_("Colissimo refused the contract number or password (%(text)s): "
                                  "an administrator checks the carrier account.", text=text), "auth")
        if "poids" in lowered or "weight" in lowered:
            kind = "weight"
        elif "code postal" in lowered or "zipcode" in lowered:
            kind = "postcode"
        elif "pickuplocationid" in lowered or ("point" in lowered and "retrait" in lowered):
            kind = "relay"
        elif any(w in lowered for w in ("adresse", "ville", "commune", "destinataire", "address")):
            kind = "address"
        else:
            kind = "refused"
        return CarrierError(_("Colissimo refused the parcel: %(text)s (code %(code)s).",
                              text=text, code=code), kind)


def parse_multipart(content_type: str, body: bytes,
                    document_ids: tuple[str, ...] = ("<label>",)) -> tuple[dict, bytes | None]:
    """Split SLS's multipart answer into its JSON part (Content-ID <jsonInfos>) and the
    document (Content-ID <label>, or <bordereau> for a deposit slip); a plain JSON answer
    gives (json, None)."""
    if "multipart" not in content_type.lower():
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            return {}, None
        return (data if isinstance(data, dict) else {}), None
    boundary = None
    for param in content_type.split(";")[1:]:
        key, _, value = param.strip().partition("=")
        if key.lower() == "boundary":
            boundary = value.strip().strip('"')
    if not boundary:
        return {}, None
    info: dict = {}
    label = None
    for chunk in body.split(b"--" + boundary.encode())[1:]:
        if chunk.startswith(b"--"):
            break  # the closing delimiter
        head, sep, content = chunk.lstrip(b"\r\n").partition(b"\r\n\r\n")
        if not sep:
            head, sep, content = chunk.lstrip(b"\n").partition(b"\n\n")
        content = content[:-2] if content.endswith(b"\r\n") else content.removesuffix(b"\n")
        headers = head.decode("latin-1").lower()
        if "jsoninfos" in headers or "application/json" in headers:
            try:
                info = json.loads(content.decode("utf-8", errors="replace"))
            except ValueError:
                info = {}
        elif any(cid in headers for cid in document_ids) or "octet-stream" in headers:
            label = content
    return info, label
