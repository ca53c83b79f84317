"""Import every model so the metadata (and Alembic) sees the whole schema."""
from wms.domain.catalog.models import Barcode, Product, Symbology  # noqa: F401
from wms.domain.inventory.models import MoveReason, StockLevel, StockMove  # noqa: F401
from wms.domain.locations.models import Location, LocationKind, Warehouse  # noqa: F401
from wms.domain.orders.models import Order, OrderEvent, OrderLine, OrderStatus  # noqa: F401
from wms.domain.scans.models import FlowState, ScanRecord  # noqa: F401
from wms.domain.shipping.models import Carrier  # noqa: F401
from wms.domain.users.models import ApiToken, Role, User  # noqa: F401
