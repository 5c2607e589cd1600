import pytest

from django.utils.functional import empty

from snippets.models import private_storage


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    """Each test gets its own private and public media folders."""
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private")
    settings.MEDIA_ROOT = str(tmp_path / "media")
    private_storage._wrapped = empty
    yield tmp_path / "private"
    private_storage._wrapped = empty
