"""Which language a request speaks (issue 18): the user's choice, the browser's, the default."""
from __future__ import annotations

from flask import render_template_string

from wms.i18n import get_locale, language_of


def _locale(app, headers=None, user=None):
    with app.test_request_context("/", headers=headers or {}):
        if user is not None:
            from flask_login import login_user

            login_user(user)
        return str(get_locale())


def test_language_of_maps_iso_codes():
    assert language_of("fr-FR") == "fr"
    assert language_of("FR") == "fr"
    assert language_of("en_GB") == "en"
    assert language_of("de") is None
    assert language_of("") is None and language_of(None) is None


def test_default_language_without_choice(app):
    assert _locale(app) == "en"
    app.config["DEFAULT_LANGUAGE"] = "fr"
    assert _locale(app) == "fr"


def test_browser_language_then_user_choice(app, make_user):
    assert _locale(app, {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.8"}) == "fr"
    assert _locale(app, {"Accept-Language": "de-DE,de;q=0.9"}) == "en"
    user = make_user(username="marie")
    user.language = "en"
    assert _locale(app, {"Accept-Language": "fr-FR"}, user=user) == "en"
    user.language = "fr"
    assert _locale(app, {}, user=user) == "fr"


def test_each_request_chooses_again(app, client):
    """The locale Flask-Babel caches on `g` does not leak into the next request of a test that
    keeps the app context open."""
    with app.app_context():
        with app.test_request_context("/", headers={"Accept-Language": "fr"}):
            assert str(get_locale()) == "fr"
        with app.test_request_context("/", headers={"Accept-Language": "en"}):
            assert str(get_locale()) == "en"


def test_templates_have_gettext(app):
    with app.test_request_context("/"):
        assert render_template_string("{{ _('Pick') }}|{{ ngettext('%(num)d order', '%(num)d orders', 2) }}") == "Pick|2 orders"


def test_translations_found_once_per_request_and_follow_the_locale(app, make_user):
    """wms.i18n.gettext keeps the request's catalogue, and still follows force_locale(), a
    refresh() and a language change within the request."""
    from flask_babel import refresh
    from flask_login import login_user

    from wms.i18n import _, force_locale, ngettext, translations

    user = make_user(username="lea")
    user.language = "fr"
    with app.test_request_context("/"):
        login_user(user)
        assert _("Ready") == "Prêt"
        assert translations() is translations()  # looked up once, then kept
        with force_locale("en"):
            assert _("Ready") == "Ready"
            assert ngettext("%(num)d order", "%(num)d orders", 2) == "2 orders"
        assert _("Ready") == "Prêt"
        user.language = "en"
        refresh()
        assert _("Ready") == "Ready"
        assert render_template_string("{{ _('Ready') }}") == "Ready"
    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        assert render_template_string("{{ _('Ready') }}") == "Prêt"
    with app.app_context():
        assert _("Ready") == "Ready"  # outside a request: the default language
    assert _("Ready") == "Ready"  # no app at all: the source sentence
