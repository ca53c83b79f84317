"""Flask extensions, created unbound and initialised in create_app()."""
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

from wms.db import db

login_manager = LoginManager()
csrf = CSRFProtect()
migrate = Migrate()

__all__ = ["db", "login_manager", "csrf", "migrate"]
