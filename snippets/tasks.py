"""django-q2 tasks of the inspection records: plain functions, one service call each."""

from snippets import services


def cleanup_orphan_photos():
    """Photo and attachment files left without a row by a crash between the file write and the
    commit (one schedule for the whole private store)."""
    photos = services.cleanup_orphan_photo_files()["deleted"]
    attachments = services.cleanup_orphan_attachment_files()["deleted"]
    return {"deleted": photos + attachments}
