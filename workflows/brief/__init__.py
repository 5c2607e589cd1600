"""The daily leadership brief (每日会商简报): a Word document built from the dashboard's queries.

`figures` gathers the numbers (calling `workflows.dashboard.queries`, never its SQL), `builder`
writes the .docx, `service` stores the bureau-wide one as a private Wagtail document and notifies
leadership once per day, `tasks` and `views` are the thin adapters (schedule, dashboard button,
scoped download), `hooks` keeps the documents' serve URL closed to everyone else.
"""
