"""A lightweight warehouse management system for PrestaShop merchants."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask

from wms.config import Config, finish_config

from wms.resources import default_instance_path, resource_dir


def create_app(test_config: dict | None = None) -> Flask:
    """Build the WSGI application: settings, extensions, blueprints, error pages, commands."""
    app = Flask(
        __name__,
        instance_path=os.path.abspath(os.environ.get("WMS_INSTANCE_PATH") or default_instance_path()),
        template_folder=str(resource_dir("templates")),
        static_folder=str(resource_dir("static")),
    )
    app.config.from_object(Config)
    app.config.from_prefixed_env("WMS")
    if test_config:
        app.config.from_mapping(test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    finish_config(app.config, app.instance_path)
    _set_secret_key(app)

    from wms import extensions, models  # noqa: F401  (models: the whole schema for Alembic)
    from wms.web import register_web

    extensions.db.init_app(app)
    extensions.migrate.init_app(app, extensions.db, directory=str(Path(__file__).parent / "migrations"))
    extensions.csrf.init_app(app)
    extensions.login_manager.init_app(app)
    from wms import i18n

    i18n.init_app(app)
    with app.app_context():
        from wms.db_setup import configure_engine

        configure_engine(extensions.db.engine)
    from wms import observability

    observability.init_app(app)  # before the blueprints' hooks: it times the whole request
    register_web(app)

    return app


def _set_secret_key(app: Flask) -> None:
    if app.config.get("SECRET_KEY"):
        return
    if app.config.get("CLI_MODE") and not app.config.get("TESTING"):
        # Commands such as `wms db upgrade` sign nothing: a throwaway key is enough.
        app.config["SECRET_KEY"] = secrets.token_hex(32)
        return
    if app.config["ENV"] == "production" and not app.config.get("TESTING"):
        raise RuntimeError(
            "WMS_SECRET_KEY is not set. In production the WMS will not start without it: "
            "set WMS_SECRET_KEY to a long random string, e.g. "
            "`python -c 'import secrets; print(secrets.token_hex(32))'`. "
            "For a local try-out use `wms demo` (or WMS_ENV=development)."
        )
    # Development and demo: a random key kept in the instance folder so logins survive restarts.
    key_file = Path(app.instance_path) / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    app.config["SECRET_KEY"] = key_file.read_text().strip()
