"""The sentences the handheld's scripts show, translated here and handed to them as JSON.

The scripts are static files under a strict Content-Security-Policy, so they cannot be
templated: templates/handheld/base.html writes `handheld_js_messages()` into a
`<script type="application/json" id="i18n-messages">` block (data, never executed, so the
CSP allows it) that static/js/scan.js and app.js read once. Their own English copies are
only a fallback. A sentence with a count comes as its forms for 0, 1 and more ("0", "1",
"other"): that is the whole plural rule of English, French, Spanish and Italian. Numbers
stand as %(num)d, which the scripts replace.
"""
from __future__ import annotations

from wms.i18n import _, ngettext
from wms.web.handheld import bp


def _forms(singular: str, plural: str) -> dict[str, str]:
    return {"0": ngettext(singular, plural, 0), "1": ngettext(singular, plural, 1),
            "other": ngettext(singular, plural, 2)}


@bp.app_template_global("handheld_js_messages")
def handheld_js_messages() -> dict:
    return {
        "all_sent": _("All scans sent"),
        "queued": _("queued"),
        "applied": _("applied"),
        "refused": _("refused"),
        "offline_none": _("No network: scans will wait."),
        "offline_waiting": _forms("No network: %(num)d scan waiting, it goes when the network is back.",
                                  "No network: %(num)d scans waiting, they go when the network is back."),
        "offline_queue": _forms("%(num)d scan not sent yet: no network. Retrying, do not scan again.",
                                "%(num)d scans not sent yet: no network. Retrying, do not scan again."),
        "waiting": _forms("%(num)d scan waiting to be sent…", "%(num)d scans waiting to be sent…"),
        "stale_page": _("Not applied: the page is out of date. Reload it and scan again."),
        "server_failed": _("The server failed on that scan; nothing was changed. Scan it again."),
        "refusal": _("Refused"),
        "logout_unsent": _forms("%(num)d scan is not sent yet (no network). Sign out and lose it?",
                                "%(num)d scans are not sent yet (no network). Sign out and lose them?"),
        "logout_yes": _forms("Sign out, lose it", "Sign out, lose them"),
        "logout_no": _("Stay"),
        "yes": _("Yes"),
        "no": _("No"),
    }
