"""Cycle counts on the desk: create count tasks, review differences, approve or reject them."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from wms.db import db
from wms.domain.catalog.services import product_by_code
from wms.domain.counts import services as count_services
from wms.domain.counts.models import CountStatus, CountTask
from wms.domain.locations.models import Location
from wms.domain.locations.services import location_by_code
from wms.errors import DomainError
from wms.web.desk import bp
from wms.web.desk.sites import chosen_site, count_in_site, location_in_site
from wms.web.menu import DESK_MENU, MenuItem, add
from wms.web.tx import transactional
from wms.i18n import _, N_, ngettext

add(DESK_MENU, MenuItem(N_("Counts"), "desk.counts", N_("Cycle counts and their differences"), order=35))


def _list(error: str | None = None, form=None, status_code: int = 200):
    status = request.args.get("status")
    site = chosen_site()
    query = select(CountTask).where(count_in_site(site)).order_by(CountTask.id.desc()).limit(200)
    if status in CountStatus.__members__:
        query = query.where(CountTask.status == CountStatus[status])
    tasks = db.session.execute(query).scalars().all()
    flagged = db.session.execute(select(Location).where(Location.needs_count.is_(True), location_in_site(site))
                                 .order_by(Location.walk_sequence).limit(100)).scalars().all()
    return render_template("desk/counts/list.html", tasks=tasks, flagged=flagged, status=status,
                           statuses=CountStatus, error=error, form=form or {}), status_code


@bp.route("/counts")
def counts():
    return _list()


@bp.route("/counts", methods=["POST"])
@transactional
def count_create():
    """Create count tasks: for a location code, a product (SKU or barcode), or every flagged bin."""
    form = request.form
    try:
        if form.get("flagged"):
            made = []
            flagged = select(Location).where(Location.needs_count.is_(True), location_in_site(chosen_site()))
            for location in db.session.execute(flagged).scalars():
                try:
                    made.append(count_services.create_count(user=current_user, location=location).code)
                except DomainError:
                    continue  # a task already covers it
            flash(ngettext("Created %(num)d count task for flagged bins.", "Created %(num)d count tasks for flagged bins.", len(made)), "ok")
            return redirect(url_for("desk.counts"))
        code = form.get("code", "").strip()
        if not code:
            raise DomainError(_("Type a location code or a product SKU / barcode to count."))
        if form.get("scope") == "product":
            task = count_services.create_count(user=current_user, product=product_by_code(code).product,
                                       note=form.get("note"))
        else:
            task = count_services.create_count(user=current_user, location=location_by_code(code),
                                       note=form.get("note"))
    except DomainError as exc:
        return _list(exc.message, form, exc.status)
    flash(_("%(code)s created: count %(subject)s on the handheld.", code=task.code, subject=task.subject), "ok")
    return redirect(url_for("desk.count_page", task_id=task.id))


def _task_or_404(task_id: int) -> CountTask:
    task = db.session.get(CountTask, task_id)
    if task is None:
        abort(404)
    return task


@bp.route("/counts/<int:task_id>")
def count_page(task_id: int):
    return render_template("desk/counts/page.html", task=_task_or_404(task_id))


def _act(task_id: int, action, done: str):
    task = _task_or_404(task_id)
    try:
        action(task)
    except DomainError as exc:
        return render_template("desk/counts/page.html", task=task, error=exc.message), exc.status
    flash(done.format(task=task), "ok")
    return redirect(url_for("desk.count_page", task_id=task.id))


@bp.route("/counts/<int:task_id>/approve", methods=["POST"])
@transactional
def count_approve(task_id: int):
    return _act(task_id, lambda t: count_services.approve_count(t, current_user, request.form.get("note")),
                "{task.code} approved: the differences are posted to the ledger.")


@bp.route("/counts/<int:task_id>/reject", methods=["POST"])
@transactional
def count_reject(task_id: int):
    return _act(task_id, lambda t: count_services.reject_count(t, current_user),
                "{task.code} sent back to be counted again.")


@bp.route("/counts/<int:task_id>/cancel", methods=["POST"])
@transactional
def count_cancel(task_id: int):
    return _act(task_id, lambda t: count_services.cancel_count(t, current_user), "{task.code} cancelled.")
