"""Offline inspection capture: the inspector's phone page at /inspect/ (views), the data it keeps
and the operations it queues and syncs (services), through the admin's own forms and services."""
