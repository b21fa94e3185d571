import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.deploy.stack import missing_programs


def pytest_collection_modifyitems(config, items):
    deploy = [item for item in items if item.get_closest_marker("deploy")]
    missing = missing_programs()
    if not deploy or not missing:
        return
    if os.environ.get("REQUIRE_DEPLOY"):
        raise pytest.UsageError(f"REQUIRE_DEPLOY is set but these are missing: {missing}")
    skip = pytest.mark.skip(reason=f"missing {', '.join(missing)} (make system-deps)")
    for item in deploy:
        item.add_marker(skip)


@pytest.fixture(scope="session")
def deploy_dir():
    """One folder for the clusters and logs of the deployment tests, readable by the
    postgres user (PostgreSQL's programs run as it when the tests run as root)."""
    folder = Path(tempfile.mkdtemp(prefix="crm-deploy-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)
