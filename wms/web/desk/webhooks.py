"""Webhooks on the desk: register endpoints (URL, secret, events), see deliveries, send again."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from wms.errors import DomainError
from wms.integrations.prestashop.models import OutboxStatus
from wms.integrations.prestashop.outbox import retry_message
from wms.integrations.webhooks import events as ev
from wms.integrations.webhooks import services as webhooks
from wms.web.desk import bp
from wms.web.tx import transactional
from wms.i18n import _

# Reached from the API page (the desk's bar has no room for every page at 1366 px).


def _page(status: int = 200, **kw):
    deliveries = webhooks.delivery_messages(limit=100)
    dead = [m for m in deliveries if m.status is OutboxStatus.DEAD]
    return render_template("desk/webhooks/page.html", endpoints=webhooks.list_endpoints(), events=ev.EVENTS,
                           emitted=ev.EMITTED, deliveries=deliveries, dead=dead, form=request.form, **kw), status


@bp.route("/webhooks")
def webhooks_page():
    return _page()


@bp.route("/webhooks", methods=["POST"])
@transactional
def webhook_create():
    try:
        endpoint = webhooks.register_endpoint(request.form.get("url", ""), request.form.getlist("events"),
                                              secret=request.form.get("secret"),
                                              description=request.form.get("description"), user=current_user)
    except DomainError as exc:
        return _page(exc.status, error=exc.message)
    # The secret is shown in this answer only, for the receiver's configuration.
    return _page(new=endpoint, secret=endpoint.secret)


@bp.route("/webhooks/<int:endpoint_id>/toggle", methods=["POST"])
@transactional
def webhook_toggle(endpoint_id: int):
    endpoint = webhooks.get_endpoint(endpoint_id)
    webhooks.update_endpoint(endpoint, active=not endpoint.active)
    flash(_("%(url)s is enabled.", url=endpoint.url) if endpoint.active
          else _("%(url)s is disabled: it gets no new events.", url=endpoint.url), "ok")
    return redirect(url_for("desk.webhooks_page"))


@bp.route("/webhooks/deliveries/<int:message_id>/retry", methods=["POST"])
@transactional
def webhook_retry(message_id: int):
    try:
        retry_message(message_id)
    except (DomainError, ValueError) as exc:
        flash(getattr(exc, "message", str(exc)), "error")
        return redirect(url_for("desk.webhooks_page"))
    flash(_("Delivery %(id)s is queued again: the worker sends it on its next round.", id=message_id), "ok")
    return redirect(url_for("desk.webhooks_page"))
