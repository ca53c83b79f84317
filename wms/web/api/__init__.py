"""The JSON API: one module per area, each adding routes to `bp`."""
from flask import Blueprint, request
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from wms.domain.users.models import Role
from wms.extensions import csrf
from wms.i18n import _
from wms.web.auth.loader import require_role
from wms.web.menu import import_submodules

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Token-authenticated scripts send no CSRF token; browser sessions must (checked below).
csrf.exempt(bp)


@bp.before_request
def _signed_in_api():
    require_role(Role.OPERATOR)
    from flask import abort, g

    from wms.web.auth.loader import require_scope

    if getattr(g, "api_token", None) is None and current_user.auth_method == "badge":
        abort(403, _("A badge sign-in is for the scanner screens: scripts use an API token, "
                     "the desk a password."))
    if request.method in ("GET", "HEAD", "OPTIONS"):
        require_scope("read")

    from flask import current_app

    if (request.method not in ("GET", "HEAD", "OPTIONS") and not getattr(g, "api_token", None)
            and current_app.config.get("WTF_CSRF_ENABLED", True)):
        try:
            validate_csrf(request.headers.get("X-CSRFToken"))
        except ValidationError:
            from flask import abort

            abort(400, _("Send the X-CSRFToken header, or use an API token."))
    return None


import_submodules(__name__, __path__)
