"""Handheld: the operator's language, asked with one tap at the first sign-in on a scanner.

A user whose `language` is not set yet (None) and who signed in with a badge is shown one
screen with a big button per language, each named in its own language; the tap stores the
choice and carries on to the page the operator was going to. The home screen links here to
change it later. Only full-page GETs are diverted (never a scan, never an htmx request), and
the check reads the user already loaded for the request: no statement on the scan path.
"""
from __future__ import annotations

from flask import current_app, redirect, render_template, request, url_for
from flask_login import current_user

from wms.i18n import LANGUAGES, _, force_locale
from wms.web.auth.views import _safe_next
from wms.web.handheld import bp
from wms.web.tx import transactional

CHOOSER_ENDPOINTS = {"handheld.language", "handheld.language_choose"}


def _wants_language() -> bool:
    return (current_user.is_authenticated and current_user.language is None
            and current_user.auth_method == "badge"
            and bool(current_app.config.get("ASK_LANGUAGE", True)))


@bp.before_request
def _ask_language_first():
    if (request.method != "GET" or request.headers.get("HX-Request")
            or request.endpoint in CHOOSER_ENDPOINTS or not _wants_language()):
        return None
    target = request.path + (f"?{request.query_string.decode()}" if request.query_string else "")
    return redirect(url_for("handheld.language", next=target))


def _page(status: int = 200, message: str | None = None):
    # The heading in every language ("Language · Langue"): whoever holds the scanner reads it.
    heading = []
    for code in LANGUAGES:
        with force_locale(code):
            heading.append(_("Language"))
    return render_template("handheld/language/page.html", languages=LANGUAGES, message=message,
                           heading=" · ".join(dict.fromkeys(heading)), current=current_user.language,
                           next=_safe_next(url_for("handheld.home"))), status


@bp.route("/language", endpoint="language")
def language_page():
    return _page()


@bp.route("/language", methods=["POST"], endpoint="language_choose")
@transactional
def language_choose():
    chosen = request.form.get("language", "")
    if chosen not in LANGUAGES:
        return _page(400, _("%(value)s is not a language of the WMS: choose %(known)s.",
                            value=chosen[:20] or "—", known=" / ".join(LANGUAGES.values())))
    current_user.language = chosen
    return redirect(_safe_next(url_for("handheld.home")))
