"""Fake carrier APIs served over real HTTP on 127.0.0.1: Sendcloud's parcels API v2 and
Colissimo's SLS generateLabel, answering as their documentation says, errors included
(docs/carriers.md lists the sources). Faults: `down` (HTTP 503), `sleep` seconds before
answering (the work is done first, as a carrier that answers too late would)."""
from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

# The towns the fake knows: postcode -> city (a real carrier checks its national database).
TOWNS = {"75001": "PARIS", "69001": "LYON", "13001": "MARSEILLE", "33000": "BORDEAUX",
         "10115": "BERLIN", "1012": "AMSTERDAM"}
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj 3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 288 432]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def zpl_label(number: str) -> bytes:
    return f"^XA^FO50,50^BCN,100^FD{number}^FS^XZ".encode()


class _Quiet(WSGIRequestHandler):
    def log_request(self, code="-", size="-") -> None:
        pass


class FakeCarrier:
    """State shared by both fakes; tests read it and set faults."""

    def __init__(self):
        self.lock = threading.Lock()
        self.sendcloud_keys = ("pub-key-123", "sec-key-456")
        self.colissimo_login = ("123456", "colis-pass-789")
        self.parcels: dict[int, dict] = {}  # Sendcloud parcels by id
        self.colissimo_labels: list[dict] = []  # every generated Colissimo label
        self.bordereaux: list[list[str]] = []  # parcel numbers of each deposit slip
        self.requests: list[tuple[str, str]] = []  # (method, path)
        self.bodies: list[dict] = []
        self.down = 0  # answer the next N requests with 503
        self.sleep = 0.0  # seconds to wait before answering (after doing the work)
        self.on_sleep = None  # called while sleeping (tests look at the database then)
        self.next_id = 1000
        self.next_number = 1

    # ------------------------------------------------------------ common

    def __call__(self, environ, start_response):
        request = Request(environ)
        with self.lock:
            self.requests.append((request.method, request.path))
            down = self.down > 0
            if down:
                self.down -= 1
        if down:
            response = Response("<html><body>503 Service Unavailable</body></html>", status=503,
                                mimetype="text/html")
        elif request.path.startswith("/sendcloud/api/v2/"):
            response = self.sendcloud(request, request.path.removeprefix("/sendcloud/api/v2"))
        elif request.path == "/colissimo/sls-ws/SlsServiceWSRest/2.0/generateLabel":
            response = self.colissimo(request)
        elif request.path == "/colissimo/sls-ws/SlsServiceWSRest/2.0/generateBordereauByParcelsNumbers":
            response = self.colissimo_bordereau(request)
        else:
            response = Response("", status=404)
        if self.sleep:
            if self.on_sleep:
                self.on_sleep()
            time.sleep(self.sleep)
        return response(environ, start_response)

    def _number(self, prefix: str) -> str:
        with self.lock:
            n = self.next_number
            self.next_number += 1
        return f"{prefix}{n:09d}"

    @staticmethod
    def _address_problem(postcode: str, city: str, street: str) -> str | None:
        if not (street or "").strip():
            return "address"
        town = TOWNS.get((postcode or "").strip())
        if town is None:
            return "postcode"
        if town != (city or "").strip().upper():
            return "mismatch"
        return None

    # ------------------------------------------------------------ Sendcloud v2

    def _sc_error(self, status: int, message: str, path: str) -> Response:
        return Response(json.dumps({"error": {"code": status, "request": f"api/v2{path}",
                                              "message": message}}),
                        status=status, mimetype="application/json")

    def sendcloud(self, request: Request, path: str) -> Response:
        auth = request.headers.get("Authorization", "")
        expected = "Basic " + base64.b64encode(":".join(self.sendcloud_keys).encode()).decode()
        if auth != expected:
            return Response(json.dumps({"error": {"code": 401, "request": f"api/v2{path}",
                                                  "message": "Invalid username/password."}}),
                            status=401, mimetype="application/json")
        if path == "/parcels" and request.method == "POST":
            return self._sc_create(request, path)
        if path == "/parcels" and request.method == "GET":
            ref = request.args.get("external_reference")
            found = [p for p in self.parcels.values() if ref is None or p["external_reference"] == ref]
            return Response(json.dumps({"parcels": found, "next": None, "previous": None}),
                            mimetype="application/json")
        parts = path.strip("/").split("/")
        if len(parts) >= 2 and parts[0] == "parcels" and parts[1].isdecimal():
            parcel = self.parcels.get(int(parts[1]))
            if parcel is None:
                return self._sc_error(404, "No Parcel matches the given query.", path)
            if parts[2:] == ["cancel"] and request.method == "POST":
                if parcel["status"]["id"] == 2000:
                    return Response(json.dumps({"status": "failed", "message": "Parcel has already been cancelled"}),
                                    status=400, mimetype="application/json")
                parcel["status"] = {"id": 2000, "message": "Cancelled"}
                return Response(json.dumps({"status": "cancelled", "message": "Parcel has been cancelled"}),
                                status=202, mimetype="application/json")
            if parts[2:] == ["documents", "label"] and request.method == "GET":
                accept = request.headers.get("Accept", "application/pdf")
                if accept == "application/zpl":
                    return Response(zpl_label(parcel["tracking_number"]), mimetype="application/zpl")
                return Response(PDF, mimetype="application/pdf")
        return self._sc_error(404, "Not found.", path)

    def _sc_create(self, request: Request, path: str) -> Response:
        body = request.get_json(silent=True) or {}
        self.bodies.append(body)
        p = body.get("parcel") or {}
        ref = p.get("external_reference")
        if ref and any(x["external_reference"] == ref for x in self.parcels.values()):
            # "Must be unique across parcels. This field is used to create idempotence."
            return self._sc_error(400, "external_reference: A parcel with this external reference "
                                       "already exists.", path)
        problem = self._address_problem(p.get("postal_code"), p.get("city"), p.get("address"))
        if problem == "mismatch":
            # A carrier-side refusal: the parcel stays in Sendcloud, announcement failed (1002).
            with self.lock:
                pid = self.next_id
                self.next_id += 1
            self.parcels[pid] = {"id": pid, "tracking_number": "", "external_reference": ref,
                                 "status": {"id": 1002, "message": "Announcement failed"}}
        if problem == "address":
            return self._sc_error(400, "address: This field may not be blank.", path)
        if problem == "postcode":
            return self._sc_error(400, f"postal_code: '{p.get('postal_code')}' is not a valid postal "
                                       f"code for country {p.get('country')}.", path)
        if problem == "mismatch":
            return self._sc_error(400, f"The postal code {p.get('postal_code')} does not match the "
                                       f"city {p.get('city')}.", path)
        if float(p.get("weight") or 0) > 23:
            return self._sc_error(400, f"weight: {p.get('weight')} kg exceeds the maximum weight "
                                       "of 23 kg of the chosen shipping method.", path)
        with self.lock:
            pid = self.next_id
            self.next_id += 1
        number = self._number("3SCLD")
        parcel = {"id": pid, "tracking_number": number,
                  "tracking_url": f"https://tracking.sendcloud.sc/forward?code={number}",
                  "external_reference": p.get("external_reference"),
                  "order_number": p.get("order_number"), "name": p.get("name"),
                  "to_service_point": p.get("to_service_point"),
                  "status": {"id": 1000, "message": "Ready to send"},
                  "shipment": p.get("shipment"),
                  "label": {"label_printer": f"https://panel.sendcloud.sc/api/v2/labels/label_printer/{pid}",
                            "normal_printer": []},
                  "documents": [{"type": "label", "size": "a6",
                                 "link": f"https://panel.sendcloud.sc/api/v2/parcels/{pid}/documents/label"}]}
        self.parcels[pid] = parcel
        return Response(json.dumps({"parcel": parcel}), mimetype="application/json")

    # ------------------------------------------------------------ Colissimo SLS

    def colissimo_bordereau(self, request: Request) -> Response:
        body = request.get_json(silent=True) or {}
        self.bodies.append(body)
        if (body.get("contractNumber"), body.get("password")) != self.colissimo_login:
            return self._cs_error("30000", "Identifiant ou mot de passe incorrect")
        numbers = (body.get("generateBordereauParcelNumberList") or {}).get("parcelsNumbers") or []
        known = {label["number"] for label in self.colissimo_labels}
        unknown = [n for n in numbers if n not in known]
        if not numbers or unknown:
            return self._cs_error("30900", f"Numéro de colis inconnu : {', '.join(unknown) or 'aucun'}")
        self.bordereaux.append(list(numbers))
        info = {"messages": [{"id": "0", "type": "INFOS", "messageContent": "La requête a été traitée avec succès"}],
                "bordereauHeader": {"bordereauNumber": f"B{len(self.bordereaux):07d}",
                                    "numberOfParcels": len(numbers)}}
        return self._multipart(info, PDF, content_id="<bordereau>")

    def _multipart(self, info: dict, label: bytes | None, status: int = 200,
                   content_id: str = "<label>") -> Response:
        boundary = f"uuid:{uuid.uuid4()}"
        parts = [f"--{boundary}\r\nContent-Type: application/json;charset=UTF-8\r\n"
                 "Content-Transfer-Encoding: binary\r\nContent-ID: <jsonInfos>\r\n\r\n".encode()
                 + json.dumps(info).encode() + b"\r\n"]
        if label is not None:
            parts.append(f"--{boundary}\r\nContent-Type: application/octet-stream\r\n"
                         f"Content-Transfer-Encoding: binary\r\nContent-ID: {content_id}\r\n\r\n".encode()
                         + label + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        response = Response(body, status=status)
        response.headers["Content-Type"] = (f'multipart/mixed; boundary="{boundary}"; '
                                            'type="application/json"; start="<jsonInfos>"')
        return response

    def _cs_error(self, code: str, text: str) -> Response:
        return self._multipart({"messages": [{"id": code, "type": "ERROR", "messageContent": text,
                                              "replacementValues": []}],
                                "labelXmlV2Reponse": None, "labelV2Response": None}, None, 400)

    def colissimo(self, request: Request) -> Response:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return Response("", status=422)
        self.bodies.append(body)
        if (body.get("contractNumber"), body.get("password")) != self.colissimo_login:
            return self._cs_error("30000", "Identifiant ou mot de passe incorrect")
        letter = body.get("letter") or {}
        to = ((letter.get("addressee") or {}).get("address")) or {}
        product = (letter.get("service") or {}).get("productCode")
        if product in ("A2P", "BPR", "CMT", "PCS") and not (letter.get("parcel") or {}).get("pickupLocationId"):
            return self._cs_error("30117", "Le champ pickupLocationId est obligatoire pour ce produit")
        problem = self._address_problem(to.get("zipCode"), to.get("city"), to.get("line2"))
        if problem == "address":
            return self._cs_error("30204", "L'adresse du destinataire n'est pas renseignée")
        if problem == "postcode":
            return self._cs_error("30220", "Le code postal du destinataire n'est pas valide")
        if problem == "mismatch":
            return self._cs_error("30221", "Le code postal du destinataire ne correspond pas à la ville")
        if float((letter.get("parcel") or {}).get("weight") or 0) > 30:
            return self._cs_error("30108", "Le poids du colis dépasse le poids maximum autorisé (30 kg)")
        number = self._number("6A")
        printing = (body.get("outputFormat") or {}).get("outputPrintingType", "")
        label = zpl_label(number) if printing.startswith("ZPL") else PDF
        self.colissimo_labels.append({"number": number, "ref": (letter.get("sender") or {}).get("senderParcelRef"),
                                      "pickup": (letter.get("parcel") or {}).get("pickupLocationId")})
        info = {"messages": [{"id": "0", "type": "INFOS",
                              "messageContent": "La requête a été traitée avec succès",
                              "replacementValues": []}],
                "labelXmlV2Reponse": None,
                "labelV2Response": {"parcelNumber": number, "parcelNumberPartner": None,
                                    "pdfUrl": None, "fields": None}}
        return self._multipart(info, label)


@contextmanager
def serve(fake: FakeCarrier) -> Iterator[str]:
    """Run the fake on a free port of 127.0.0.1; yield its base URL (http://127.0.0.1:PORT)."""
    server = make_server("127.0.0.1", 0, fake, threaded=True, request_handler=_Quiet)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
