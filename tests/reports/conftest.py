import pytest


@pytest.fixture(autouse=True)
def empty_cache():
    """Figures are cached under the latest snapshot's time: each test starts afresh."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
