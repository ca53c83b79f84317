"""The supervisor's desk: one module per area, each adding routes to `bp`."""
from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user

from wms.domain.users.models import Role
from wms.web.auth.loader import require_role
from wms.web.menu import import_submodules
from wms.i18n import _

bp = Blueprint("desk", __name__, url_prefix="/desk")


@bp.before_request
def _supervisors_only():
    require_role(Role.SUPERVISOR)
    if current_user.auth_method == "badge":
        # A badge + PIN is for the scanner; the desk (stock corrections, users, tokens) asks
        # for the password.
        flash(_("The desk needs your password: a badge sign-in is for the scanner."))
        return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
    return None


import_submodules(__name__, __path__)
