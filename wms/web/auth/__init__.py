"""Sign-in: password on the desk, badge + PIN on the handheld."""
from wms.web.auth.views import bp  # noqa: F401
