"""The analytic tables, derived from `events`: profile events, hive leaks, unload incidents,
offenders, and the remediation guidance they are read with."""
