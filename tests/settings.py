"""The settings the test suite runs with: the project's own, plus throwaway apps whose models
exist only for tests (a module that hangs off a customer and moves through states, …)."""

from crm.settings import *  # noqa: F403
from crm.settings import INSTALLED_APPS

TEST_APPS = ["tests.sample_module"]
INSTALLED_APPS = [*INSTALLED_APPS, *TEST_APPS]

# The API's throttle is tested on its own (tests/ops); the suite's clients send far more than a
# user would in a minute (the schema's property-based run).
API_THROTTLE_RATE = ""
