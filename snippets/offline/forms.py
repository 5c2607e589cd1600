from snippets.forms import IssueForm
from snippets.models import Issue


class OfflineIssueForm(IssueForm):
    """The admin's issue form (same cleaning, defaults, scoped choices and photo sanitising), limited
    to the fields an inspector fills at the gate."""

    class Meta:
        model = Issue
        fields = [
            "title",
            "category",
            "severity",
            "institution",
            "visit",
            "found_on",
            "deadline",
            "description",
        ]
