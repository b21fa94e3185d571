"""A throwaway module that contributes a reminder kind from its own folder only: installed by
tests/reminders/test_kinds.py for a test, never by the settings."""
