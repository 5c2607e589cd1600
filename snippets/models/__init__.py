"""Inspection records: institutions, categories, checklists, rounds, visits, issues and photos.

One module per family; the names are re-exported here so `snippets.models.Issue` keeps working.
"""

from .attachments import Attachment
from .categories import IssueCategory
from .checklists import ChecklistItem, ChecklistTemplate
from .inspections import ChecklistAnswer, InspectionRound, Visit
from .institutions import InspectorProfile, Institution
from .issues import Issue, IssueNumberCounter
from .offline import OfflineOperation, OfflineOperationKind
from .photos import Photo, private_storage
from .supplies import StockLine, StockReport, StockReportRevision, SupplyShortage

__all__ = [
    "Attachment",
    "ChecklistAnswer",
    "ChecklistItem",
    "ChecklistTemplate",
    "InspectionRound",
    "Photo",
    "Visit",
    "private_storage",
    "InspectorProfile",
    "Institution",
    "Issue",
    "IssueCategory",
    "IssueNumberCounter",
    "OfflineOperation",
    "OfflineOperationKind",
    "StockLine",
    "StockReport",
    "StockReportRevision",
    "SupplyShortage",
]
