import pytest
from django.core.cache import cache

from tests.factories import make_integration


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: login attempts, rate-limit windows and refusal
    budgets are counted there, by keys a later test's rows can share (ids are reused)."""
    cache.clear()


@pytest.fixture
def integration_and_token(db):
    return make_integration()


@pytest.fixture
def integration(integration_and_token):
    return integration_and_token[0]


@pytest.fixture
def token(integration_and_token):
    return integration_and_token[1]
