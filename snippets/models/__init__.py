"""Inspection records: institutions, categories, checklists, rounds, visits, issues and photos.

One module per family; the names are re-exported here so `snippets.models.Issue` keeps working.
"""

from .categories import IssueCategory
from .institutions import InspectorProfile, Institution
from .issues import Issue, IssueNumberCounter

__all__ = [
    "InspectorProfile",
    "Institution",
    "Issue",
    "IssueCategory",
    "IssueNumberCounter",
]
