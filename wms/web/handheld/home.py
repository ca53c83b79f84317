"""The handheld home: the flows an operator can start."""
from flask import render_template
from flask_login import current_user

from wms.domain.users.models import Role
from wms.i18n import LANGUAGES, get_locale
from wms.web.handheld import bp
from wms.web.menu import HANDHELD_MENU


@bp.route("/")
def home():
    items = [m for m in HANDHELD_MENU
             if current_user.has_role(Role[m.role]) and (m.when is None or m.when())]
    language = str(get_locale())
    return render_template("handheld/home/page.html", items=items,
                           language_name=LANGUAGES.get(language, language))
