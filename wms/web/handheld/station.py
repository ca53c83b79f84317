"""Handheld: choose which station (and so which printer) this device prints on."""
from __future__ import annotations

from flask import current_app, make_response, redirect, render_template, request, url_for

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


def current_station() -> Station | None:
    """Return the station this device chose, or None."""
    return printing.find_station(request.cookies.get(COOKIE))


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
        return response
    try:
        station = printing.get_station(raw)
    except DomainError as exc:
        return make_response(render_template(
            "handheld/station/page.html", stations=printing.all_stations(),
            current=current_station(), message=exc.message), 422)
    from wms.web.auth.views import _safe_next

    # Same-site paths only, checked as at sign-in: never a redirect to another host.
    response = redirect(_safe_next(url_for("handheld.station")))
    response.set_cookie(COOKIE, str(station.id), max_age=COOKIE_MAX_AGE, path="/",
                        httponly=True, samesite="Lax",
                        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))
    return response
