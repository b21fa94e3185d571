"""The settings the test suite runs with: the project's own, plus throwaway apps whose models
exist only for tests (a module that hangs off a customer and moves through states, …)."""

from crm.settings import *  # noqa: F403
from crm.settings import INSTALLED_APPS

TEST_APPS = ["tests.sample_module"]
INSTALLED_APPS = [*INSTALLED_APPS, *TEST_APPS]
