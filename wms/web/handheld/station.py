"""Handheld: choose which station (and so which printer) this device prints on."""
from __future__ import annotations

from flask import current_app, g, make_response, redirect, render_template, request, session, url_for

from wms.domain.printing import services as printing
from wms.domain.printing.models import Station
from wms.errors import DomainError
from wms.i18n import N_
from wms.web.handheld import bp
from wms.web.menu import HANDHELD_MENU, MenuItem, add

add(HANDHELD_MENU, MenuItem(N_("Station"), "handheld.station", N_("This device's station and printer"), order=90))

# The device, not the operator, stands at a station: a long-lived cookie, not a user setting.
COOKIE = "wms_station"
COOKIE_MAX_AGE = 400 * 24 * 3600  # browsers cap cookies at 400 days


# The session keeps [warehouse id, name] of the device's station: a scan compares the bin's
# warehouse_id with it (wms.domain.locations.sites.check_site) without reading the station.
SITE_KEY = "site"


def current_station() -> Station | None:
    """Return the station this device chose, or None."""
    return printing.find_station(request.cookies.get(COOKIE))


def _site_of(station: Station | None) -> list | None:
    if station is None or station.warehouse_id is None:
        return None
    return [station.warehouse_id, station.warehouse.name]


def _remember_site(site: list | None) -> None:
    if session.get(SITE_KEY) != site:
        if site is None:
            session.pop(SITE_KEY, None)
        else:
            session[SITE_KEY] = site


@bp.before_request
def _device_site():
    """Put the device's site in g (site_id, site_name); screens (GETs) read it afresh."""
    if request.method == "GET":
        _remember_site(_site_of(current_station()))
    site = session.get(SITE_KEY)
    g.site_id, g.site_name = (site[0], site[1]) if site else (None, None)


@bp.route("/station", endpoint="station")
def station_page():
    return render_template("handheld/station/page.html", stations=printing.all_stations(),
                           current=current_station(), message=None)


@bp.route("/station", methods=["POST"])
def station_choose():
    raw = request.form.get("station", "")
    if raw == "":
        response = redirect(url_for("handheld.station"))
        response.delete_cookie(COOKIE, path="/")
        _remember_site(None)
        return response
    try:
        station = printing.get_station(raw)
    except DomainError as exc:
        return make_response(render_template(
            "handheld/station/page.html", stations=printing.all_stations(),
            current=current_station(), message=exc.message), 422)
    from wms.web.auth.views import _safe_next

    # Same-site paths only, checked as at sign-in: never a redirect to another host.
    _remember_site(_site_of(station))
    response = redirect(_safe_next(url_for("handheld.station")))
    response.set_cookie(COOKIE, str(station.id), max_age=COOKIE_MAX_AGE, path="/",
                        httponly=True, samesite="Lax",
                        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))
    return response
