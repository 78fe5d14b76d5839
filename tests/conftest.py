import pytest

from tests.factories import make_integration


@pytest.fixture
def integration_and_token(db):
    return make_integration()


@pytest.fixture
def integration(integration_and_token):
    return integration_and_token[0]


@pytest.fixture
def token(integration_and_token):
    return integration_and_token[1]
