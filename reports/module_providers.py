"""Providers for the modules above the core: each runs only while its app is installed
(``Provider.active``), and reads the module's tables without the module knowing."""
