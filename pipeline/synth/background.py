"""Background events from other providers: the large majority of every log, as data.

Each entry is a kind, a relative weight within its (era, channel) and a small function
drawing the values. Several ids collide on purpose with profile events under other
providers (Application Error / LoadPerf / Userinit 1000, GroupPolicy 1500-1503, User
Profiles Service 1531/1532 that are no failures) so that readers must key on
provider plus id. Value types cover every substitution type the EVTX writer supports.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from pipeline.synth.binxml import VT
from pipeline.synth.catalog import APPLICATION, PROFSVC, PROFSVC_GUID, SYSTEM
from pipeline.synth.hosts import Host
from pipeline.synth.model import (
    KEYWORDS_CLASSIC,
    KEYWORDS_NONE,
    LEVEL_ERROR,
    LEVEL_INFO,
    LEVEL_WARNING,
    Q_ERROR,
    Q_INFO,
    Q_SUCCESS,
    Q_WARNING,
    SYSTEM_SID,
    EventKind,
    Field,
)

Values = Callable[[random.Random, Host, int], tuple[Any, ...]]
NETWORK_SERVICE_SID: Final = "S-1-5-20"


@dataclass(frozen=True, slots=True)
class Background:
    kind: EventKind
    weight: float
    values: Values
    user: str | None = None  # None | 'system' | 'network' | 'user'
    activity: bool = False  # carries a Correlation ActivityID


def _classic(
    provider: str,
    eid: int,
    channel: str,
    level: int,
    q: int,
    n: int,
    binary: bool = False,
    message: str = "",
) -> EventKind:
    return EventKind(
        provider,
        eid,
        channel,
        level,
        (Field(None),) * n,
        qualifiers=q,
        keywords=KEYWORDS_CLASSIC,
        binary=binary,
        message=message,
    )


def _manifest(
    provider: str,
    guid: str,
    eid: int,
    channel: str,
    level: int,
    fields: tuple[Field, ...],
    message: str = "",
    task: int = 0,
    source: str | None = None,
    q: int | None = None,
    binary: bool = False,
) -> EventKind:
    return EventKind(
        provider,
        eid,
        channel,
        level,
        fields,
        provider_guid=guid,
        event_source=source,
        qualifiers=q,
        task=task,
        keywords=KEYWORDS_NONE,
        binary=binary,
        message=message,
    )


def _f(*spec: str | tuple[str, int]) -> tuple[Field, ...]:
    return tuple(Field(s) if isinstance(s, str) else Field(s[0], s[1]) for s in spec)


SERVICES: Final = (
    ("Windows Update", "wuauserv"),
    ("Background Intelligent Transfer Service", "BITS"),
    ("Windows Modules Installer", "TrustedInstaller"),
    ("WinHTTP Web Proxy Auto-Discovery Service", "WinHttpAutoProxySvc"),
    ("Windows Error Reporting Service", "WerSvc"),
    ("Software Protection", "sppsvc"),
    ("Application Information", "Appinfo"),
    ("Device Setup Manager", "DsmSvc"),
    ("Microsoft Store Install Service", "InstallService"),
    ("Print Spooler", "Spooler"),
)
OLD_SERVICES: Final = (
    ("Automatic Updates", "wuauserv"),
    ("Background Intelligent Transfer Service", "BITS"),
    ("Print Spooler", "Spooler"),
    ("Remote Registry", "RemoteRegistry"),
    ("Windows Installer", "MSIServer"),
    ("Help and Support", "helpsvc"),
)
APPS: Final = (
    (
        "EXCEL.EXE",
        "16.0.17328.20162",
        "C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE",
    ),
    ("chrome.exe", "122.0.6261.112", "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe"),
    ("Teams.exe", "1.6.0.35961", "C:\\Users\\Public\\Teams\\current\\Teams.exe"),
    (
        "AcroRd32.exe",
        "23.8.20470.0",
        "C:\\Program Files (x86)\\Adobe\\Acrobat Reader DC\\Reader\\AcroRd32.exe",
    ),
)
PRODUCTS: Final = (
    ("Microsoft Edge", "122.0.2365.80", "Microsoft Corporation"),
    ("7-Zip 23.01 (x64 edition)", "23.01.00.0", "Igor Pavlov"),
    ("Citrix Workspace Inside", "23.11.0.47", "Citrix Systems, Inc."),
    ("Notepad++ (64-bit x64)", "8.6.4", "Notepad++ Team"),
)
DC: Final = ("\\\\DC-01.corp.contoso.com", "\\\\DC-02.corp.contoso.com")


def _svc(rng: random.Random, host: Host, t: int) -> tuple[Any, ...]:
    name, key = rng.choice(SERVICES)
    state = rng.choice(("running", "stopped"))
    return (name, state, f"{key}/{1 if state == 'running' else 4}".encode("utf-16-le"))


def _app_error(rng: random.Random, host: Host, t: int) -> tuple[Any, ...]:
    app, ver, path = rng.choice(APPS)
    return (
        app,
        ver,
        f"{rng.getrandbits(32):08x}",
        "ntdll.dll",
        "10.0.19041.3636",
        "b1a3c5f2",
        "c0000005",
        f"0x{rng.getrandbits(24):016x}",
        f"0x{rng.randrange(400, 40000):x}",
        f"0x01da{rng.getrandbits(44):011x}",
        path,
        "C:\\Windows\\SYSTEM32\\ntdll.dll",
        "{" + guid(rng)[1:-1].lower() + "}",
    )


def guid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032X}"
    return f"{{{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}}}"


def _boot(rng: random.Random, host: Host, t: int) -> tuple[Any, ...]:
    major, minor = host.os.version
    return (
        major,
        minor,
        host.os.build,
        rng.randrange(0, 4000),
        0,
        0,
        t - 10_000_000 * rng.randrange(5, 60),
    )


def _time_change(rng: random.Random, host: Host, t: int) -> tuple[Any, ...]:
    return (t, t - rng.randrange(1, 30_000_000), 2)


_GPO: Final = (
    ("SupportInfo1", VT.UINT32),
    ("SupportInfo2", VT.UINT32),
    ("ProcessingMode", VT.UINT32),
    ("ProcessingTimeInMilliseconds", VT.UINT32),
)


def _gpo(rng: random.Random, host: Host, t: int) -> tuple[Any, ...]:
    return (1, rng.randrange(600, 5000), 0, rng.randrange(200, 9000))


_GP = "{AEA1B4FA-97D1-45F2-A64C-4D69FFFD92C9}"
_SCM_GUID = "{555908D1-A6D7-4695-8E1E-26931D2012F4}"
_KG = "{A68CA8B7-004F-D7B6-A698-07E2DE0F1F5D}"

# Logged the same way by every generation.
_EVENTLOG_STARTED: Final = Background(
    _classic(
        "EventLog",
        6005,
        SYSTEM,
        LEVEL_INFO,
        Q_WARNING,
        0,
        True,
        "The Event log service was started.",
    ),
    2,
    lambda r, h, t: (bytes(4),),
)

NEW_SYSTEM: Final[tuple[Background, ...]] = (
    Background(
        _manifest(
            "Service Control Manager",
            _SCM_GUID,
            7036,
            SYSTEM,
            LEVEL_INFO,
            _f("param1", "param2"),
            "The %1 service entered the %2 state.",
            source="Service Control Manager",
            q=Q_INFO,
            binary=True,
        ),
        40,
        _svc,
    ),
    Background(
        _manifest(
            "Service Control Manager",
            _SCM_GUID,
            7040,
            SYSTEM,
            LEVEL_INFO,
            _f("param1", "param2", "param3", "param4"),
            "The start type of the %1 service was changed from %2 to %3.",
            source="Service Control Manager",
            q=Q_INFO,
        ),
        3,
        lambda r, h, t: (
            r.choice(SERVICES)[0],
            "demand start",
            "auto start",
            r.choice(SERVICES)[1],
        ),
        user="system",
    ),
    Background(
        _manifest(
            "Microsoft-Windows-Kernel-General",
            _KG,
            12,
            SYSTEM,
            LEVEL_INFO,
            _f(
                ("MajorVersion", VT.UINT32),
                ("MinorVersion", VT.UINT32),
                ("BuildVersion", VT.UINT32),
                ("QfeVersion", VT.UINT32),
                ("ServiceVersion", VT.UINT32),
                ("BootMode", VT.UINT32),
                ("StartTime", VT.SYSTEMTIME),
            ),
            "The operating system started at system time %7.",
        ),
        2,
        _boot,
        user="system",
    ),
    Background(
        _manifest(
            "Microsoft-Windows-Kernel-General",
            _KG,
            1,
            SYSTEM,
            LEVEL_INFO,
            _f(("NewTime", VT.FILETIME), ("OldTime", VT.FILETIME), ("Reason", VT.UINT32)),
            "The system time has changed to %1 from %2.",
        ),
        2,
        _time_change,
        user="system",
    ),
    _EVENTLOG_STARTED,
    Background(
        _classic(
            "EventLog",
            6013,
            SYSTEM,
            LEVEL_INFO,
            Q_WARNING,
            7,
            True,
            "The system uptime is %5 seconds.",
        ),
        2,
        lambda r, h, t: (
            "",
            "",
            "",
            "",
            str(r.randrange(60, 900_000)),
            "60",
            "60 W. Europe Standard Time",
            bytes(8),
        ),
    ),
    Background(
        _manifest(
            "Microsoft-Windows-Winlogon",
            "{DBE9B383-7CF3-4331-91CC-A3CB16A3B538}",
            7001,
            SYSTEM,
            LEVEL_INFO,
            _f(("TSId", VT.UINT32), ("UserSid", VT.SID)),
            "User Logon Notification for Customer Experience Improvement Program",
            task=1101,
        ),
        4,
        lambda r, h, t: (r.randrange(1, 9), r.choice(h.users).sid),
        user="system",
    ),
    Background(
        _manifest(
            "Microsoft-Windows-Time-Service",
            "{06EDCFEB-0FD0-4E53-ACCA-A6F8BBF81BCB}",
            37,
            SYSTEM,
            LEVEL_INFO,
            _f("TimeSource"),
            "The time provider NtpClient is currently receiving valid time data from %1.",
        ),
        3,
        lambda r, h, t: (
            f"DC-0{r.randrange(1, 3)}.corp.contoso.com "
            f"(ntp.d|0.0.0.0:123->10.0.0.{r.randrange(2, 9)}:123)",
        ),
        user="network",
    ),
    Background(
        _manifest(
            "Microsoft-Windows-GroupPolicy",
            _GP,
            1500,
            SYSTEM,
            LEVEL_INFO,
            _f(*_GPO),
            "The Group Policy settings for the computer were processed successfully. "
            "There were no changes detected since the last successful processing of "
            "Group Policy.",
            task=0,
        ),
        6,
        _gpo,
        user="system",
        activity=True,
    ),
    Background(
        _manifest(
            "Microsoft-Windows-GroupPolicy",
            _GP,
            1502,
            SYSTEM,
            LEVEL_INFO,
            _f(*_GPO),
            "The Group Policy settings for the computer were processed successfully. "
            "New settings from 2 Group Policy objects were detected and applied.",
        ),
        2,
        _gpo,
        user="system",
        activity=True,
    ),
    Background(
        _manifest(
            "Microsoft-Windows-GroupPolicy",
            _GP,
            1503,
            SYSTEM,
            LEVEL_INFO,
            _f(*_GPO),
            "The Group Policy settings for the user were processed successfully. New "
            "settings from 1 Group Policy objects were detected and applied.",
        ),
        2,
        _gpo,
        user="user",
        activity=True,
    ),
    Background(
        _manifest(
            "Microsoft-Windows-DNS-Client",
            "{1C95126E-7EEA-49A9-A3FE-A378B03DDB4D}",
            1014,
            SYSTEM,
            LEVEL_WARNING,
            _f("QueryName", ("AddressLength", VT.UINT32)),
            "Name resolution for the name %1 timed out after none of the configured "
            "DNS servers responded.",
        ),
        4,
        lambda r, h, t: (r.choice(("wpad", "ctldl.windowsupdate.com", "fileserver01")), 128),
        user="network",
    ),
    Background(
        _manifest(
            "Microsoft-Windows-WindowsUpdateClient",
            "{945A8954-C147-4ACD-923F-40C45405A658}",
            19,
            SYSTEM,
            LEVEL_INFO,
            _f("updateTitle", ("updateGuid", VT.GUID), ("updateRevisionNumber", VT.UINT32)),
            "Installation Successful: Windows successfully installed the following update: %1",
        ),
        2,
        lambda r, h, t: (
            "Security Intelligence Update for Microsoft Defender Antivirus - KB2267602",
            guid(r),
            r.randrange(1, 300),
        ),
        user="system",
    ),
    Background(
        _manifest(
            "Microsoft-Windows-DistributedCOM",
            "{1B562E86-B7AA-4131-BADC-B6F3A001407E}",
            10016,
            SYSTEM,
            LEVEL_WARNING,
            _f(*(f"param{i}" for i in range(1, 12))),
            "The application-specific permission settings do not grant Local Activation "
            "permission for the COM Server application with CLSID %4 and APPID %6 to the "
            "user %8\\%9 SID (%10) from address LocalHost (Using LRPC).",
            source="DCOM",
            q=Q_SUCCESS,
        ),
        3,
        lambda r, h, t: (
            "application-specific",
            "Local",
            "Activation",
            "{2593F8B9-4EAF-457C-B68A-50F6B8EA6B54}",
            "{15C20B67-12E7-4BB6-92BB-7AFF07997402}",
            "NT AUTHORITY",
            "LOCAL SERVICE",
            "S-1-5-19",
            "LocalHost (Using LRPC)",
            "Unavailable",
            "Unavailable",
        ),
        user="user",
    ),
)

NEW_APPLICATION: Final[tuple[Background, ...]] = (
    Background(
        _classic(
            "Application Error",
            1000,
            APPLICATION,
            LEVEL_ERROR,
            Q_SUCCESS,
            13,
            False,
            "Faulting application name: %1, version: %2, time stamp: 0x%3",
        ),
        3,
        _app_error,
    ),
    Background(
        _classic(
            "MsiInstaller",
            1033,
            APPLICATION,
            LEVEL_INFO,
            Q_SUCCESS,
            5,
            True,
            "Windows Installer installed the product. Product Name: %1. Product Version: "
            "%2. Product Language: %3. Manufacturer: %4. Installation success or error "
            "status: %5.",
        ),
        2,
        lambda r, h, t: (*r.choice(PRODUCTS)[:2], "1033", r.choice(PRODUCTS)[2], "0", b"(NULL)"),
        user="user",
    ),
    Background(
        _manifest(
            "Microsoft-Windows-RestartManager",
            "{0888E5EF-9B98-4695-979D-E92CE4247224}",
            10000,
            APPLICATION,
            LEVEL_INFO,
            _f(("RmSessionId", VT.UINT32), ("UTCStartTime", VT.FILETIME)),
            "Starting session %1 - %2.",
        ),
        6,
        lambda r, h, t: (r.randrange(0, 4), t),
        user="user",
    ),
    Background(
        _manifest(
            "Microsoft-Windows-RestartManager",
            "{0888E5EF-9B98-4695-979D-E92CE4247224}",
            10001,
            APPLICATION,
            LEVEL_INFO,
            _f(("RmSessionId", VT.UINT32), ("UTCStartTime", VT.FILETIME)),
            "Ending session %1 started %2.",
        ),
        6,
        lambda r, h, t: (r.randrange(0, 4), t - 30_000_000),
        user="user",
    ),
    Background(
        _classic(
            "ESENT",
            326,
            APPLICATION,
            LEVEL_INFO,
            Q_SUCCESS,
            5,
            False,
            "%1 (%2,D,12) %3: The database engine attached a database (1, %4).",
        ),
        4,
        lambda r, h, t: (
            "svchost",
            str(r.randrange(400, 9000)),
            "SRUJet: ",
            "C:\\Windows\\system32\\SRU\\SRUDB.dat",
            "0",
        ),
    ),
    Background(
        _manifest(
            "Microsoft-Windows-Security-SPP",
            "{E23B33B0-C8C9-472C-A5F9-F2BDFEA0F156}",
            16384,
            APPLICATION,
            LEVEL_INFO,
            (Field(None), Field(None)),
            "Successfully scheduled Software Protection service for re-start at %1. Reason: %2.",
            source="Software Protection Platform Service",
            q=Q_INFO,
        ),
        8,
        lambda r, h, t: ("2124-02-10T08:12:37Z", "RulesEngine"),
    ),
    Background(
        _manifest(
            PROFSVC,
            PROFSVC_GUID,
            1531,
            APPLICATION,
            LEVEL_INFO,
            (),
            "The User Profile Service has started successfully.",
        ),
        1,
        lambda r, h, t: (),
        user="system",
    ),
    Background(
        _manifest(
            PROFSVC,
            PROFSVC_GUID,
            1532,
            APPLICATION,
            LEVEL_INFO,
            (),
            "The User Profile Service has stopped.",
        ),
        1,
        lambda r, h, t: (),
        user="system",
    ),
    Background(
        _classic(
            "VSS",
            8224,
            APPLICATION,
            LEVEL_INFO,
            Q_SUCCESS,
            0,
            True,
            "The VSS service is shutting down due to idle timeout.",
        ),
        4,
        lambda r, h, t: (bytes.fromhex("2d20436f646520"),),
    ),
    Background(
        _classic(
            "SecurityCenter",
            15,
            APPLICATION,
            LEVEL_INFO,
            Q_SUCCESS,
            2,
            False,
            "Updated %1 status successfully to %2.",
        ),
        5,
        lambda r, h, t: ("Windows Defender", "SECURITY_PRODUCT_STATE_ON"),
    ),
)


def _osvc(rng: random.Random, host: Host, t: int) -> tuple[Any, ...]:
    return (rng.choice(OLD_SERVICES)[0], rng.choice(("running", "stopped")))


OLD_SYSTEM: Final[tuple[Background, ...]] = (
    Background(
        _classic(
            "Service Control Manager",
            7036,
            SYSTEM,
            LEVEL_INFO,
            Q_INFO,
            2,
            False,
            "The %1 service entered the %2 state.",
        ),
        40,
        _osvc,
    ),
    Background(
        _classic(
            "Service Control Manager",
            7035,
            SYSTEM,
            LEVEL_INFO,
            Q_INFO,
            2,
            False,
            "The %1 service was successfully sent a %2 control.",
        ),
        12,
        lambda r, h, t: (r.choice(OLD_SERVICES)[0], r.choice(("start", "stop"))),
        user="system",
    ),
    _EVENTLOG_STARTED,
    Background(
        _classic(
            "EventLog",
            6009,
            SYSTEM,
            LEVEL_INFO,
            Q_WARNING,
            4,
            True,
            "Microsoft (R) Windows (R) %1. %2 %3 %4.",
        ),
        2,
        lambda r, h, t: (
            f"{h.os.version[0]}.{h.os.version[1]}",
            str(h.os.build),
            "Service Pack 2",
            "Uniprocessor Free",
            bytes(4),
        ),
    ),
    Background(
        _classic(
            "Tcpip",
            4201,
            SYSTEM,
            LEVEL_INFO,
            Q_INFO,
            2,
            True,
            "The system detected that network adapter %2 was connected to the network.",
        ),
        4,
        lambda r, h, t: ("", "\\DEVICE\\TCPIP_{8F3C1C55-5E6B-4A0D-9B11-3E2A1F7D9C40}", bytes(8)),
    ),
    Background(
        _classic(
            "W32Time",
            35,
            SYSTEM,
            LEVEL_INFO,
            Q_INFO,
            1,
            False,
            "The time service is now synchronizing the system time with the time source %1.",
        ),
        5,
        lambda r, h, t: ("dc-01.corp.contoso.com (ntp.d|10.0.0.12:123->10.0.0.2:123)",),
    ),
    Background(
        _classic(
            "NETLOGON",
            5719,
            SYSTEM,
            LEVEL_ERROR,
            Q_ERROR,
            2,
            True,
            "No Domain Controller is available for domain %1 due to the following: %2",
        ),
        2,
        lambda r, h, t: (
            "CONTOSO",
            "There are currently no logon servers available to service the logon request. ",
            bytes.fromhex("5e000000"),
        ),
    ),
    Background(
        _classic(
            "Print",
            10,
            SYSTEM,
            LEVEL_INFO,
            Q_SUCCESS,
            7,
            False,
            "Document %1, %2 owned by %3 was printed on %4 via port %5. Size in bytes: "
            "%6; pages printed: %7",
        ),
        6,
        lambda r, h, t: (
            str(r.randrange(1, 99)),
            "Microsoft Word - Report.doc",
            r.choice(h.users).name,
            "HP LaserJet 4250 PCL 6",
            "IP_10.0.4.21",
            str(r.randrange(9000, 900000)),
            str(r.randrange(1, 40)),
        ),
        user="user",
    ),
)

OLD_APPLICATION: Final[tuple[Background, ...]] = (
    Background(
        _classic(
            "Application Error",
            1000,
            APPLICATION,
            LEVEL_ERROR,
            Q_SUCCESS,
            5,
            True,
            "Faulting application %1, version %2, faulting module %3, version %4, fault "
            "address 0x%5.",
        ),
        3,
        lambda r, h, t: (
            "iexplore.exe",
            "6.0.2900.5512",
            "mshtml.dll",
            "6.0.2900.5512",
            f"{r.getrandbits(24):08x}",
            bytes(16),
        ),
    ),
    Background(
        _classic(
            "LoadPerf",
            1000,
            APPLICATION,
            LEVEL_INFO,
            Q_INFO,
            2,
            True,
            "Performance counters for the %1 (%2) service were loaded successfully.",
        ),
        3,
        lambda r, h, t: ("RemoteAccess", "Routing and Remote Access", bytes(24)),
    ),
    Background(
        _classic(
            "Userinit",
            1000,
            APPLICATION,
            LEVEL_ERROR,
            Q_ERROR,
            2,
            False,
            "Could not execute the following script %1. %2",
        ),
        1,
        lambda r, h, t: ("logon.bat", "The system cannot find the file specified. "),
    ),
    Background(
        _classic(
            "MsiInstaller",
            11707,
            APPLICATION,
            LEVEL_INFO,
            Q_SUCCESS,
            1,
            True,
            "Product: %1 -- Installation completed successfully.",
        ),
        2,
        lambda r, h, t: ("Adobe Reader 8.1.2", b"(NULL)"),
        user="user",
    ),
    Background(
        _classic(
            "SceCli",
            1704,
            APPLICATION,
            LEVEL_INFO,
            Q_INFO,
            0,
            False,
            "Security policy in the Group policy objects has been applied successfully.",
        ),
        12,
        lambda r, h, t: (),
    ),
    Background(
        _classic(
            "ESENT",
            100,
            APPLICATION,
            LEVEL_INFO,
            Q_SUCCESS,
            3,
            False,
            "%1 (%2) %3The database engine 5.01.2600.5512 started.",
        ),
        6,
        lambda r, h, t: ("wuauclt", str(r.randrange(400, 4000)), ""),
    ),
    Background(
        _classic(
            "Symantec AntiVirus",
            7,
            APPLICATION,
            LEVEL_INFO,
            Q_SUCCESS,
            1,
            False,
            "New virus definition file loaded. Version: %1",
        ),
        8,
        lambda r, h, t: (f"{r.randrange(80000, 90000)}a",),
    ),
)


def table(era: str, channel: str) -> tuple[Background, ...]:
    if era == "new":
        return NEW_SYSTEM if channel == SYSTEM else NEW_APPLICATION
    return OLD_SYSTEM if channel == SYSTEM else OLD_APPLICATION


def user_sid_for(entry: Background, rng: random.Random, host: Host) -> str | None:
    if entry.user == "system":
        return SYSTEM_SID
    if entry.user == "network":
        return NETWORK_SERVICE_SID
    if entry.user == "user":
        return rng.choice(host.users).sid
    return None
