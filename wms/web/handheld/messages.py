"""The sentences the handheld's scripts show, translated here and handed to them as JSON.

The scripts are static files under a strict Content-Security-Policy, so they cannot be
templated: templates/handheld/base.html writes `handheld_js_messages()` into a
`<script type="application/json" id="i18n-messages">` block (data, never executed, so the
CSP allows it) that static/js/app.js reads once for itself and scan.js. The scripts' own
English copies are only a fallback. A sentence with a count comes as its forms for 0, 1 and
more ("0", "1", "other": the whole plural rule of English, French, Spanish and Italian), with
%(num)d left in for the script to fill.
"""
from __future__ import annotations

from flask_babel import get_translations

from wms.i18n import _
from wms.web.handheld import bp


def _forms(forms) -> dict[str, str]:
    """The forms of a plural sentence, unformatted: `forms(n)` is `t.ungettext(...)` with the
    literal messages (so extraction finds them; ngettext would fill %(num)d in)."""
    return {"0": forms(0), "1": forms(1), "other": forms(2)}


@bp.app_template_global("handheld_js_messages")
def handheld_js_messages() -> dict:
    t = get_translations()
    return {
        "all_sent": _("All scans sent"),
        "queued": _("queued"),
        "applied": _("applied"),
        "refused": _("refused"),
        "offline_none": _("No network: scans will wait."),
        "offline_waiting": _forms(lambda n: t.ungettext(
            "No network: %(num)d scan waiting, it goes when the network is back.",
            "No network: %(num)d scans waiting, they go when the network is back.", n)),
        "offline_queue": _forms(lambda n: t.ungettext(
            "%(num)d scan not sent yet: no network. Retrying, do not scan again.",
            "%(num)d scans not sent yet: no network. Retrying, do not scan again.", n)),
        "waiting": _forms(lambda n: t.ungettext(
            "%(num)d scan waiting to be sent…", "%(num)d scans waiting to be sent…", n)),
        "stale_page": _("Not applied: the page is out of date. Reload it and scan again."),
        "screen_stale": _("Scan applied, but the screen could not be refreshed: reload the page."),
        "server_failed": _("The server failed on that scan; nothing was changed. Scan it again."),
        "refusal": _("Refused"),
        "logout_unsent": _forms(lambda n: t.ungettext(
            "%(num)d scan is not sent yet (no network). Sign out and lose it?",
            "%(num)d scans are not sent yet (no network). Sign out and lose them?", n)),
        "logout_yes": _forms(lambda n: t.ungettext("Sign out, lose it", "Sign out, lose them", n)),
        "logout_no": _("Stay"),
        "yes": _("Yes"),
        "no": _("No"),
    }
