"""Handheld: the scanner reports its refused scans in batches, for the productivity figures.

A refused scan changes nothing and writes nothing when it happens (the scan path stays as
cheap as it is); the scanner keeps the sentence it showed and sends a batch here later.
"""
from flask import Response, request
from flask_login import current_user

from wms.domain.scans.productivity import MAX_BATCH, record_refusals
from wms.i18n import _
from wms.web.handheld import bp
from wms.web.tx import transactional


@bp.route("/refusals", methods=["POST"])
@transactional
def refusals():
    messages = request.form.getlist("reason")
    if len(messages) > MAX_BATCH:
        return Response(_("At most %(num)d refusals per batch.", num=MAX_BATCH), status=400, mimetype="text/plain")
    counted = record_refusals(current_user, messages)
    return Response(status=204, headers={"X-Counted": str(counted)})
