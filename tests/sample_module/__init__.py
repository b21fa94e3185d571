"""A throwaway module, installed only while the tests run (see ``TEST_APPS`` in
tests/conftest.py): a record that hangs off a customer and moves through states, the way
watchlists, opportunities and complaints will."""
