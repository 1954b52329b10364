"""Hivewatch: fleet-wide analysis of Windows user-profile hive unload failures."""

__version__ = "0.1.0"
