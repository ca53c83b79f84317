"""The handheld scanner screens: one module per flow, each adding routes to `bp`."""
from flask import Blueprint

from wms.domain.users.models import Role
from wms.web.auth.loader import require_role
from wms.web.menu import import_submodules

bp = Blueprint("handheld", __name__, url_prefix="/handheld")


@bp.before_request
def _operators_only():
    require_role(Role.OPERATOR)


import_submodules(__name__, __path__)
