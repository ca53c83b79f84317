"""The supervisor's desk: one module per area, each adding routes to `bp`."""
from flask import Blueprint

from wms.domain.users.models import Role
from wms.web.auth.loader import require_role
from wms.web.menu import import_submodules

bp = Blueprint("desk", __name__, url_prefix="/desk")


@bp.before_request
def _supervisors_only():
    require_role(Role.SUPERVISOR)


import_submodules(__name__, __path__)
