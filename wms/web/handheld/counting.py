"""Handheld: count a bin or a product blind, then send the count for approval."""
from flask import abort, g, request
from flask_login import current_user

from wms.db import db
from wms.domain.counts import services as counts
from wms.domain.counts.models import CountTask
from wms.domain.counts.scan import fast_scan
from wms.domain.scans.services import parse
from wms.domain.inventory.services import parse_quantity
from wms.errors import DomainError
from wms.i18n import N_, _
from wms.web.handheld import bp
from wms.web.htmx import flow_screen, flow_update
from wms.web.menu import HANDHELD_MENU, MenuItem, add
from wms.web.tx import scan_endpoint, transactional

add(HANDHELD_MENU, MenuItem(N_("Count"), "handheld.count", N_("Cycle counts, blind"), order=70))


def _render(view, message=None, ok=True, status=200):
    tasks = counts.open_tasks() if view.task is None else []
    return flow_screen("counting", view=view, tasks=tasks, message=message, ok=ok, status=status)


@bp.route("/count")
def count():
    return _render(counts.current(current_user))


def _screen(message: str, ok: bool):
    # The whole current screen under a sentence: the retry of a scan answered in part.
    return _render(counts.current(current_user), message, ok)


@bp.route("/count/scan", methods=["POST"])
@scan_endpoint(screen=_screen)
def count_scan():
    try:
        qty = parse_quantity(request.form.get("qty") or "1")
        code = request.form.get("code", "")
        # The bin and unit scans of a count take the fast path; anything else (and every
        # refusal) the full service.
        done = fast_scan(current_user, parse(code), qty, g.get("scan_id"))
        if done is None:
            view, message = counts.scan(current_user, code, qty)
        else:
            view, message, update = done
            if update is not None:  # the same lines: send only what changed
                return flow_update("counting", view=view, tasks=[], message=message, update=update)
    except DomainError as exc:
        return _render(counts.current(current_user), exc.message, ok=False, status=422)
    return _render(view, message)


@bp.route("/count/start/<int:task_id>", methods=["POST"])
@transactional
def count_start(task_id: int):
    task = db.session.get(CountTask, task_id)
    if task is None:
        abort(404)
    try:
        view = counts.start(current_user, task)
    except DomainError as exc:
        return _render(counts.current(current_user), exc.message, ok=False, status=422)
    return _render(view, _("Counting %(code)s: %(subject)s", code=task.code, subject=task.subject))


@bp.route("/count/lines/<int:line_id>/take-back", methods=["POST"])
@transactional
def count_take_back(line_id: int):
    try:
        view, message = counts.take_back(current_user, line_id)
    except DomainError as exc:
        return _render(counts.current(current_user), exc.message, ok=False, status=422)
    return _render(view, message)


@bp.route("/count/finish", methods=["POST"])
@transactional
def count_finish():
    try:
        view, message = counts.finish(current_user)
    except DomainError as exc:
        return _render(counts.current(current_user), exc.message, ok=False, status=422)
    return _render(view, message)
