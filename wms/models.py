"""Import every model so the metadata (and Alembic) sees the whole schema."""
from wms.domain.catalog.models import Barcode, Product, Symbology  # noqa: F401
from wms.domain.counts.models import CountLine, CountTask  # noqa: F401
from wms.domain.inventory.models import MoveReason, StockLevel, StockMove  # noqa: F401
from wms.domain.locations.models import Location, LocationKind, Warehouse  # noqa: F401
from wms.domain.orders.models import Order, OrderEvent, OrderLine, OrderStatus, RoutingRule  # noqa: F401
from wms.domain.receiving.models import Receipt, ReceiptLine, ReceiptStatus  # noqa: F401
from wms.domain.picking.models import Allocation, PickList, PickListOrder  # noqa: F401
from wms.domain.printing.models import Printer, PrinterKind, Station  # noqa: F401
from wms.domain.returns.models import CustomerReturn, ReturnEvent, ReturnItem, ReturnLine  # noqa: F401
from wms.domain.scans.models import FlowState, ScanRecord  # noqa: F401
from wms.domain.shipping.models import BoxSize, Carrier, CarrierLabel, CarrierSite, Dispatch, Parcel, ParcelItem, Shipment  # noqa: F401
from wms.domain.users.models import ApiToken, Role, SignInAttempt, User  # noqa: F401
from wms.integrations.prestashop.models import OutboxMessage, SeenCallback, StockPushState, SyncCursor  # noqa: F401
from wms.integrations.webhooks.models import WebhookCursor, WebhookEndpoint  # noqa: F401
from wms.domain.transfers.models import TransferLine, TransferOrder, TransferReservation  # noqa: F401
