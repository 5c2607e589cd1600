"""The ledger's models, one module per family, re-exported here.

Append-only rules are enforced by database triggers created in migration 0001 (SQLite and
PostgreSQL): a frozen LedgerEntry and every DisclosureRecord reject UPDATE and DELETE.
"""

from home.ledger.models.catalogue import (  # noqa: F401
    DEFAULT_SHORTAGE_THRESHOLD_DAYS,
    GoodsItem,
)
from home.ledger.models.disclosure import (  # noqa: F401
    GENESIS_DIGEST,
    DisclosureApprovalTask,
    DisclosureIndexPage,
    DisclosurePage,
    DisclosureRecord,
    LedgerSettings,
)
from home.ledger.models.entries import (  # noqa: F401
    Donor,
    DonorPrivate,
    DonorType,
    EntryKind,
    GoodsCategory,
    ImportBatch,
    ImportStatus,
    LedgerEntry,
)
