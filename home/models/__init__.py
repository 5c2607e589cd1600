"""The home app's models, one module per family, re-exported here."""

from home.models.channels import (  # noqa: F401
    PAYMENT_FIELDS,
    ChannelKind,
    ChannelStatus,
    DonationChannel,
)
from home.models.pages import (  # noqa: F401
    AppealChannel,
    AppealPage,
    AppealState,
    ChannelsPage,
    HomePage,
)
