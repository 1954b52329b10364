"""The profile events of shared/domain.md, as data: provider, id, channel, level, fields, text.

Key every kind on provider plus event id (1509, 1511 and 1000 exist under more than one
provider). NT4-2003 kinds are classic `Userenv` events (unnamed insertion strings, a
32-bit message identifier whose top bits are the severity; the record's event type can
disagree with it, as XP logs show for 1517 and 1524). Vista and later kinds belong to the
User Profiles Service manifest (named `<Data>`), with a classic-logged 1530 variant whose
DETAIL is the only, unnamed, value.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from pipeline.synth.binxml import VT
from pipeline.synth.model import (
    EVT_ERROR,
    EVT_WARNING,
    KEYWORDS_CLASSIC,
    KEYWORDS_NONE,
    LEVEL_ERROR,
    LEVEL_INFO,
    LEVEL_WARNING,
    Q_ERROR,
    Q_INFO,
    Q_WARNING,
    EventKind,
    Field,
)

APPLICATION: Final = "Application"
SYSTEM: Final = "System"
PROFILE_OPERATIONAL: Final = "Microsoft-Windows-User Profile Service/Operational"

USERENV: Final = "Userenv"
PROFSVC: Final = "Microsoft-Windows-User Profiles Service"
PROFSVC_GUID: Final = "{89B1E9F0-5AFF-44A6-9B44-0A07A7CE5845}"
PROFGEN: Final = "Microsoft-Windows-User Profiles General"
PROFGEN_GUID: Final = "{DB00DFB6-29F9-4A9C-9B3B-1F4F9E7D9770}"
UPHCLEAN: Final = "UPHClean"
OFFLINE_FILES: Final = "Microsoft-Windows-OfflineFiles"
OFFLINE_FILES_GUID: Final = "{95353826-4FBE-41D4-9C42-F521C6E86360}"
APP_POPUP: Final = "Application Popup"
APP_POPUP_GUID: Final = "{47BFA2B7-BD54-4FAC-B70B-29021084CA8F}"

KEYWORDS_OPERATIONAL: Final = 0x4000_0000_0000_0000

_DETAIL: Final = " \r\n\r\n DETAIL - "
U = Field(None)  # an unnamed classic insertion string


def _userenv(
    event_id: int, qualifiers: int, level: int, n: int, message: str, evt: int | None = None
) -> EventKind:
    return EventKind(
        USERENV,
        event_id,
        APPLICATION,
        level,
        (U,) * n,
        qualifiers=qualifiers,
        keywords=KEYWORDS_CLASSIC,
        message=message,
        evt_type=evt,
    )


def _profsvc(event_id: int, level: int, fields: tuple[str, ...], message: str) -> EventKind:
    return EventKind(
        PROFSVC,
        event_id,
        APPLICATION,
        level,
        tuple(Field(n) for n in fields),
        provider_guid=PROFSVC_GUID,
        keywords=KEYWORDS_CLASSIC,
        message=message,
    )


MSG_UNLOAD_DENIED: Final = (
    "Windows cannot unload your registry file. If you have a roaming profile, your settings "
    "are not replicated. Contact your administrator." + _DETAIL
)
MSG_UNLOAD_CLASSES_DENIED: Final = (
    "Windows cannot unload your registry class file. If you have a roaming profile, your "
    "settings are not replicated. Contact your administrator." + _DETAIL
)
MSG_QUOTA: Final = (
    "Windows cannot load the user's profile but has logged you on with the default profile "
    "for the system." + _DETAIL + "RegLoadKey failed. Insufficient system resources exist to "
    "complete the requested service. , "
)
_1500 = (
    "Windows cannot log you on because your profile cannot be loaded. Check that you are "
    "connected to the network, and that your network is functioning correctly." + _DETAIL + "%1"
)
_1502 = (
    "Windows cannot load the locally stored profile. Possible causes of this error include "
    "insufficient security rights or a corrupt local profile." + _DETAIL + "%1"
)
_1504 = (
    "Windows cannot update your roaming profile completely. Check previous events for more "
    "details." + _DETAIL + "%1"
)
_1508 = (
    "Windows was unable to load the registry. This is often caused by insufficient memory or "
    "insufficient security rights." + _DETAIL + "%1 for %2"
)
_1509 = (
    "Windows cannot copy file %1 to location %2. This error may be caused by network problems "
    "or insufficient security rights." + _DETAIL + "%3"
)
_1511 = (
    "Windows cannot find the local profile and is logging you on with a temporary profile. "
    "Changes you make to this profile will be lost when you log off."
)
_1512 = (
    "Windows cannot unload your registry file. The memory used by the registry has not been "
    "freed. This is often caused by services running as a user account, try configuring the "
    "services to run in either the LocalService or NetworkService account." + _DETAIL + "%1"
)
_1515 = (
    "Windows has backed up this user's profile. Windows will automatically try to use the "
    "backup profile the next time this user logs on."
)
_1516 = (
    "Windows unloaded user %1 registry when it received a notification that no other "
    "applications or services were using the profile."
)
_1517 = (
    "Windows saved user %1 registry while an application or service was still using the "
    "registry during log off. The memory used by the user's registry has not been freed. The "
    "registry will be unloaded when it is no longer in use. \r\n\r\n This is often caused by "
    "services running as a user account, try configuring the services to run in either the "
    "LocalService or NetworkService account."
)
_1521 = (
    "Windows cannot locate the server copy of your roaming profile and is attempting to log "
    "you on with your local profile. Changes to the profile will not be copied to the server "
    "when you log off. Possible causes of this error include network problems or insufficient "
    "security rights. If this problem persists, contact your network administrator."
    + _DETAIL
    + "%1"
)
_1524 = (
    "Windows cannot unload your classes registry file - it is still in use by other "
    "applications or services. The file will be unloaded when it is no longer in use."
)
_1525 = (
    "Offline caching is enabled on the roaming profile share. This setting is not "
    "recommended for roaming profiles."
)
_1530 = (
    "Windows detected your registry file is still in use by other applications or services. "
    "The file will be unloaded now. The applications or services that hold your registry file "
    "may not function properly afterwards. {extra}" + _DETAIL + "\r\n %1"
)
_1533 = (
    "Windows cannot delete the profile directory %1. This error may be caused by files in "
    "this directory being used by another program." + _DETAIL + "%2"
)
_1534 = "Profile notification of event %1 for component %2 failed, error code is %3."
_1541 = "Failed to apply CSC (Offline Files) suspend policy." + _DETAIL + "%1"
_1542 = "Windows cannot load classes registry file." + _DETAIL + "%1"
_LOCK = (
    "User hive is loaded by another process ({lock}) Process name: %1, PID: %2, ProfSvc PID: %3."
)

# -- NT4, 2000, XP, 2003: classic Userenv events --------------------------------------------

USERENV_KINDS: Final[dict[int, EventKind]] = {
    1000: _userenv(1000, Q_ERROR, LEVEL_ERROR, 1, "%1"),
    1500: _userenv(1500, Q_ERROR, LEVEL_ERROR, 1, _1500),
    1502: _userenv(1502, Q_ERROR, LEVEL_ERROR, 1, _1502),
    1504: _userenv(1504, Q_ERROR, LEVEL_ERROR, 1, _1504),
    1508: _userenv(1508, Q_ERROR, LEVEL_ERROR, 2, _1508),
    1509: _userenv(1509, Q_WARNING, LEVEL_WARNING, 3, _1509),
    1511: _userenv(1511, Q_WARNING, LEVEL_WARNING, 0, _1511),
    1512: _userenv(1512, Q_WARNING, LEVEL_WARNING, 1, _1512),
    1515: _userenv(1515, Q_WARNING, LEVEL_WARNING, 0, _1515),
    1516: _userenv(1516, Q_INFO, LEVEL_INFO, 1, _1516),
    # XP logs 1517 as a warning and 1524 as an error although their message identifiers
    # carry the informational and warning severities.
    1517: _userenv(1517, Q_INFO, LEVEL_WARNING, 1, _1517, EVT_WARNING),
    1521: _userenv(1521, Q_ERROR, LEVEL_ERROR, 1, _1521),
    1524: _userenv(1524, Q_WARNING, LEVEL_ERROR, 0, _1524, EVT_ERROR),
    1525: _userenv(1525, Q_WARNING, LEVEL_WARNING, 0, _1525),
}

# -- Vista and later: the User Profiles Service manifest ----------------------------------

PROFSVC_KINDS: Final[dict[int, EventKind]] = {
    1500: _profsvc(1500, LEVEL_ERROR, ("Error",), _1500),
    1502: _profsvc(1502, LEVEL_ERROR, ("Error",), _1502),
    1504: _profsvc(1504, LEVEL_ERROR, ("Error",), _1504),
    1508: _profsvc(1508, LEVEL_ERROR, ("Error", "File"), _1508),
    1511: _profsvc(1511, LEVEL_WARNING, (), _1511),
    1512: _profsvc(1512, LEVEL_ERROR, ("Error",), _1512),
    1515: _profsvc(1515, LEVEL_WARNING, (), _1515),
    1517: replace(
        _profsvc(1517, LEVEL_WARNING, ("UserSid",), _1517), fields=(Field("UserSid", VT.SID),)
    ),
    1521: _profsvc(1521, LEVEL_ERROR, ("Error",), _1521),
    1524: _profsvc(1524, LEVEL_WARNING, (), _1524),
    1530: replace(
        _profsvc(1530, LEVEL_WARNING, ("Detail",), _1530.format(extra="")),
        eventdata_name="EVENT_HIVE_LEAK",
    ),
    1533: _profsvc(1533, LEVEL_WARNING, ("Folder", "Error"), _1533),
    1534: _profsvc(1534, LEVEL_WARNING, ("Event", "Component", "Error"), _1534),
    1541: _profsvc(1541, LEVEL_ERROR, ("Error",), _1541),
    1542: _profsvc(1542, LEVEL_ERROR, ("Error",), _1542),
    1545: replace(
        _profsvc(1545, LEVEL_WARNING, (), _LOCK.format(lock="File Lock")),
        fields=(
            Field("InterferingImageName"),
            Field("InterferingPID", VT.UINT32),
            Field("ProfsvcPID", VT.UINT32),
        ),
    ),
    1552: replace(
        _profsvc(1552, LEVEL_WARNING, (), _LOCK.format(lock="Registry Lock")),
        fields=(
            Field("InterferingImageName"),
            Field("InterferingPID", VT.UINT32),
            Field("ProfsvcPID", VT.UINT32),
        ),
    ),
}
# From Windows 8.1 / Server 2012 R2 on, 1530 is informational and says so.
PROFSVC_1530_INFO: Final = replace(
    PROFSVC_KINDS[1530], level=LEVEL_INFO, message=_1530.format(extra="No user action is required.")
)
# 1530 logged the classic way: the DETAIL is the only, unnamed, value.
PROFSVC_1530_CLASSIC: Final = EventKind(
    PROFSVC,
    1530,
    APPLICATION,
    LEVEL_WARNING,
    (U,),
    provider_guid=PROFSVC_GUID,
    event_source="Profsvc",
    qualifiers=Q_WARNING,
    keywords=KEYWORDS_CLASSIC,
    message=_1530.format(extra="").replace(" \r\n %1", "%1"),
)
PROFGEN_1509: Final = EventKind(
    PROFGEN,
    1509,
    APPLICATION,
    LEVEL_WARNING,
    (Field("File"), Field("Location"), Field("Error")),
    provider_guid=PROFGEN_GUID,
    keywords=KEYWORDS_NONE,
    message=_1509,
)


def _operational(event_id: int, opcode: int, fields: tuple[Field, ...], message: str) -> EventKind:
    return EventKind(
        PROFSVC,
        event_id,
        PROFILE_OPERATIONAL,
        LEVEL_INFO,
        fields,
        provider_guid=PROFSVC_GUID,
        opcode=opcode,
        keywords=KEYWORDS_OPERATIONAL,
        message=message,
    )


_SESSION = (Field("Session", VT.UINT32),)
OPERATIONAL_KINDS: Final[dict[int, EventKind]] = {
    1: _operational(1, 1, _SESSION, "Recieved user logon notification on session %1."),
    2: _operational(2, 2, _SESSION, "Finished processing user logon notification on session %1."),
    3: _operational(3, 1, _SESSION, "Recieved user logoff notification on session %1."),
    4: _operational(4, 2, _SESSION, "Finished processing user logoff notification on session %1."),
    5: _operational(5, 0, (Field("File"), Field("Key")), "Registry file %1 is loaded at %2."),
    67: _operational(
        67,
        0,
        (Field("LogonType"), Field("LocalPath"), Field("ProfileType")),
        "Logon type: %1\r\n Local profile location: %2\r\n Profile type: %3",
    ),
}

# -- UPHClean (2000, XP, 2003) --------------------------------------------------------------

_UPH_REMAP = (
    "The following handles in user profile hive %1 have been remapped because they were "
    "preventing the profile from unloading successfully: \r\n \r\n%2"
)
_UPH_CLOSED = (
    "The following handles opened in the user profile hive %1 have been closed because they "
    "were preventing the profile from unloading successfully: \r\n \r\n%2"
)
_UPH_FAILED = (
    "The following handles opened in the user profile hive %1 could not be closed. The "
    "profile will not unload successfully: \r\n \r\n%2"
)
_UPH_REPORT = (
    "The following handles are preventing the user profile hive %1 from unloading "
    "successfully (report only mode): \r\n \r\n%2"
)


def _uph(event_id: int, q: int, level: int, n: int, message: str) -> EventKind:
    return EventKind(
        UPHCLEAN,
        event_id,
        APPLICATION,
        level,
        (U,) * n,
        qualifiers=q,
        keywords=KEYWORDS_CLASSIC,
        message=message,
    )


UPHCLEAN_KINDS: Final[dict[int, EventKind]] = {
    1001: _uph(
        1001,
        Q_INFO,
        LEVEL_INFO,
        1,
        "User Profile Hive Cleanup Service version %1 started successfully.",
    ),
    1010: _uph(
        1010, Q_INFO, LEVEL_INFO, 0, "User Profile Hive Cleanup Service stopped successfully."
    ),
    1111: _uph(
        1111,
        Q_WARNING,
        LEVEL_WARNING,
        1,
        "The profile hive of %1 failed to unload. The unload will be retried.",
    ),
    1201: _uph(1201, Q_INFO, LEVEL_INFO, 2, _UPH_CLOSED),
    1211: _uph(1211, Q_ERROR, LEVEL_ERROR, 2, _UPH_FAILED),
    1401: _uph(1401, Q_INFO, LEVEL_INFO, 2, _UPH_REMAP),
    1501: _uph(1501, Q_WARNING, LEVEL_WARNING, 2, _UPH_REPORT),
    1511: _uph(
        1511,
        Q_WARNING,
        LEVEL_WARNING,
        1,
        "The profile hive of %1 is loaded although the user is not logged on.",
    ),
}

# -- Offline Files (Vista and later) and the registry-quota popup --------------------------


def _csc(event_id: int, level: int, fields: tuple[str, ...], message: str) -> EventKind:
    return EventKind(
        OFFLINE_FILES,
        event_id,
        SYSTEM,
        level,
        tuple(Field(n) for n in fields),
        provider_guid=OFFLINE_FILES_GUID,
        keywords=KEYWORDS_NONE,
        message=message,
    )


OFFLINE_FILES_KINDS: Final[dict[int, EventKind]] = {
    7: _csc(7, LEVEL_INFO, ("Account", "Session"), "User logon detected: %1 Session: %2"),
    8: _csc(8, LEVEL_INFO, ("Account", "Session"), "User logoff detected: %1 Session: %2"),
    9: _csc(9, LEVEL_INFO, ("Path",), "%1 path is disconnected"),
    10: _csc(10, LEVEL_INFO, ("Path",), "%1 path is reconnected"),
    1004: _csc(1004, LEVEL_WARNING, ("Path",), "Path %1 transitioned to slow link"),
    1008: _csc(
        1008,
        LEVEL_WARNING,
        ("Path", "FileName"),
        "Path %1 failed to transition to slow link because of an open handle on %2",
    ),
    2005: _csc(2005, LEVEL_INFO, ("Path",), "Synchronization of %1 succeeded"),
    2006: _csc(2006, LEVEL_ERROR, ("Path", "Error"), "Synchronization of %1 failed: %2"),
}

POPUP_333: Final = EventKind(
    APP_POPUP,
    333,
    SYSTEM,
    LEVEL_ERROR,
    (),
    qualifiers=Q_ERROR,
    keywords=KEYWORDS_CLASSIC,
    binary=True,
    message=(
        "An I/O operation initiated by the Registry failed unrecoverably. The Registry could not "
        "read in, or write out, or flush, one of the files that contain the system's image of "
        "the Registry."
    ),
)
POPUP_333_VISTA: Final = replace(POPUP_333, provider_guid=APP_POPUP_GUID)


def lower_case_source(kind: EventKind) -> EventKind:
    """UPHClean registered as 'uphclean', as some installations show it."""
    return replace(kind, provider=kind.provider.lower())


# Incident classes (shared/CONTRACT.md), in the precedence the truth uses when one logoff
# produced events of several classes: the first class present names the incident.
CLASS_PRECEDENCE: Final = (
    "hive_leak_forced_unload",
    "hive_locked_by_process",
    "hive_held_memory_not_freed",
    "classes_hive_held",
    "unload_access_denied",
    "uphclean_failed",
    "uphclean_released",
    "profile_not_deleted",
    "roaming_sync_failed",
    "profile_load_failed",
    "registry_quota",
)
