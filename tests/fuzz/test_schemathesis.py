"""Fuzz the whole API from its own OpenAPI schema, anonymous and signed in (token auth).

Every operation the schema lists (techmarket's too, once it is there) gets a bounded number of
generated requests, positive and negative; each response must not be a server error and must be
what the schema says (status, content type, headers, body). Reproducible: derandomized.
"""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.db import connections
from hypothesis import HealthCheck, Phase, settings

from tests.fuzz.conftest import CALLER

# Loaded from the app itself, in-process, at collection: the schema needs no database, but the
# request opens a connection to the configured one and keeps it (CONN_MAX_AGE); closed here so the
# tests connect to the test database instead.
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
connections.close_all()
# The coverage phase's deterministic boundary cases are not bounded by max_examples: thousands of
# requests for an operation with a wide body, far past this suite's time budget. The examples
# and fuzzing phases, bounded below, run.
schema.config.phases.coverage.enabled = False

pytestmark = pytest.mark.django_db


@schema.auth(refresh_interval=None)
class CallerToken:
    """Token auth as the ``caller`` fixture says (none for anonymous). Given as schemathesis auth,
    not as a header of the call, so ignored_auth knows it for the credential and probes each
    operation without it and with a wrong one."""

    def get(self, case, context):
        return CALLER["token"]

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Token {data}"}


# Every registered check, so a check added by a schemathesis upgrade is on by default.
schemathesis.checks.load_all_checks()
ALL_CHECKS = list(schemathesis.checks.CHECKS.get_all())
EXCLUDED = {
    # "Schema-valid data must be accepted": the API validates across fields and against state,
    # which OpenAPI 3.0 cannot say (ordering=relevance needs q; a cursor is only valid as the
    # server issued it; a booking must fall in opening hours, a voucher in its validity), so a
    # 400 with error.fields for such input is the right answer, not a schema bug.
    "positive_data_acceptance",
}
CHECKS = [check for check in ALL_CHECKS if check.__name__ not in EXCLUDED]


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    # No shrinking: each step of it is another request; the failing request as found is enough.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_the_api_answers_as_its_schema_says(case, caller):
    case.call_and_validate(checks=CHECKS)
