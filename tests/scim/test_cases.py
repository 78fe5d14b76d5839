"""Every request case from real IdPs and real bug reports (../shared/cases, copied into
tests/scim/cases) replayed against a fresh organization, as `run-cases --fresh` does."""

import pytest

from tests.factories import make_integration
from tests.scim.replay import case_files, load_steps, replay

CASES = case_files()


@pytest.mark.parametrize("case", CASES, ids=[f"{p.parent.name}/{p.stem}" for p in CASES])
def test_case_passes_against_a_fresh_organization(case, client, db):
    integration, token = make_integration()
    failures = replay(client, f"/scim/v2/{integration.public_id}", token, load_steps(case))
    assert not failures, "\n".join(failures)
