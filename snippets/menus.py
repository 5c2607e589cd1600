"""The one admin menu of inspections and rectification (督查整改), in the order people work:
rounds, visits, issues, the closure queue, the rectification ledger, then reference data.

`snippets.wagtail_hooks.InspectionViewSetGroup` builds the submenu; its own viewsets take their
place from ORDER, and other menu items join it through the INSPECTION_MENU_HOOK hook
(`workflows.wagtail_hooks` registers the closure queue, the ledger and the calendar there).
"""

INSPECTION_MENU_HOOK = "register_inspection_menu_item"

ORDER = {
    "rounds": 100,
    "visits": 200,
    "visit_checklists": 210,
    "issues": 300,
    "issue_import": 310,
    "closure_queue": 400,
    "rectification_ledger": 500,
    "institutions": 600,
    "categories": 610,
    "checklist_templates": 620,
    "inspector_profiles": 630,
    "calendar": 700,
}
