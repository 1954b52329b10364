"""Which OS generation (`os_family`) logged a host's profile events.

In order: the Windows version the host itself logged (EventLog 6009, "Microsoft (R) Windows
(R) 5.01. 2600 ..."; the latest one wins); else the only family the host's profile events
all fit (each catalog row names the families that log its provider and id); else, of the
families the event's own row allows, the newest. Vista and later log no 6009 but their
profile providers exist only there, so the second rule names them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pipeline.normalize.profile_catalog import FAMILIES, family_from_version


def host_families(
    versions: Iterable[tuple[str | None, str]], events: Iterable[tuple[str | None, tuple[str, ...]]]
) -> dict[str | None, str]:
    """host -> family, for the hosts the evidence decides.

    `versions`: (host, 6009 version text) in time order; `events`: (host, the families of
    each profile event's catalog row).
    """
    decided: dict[str | None, str] = {}
    for host, text in versions:
        family = family_from_version(text)
        if family is not None:
            decided[host] = family
    fits: dict[str | None, set[str]] = {}
    for host, families in events:
        if host in decided:
            continue
        fits[host] = fits.get(host, set(FAMILIES)) & set(families)
    for host, common in fits.items():
        if len(common) == 1:
            decided[host] = next(iter(common))
    return decided


def family_of(
    host: str | None, families: tuple[str, ...], decided: Mapping[str | None, str]
) -> str:
    """The family of one event of `host` whose catalog row allows `families`."""
    if host in decided:
        return decided[host]
    return max(families, key=FAMILIES.index)
