"""django-q2 tasks of the inspection records: plain functions, one service call each."""

from snippets import services


def cleanup_orphan_photos():
    """Photo files left without a row by a crash between the file write and the commit."""
    return services.cleanup_orphan_photo_files()
