"""Who holds hives open: processes and registry keys, drawn from a heavy-tailed distribution.

The catalog is ranked: the weight of rank r is 1 / r**ZIPF_EXPONENT, so a few chronic
process/key pairs show up on many hosts while most appear rarely. On top of it each host
has one "local favourite" (the software its users run) and a share of one-off offenders
(vendor agents nobody else has), which make the long tail.

Keys are HKCU-relative (shared/CONTRACT.md `hive_leaks.key`): 'HKCU', 'HKCU\\X' for the
user hive, 'HKCU\\Software\\Classes[\\X]' for the classes hive. Some processes spell a
key with different case than others (SOFTWARE vs Software), as real reports do.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Final

ZIPF_EXPONENT: Final = 1.25
CLASSES_ROOT: Final = "HKCU\\Software\\Classes"
ERAS: Final = ("old", "new")  # old: NT4-2003 with UPHClean bodies; new: Vista+ 1530


@dataclass(frozen=True, slots=True)
class Offender:
    """A process image and the keys it tends to keep open."""

    image: str  # path below the volume root, e.g. 'Windows\\System32\\svchost.exe'
    keys: tuple[str, ...]
    eras: tuple[str, ...] = ERAS

    @property
    def file_name(self) -> str:
        return self.image.rsplit("\\", 1)[-1]


@dataclass(frozen=True, slots=True)
class Leak:
    """One process holding one key: `handles` handles (identical lines in a 1530 DETAIL)."""

    image: str
    pid: int
    key: str
    handles: int

    @property
    def process_name(self) -> str:
        return self.image.rsplit("\\", 1)[-1].lower()

    @property
    def hive(self) -> str:
        k = self.key.lower()
        classes = CLASSES_ROOT.lower()
        return "classes" if k == classes or k.startswith(classes + "\\") else "user"


_IS = "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings"
CATALOG: Final[tuple[Offender, ...]] = (
    Offender("Windows\\System32\\svchost.exe", (_IS, "HKCU", _IS + "\\Connections")),
    Offender("Windows\\System32\\dllhost.exe", (CLASSES_ROOT, CLASSES_ROOT + "\\CLSID")),
    Offender(
        "Program Files (x86)\\Kaspersky Lab\\Kaspersky Endpoint Security for Windows\\avp.exe",
        ("HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\Shell Folders", "HKCU"),
    ),
    Offender(
        "Windows\\System32\\msiexec.exe",
        ("HKCU\\Software\\Microsoft\\Installer", CLASSES_ROOT + "\\Installer\\Products"),
    ),
    Offender("Windows\\System32\\lsass.exe", ("HKCU",)),
    Offender(
        "Windows\\System32\\spoolsv.exe",
        (
            "HKCU\\Printers\\Connections",
            "HKCU\\Software\\Microsoft\\Windows NT\\CurrentVersion\\Devices",
        ),
    ),
    Offender(
        "Program Files (x86)\\Citrix\\ICA Client\\SSONSVR.exe",
        ("HKCU\\Software\\Citrix\\ICA Client",),
    ),
    Offender(
        "Windows\\explorer.exe", ("HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Explorer",)
    ),
    Offender(
        "Windows\\System32\\wbem\\WmiPrvSE.exe",
        ("HKCU\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Internet Settings",),
    ),
    Offender(
        "Program Files\\Microsoft Application Virtualization\\Client\\AppVClient.exe",
        ("HKCU\\Software\\Microsoft\\AppV\\Client\\Packages",),
        ("new",),
    ),
    Offender(
        "Program Files\\Common Files\\Symantec Shared\\ccSvcHst.exe", ("HKCU\\Software\\Symantec",)
    ),
    Offender(
        "Program Files\\Symantec AntiVirus\\Rtvscan.exe",
        ("HKCU", "HKCU\\Software\\Intel\\LANDesk\\VirusProtect6"),
        ("old",),
    ),
    Offender(
        "Windows\\System32\\spool\\drivers\\w32x86\\3\\hpqtra08.exe",
        ("HKCU\\Printers\\DevModePerUser", "HKCU\\Software\\Hewlett-Packard\\HP Print Settings"),
    ),
    Offender(
        "00.Install\\SQL Server 2016 Enterprise Core\\x64\\ScenarioEngine.exe",
        ("HKCU\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Internet Settings",),
        ("new",),
    ),
    Offender(
        "Program Files (x86)\\Steam\\SteamApps\\common\\SpaceEngineers\\Bin64\\SpaceEngineers.exe",
        (CLASSES_ROOT,),
        ("new",),
    ),
    Offender("Windows\\System32\\winlogon.exe", ("HKCU\\Control Panel\\Desktop",)),
    Offender(
        "Windows\\System32\\taskhostw.exe",
        ("HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\SessionInfo",),
        ("new",),
    ),
    Offender(
        "Windows\\System32\\SearchIndexer.exe",
        ("HKCU\\Software\\Microsoft\\Windows Search",),
        ("new",),
    ),
    Offender(
        "Program Files\\Windows Defender\\MsMpEng.exe",
        ("HKCU\\Software\\Microsoft\\Windows Defender",),
        ("new",),
    ),
    Offender(
        "Program Files (x86)\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE",
        (
            "HKCU\\Software\\Microsoft\\Office\\16.0\\Outlook\\Profiles\\Outlook\\9375CFF0413111d3B88A00104B2A6676",
        ),
        ("new",),
    ),
    Offender(
        "Program Files\\Microsoft Office\\OFFICE11\\OUTLOOK.EXE",
        ("HKCU\\Software\\Microsoft\\Office\\11.0\\Outlook",),
        ("old",),
    ),
    Offender(
        "Program Files\\McAfee\\VirusScan Enterprise\\Mcshield.exe",
        ("HKCU\\Software\\Network Associates",),
        ("old",),
    ),
    Offender(
        "Program Files\\Common Files\\Microsoft Shared\\Virtualization Handler\\CVH.EXE",
        (
            CLASSES_ROOT
            + "\\Local Settings\\Software\\Microsoft\\Windows\\CurrentVersion\\AppModel",
        ),
        ("new",),
    ),
    Offender(
        "Windows\\System32\\rundll32.exe",
        ("HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run",),
    ),
    Offender("Program Files\\Citrix\\System32\\ctxsvchost.exe", ("HKCU\\Software\\Citrix",)),
)

_TAIL_VENDORS: Final = (
    ("Acme Corp", "Inventory Agent", "acmeagent.exe"),
    ("Contoso Tools", "Sync Client", "ctsync.exe"),
    ("Fabrikam", "Print Monitor", "fbprnmon.exe"),
    ("Northwind Traders", "Order Desk", "nworders.exe"),
    ("Tailspin Toys", "Updater", "tsupdate.exe"),
    ("Wingtip", "Badge Reader", "wtbadge.exe"),
    ("Litware Inc", "Dictation (Pro)", "litdict.exe"),
    ("Adventure Works", "CAD Viewer", "awcadview.exe"),
    ("Proseware", "License Manager", "pwlicmgr.exe"),
    ("Woodgrove Bank", "Token Service", "wgtoken.exe"),
)


def zipf_weights(n: int) -> list[float]:
    return [1.0 / (r**ZIPF_EXPONENT) for r in range(1, n + 1)]


def catalog_for(era: str) -> tuple[Offender, ...]:
    return tuple(o for o in CATALOG if era in o.eras)


def tail_offender(rng: random.Random, host_tag: str) -> Offender:
    """A one-off offender: a vendor agent with a key nobody else's process holds."""
    vendor, product, exe = rng.choice(_TAIL_VENDORS)
    n = rng.randrange(1, 10_000)
    key = f"HKCU\\Software\\{vendor}\\{product}\\Profiles\\{host_tag}-{n:04d}"
    return Offender(f"Program Files\\{vendor}\\{product}\\{exe}", (key,))


class OffenderPicker:
    """Draws the leaks of one host's incidents."""

    TAIL_SHARE: Final = 0.12
    FAVOURITE_SHARE: Final = 0.3

    def __init__(self, rng: random.Random, era: str, host_tag: str) -> None:
        self._rng = rng
        self._era = era
        self._tag = host_tag
        self._catalog = catalog_for(era)
        self._weights = zipf_weights(len(self._catalog))
        self.favourite = rng.choices(self._catalog, self._weights)[0]

    def offender(self) -> Offender:
        u = self._rng.random()
        if u < self.TAIL_SHARE:
            return tail_offender(self._rng, self._tag)
        if u < self.TAIL_SHARE + self.FAVOURITE_SHARE:
            return self.favourite
        return self._rng.choices(self._catalog, self._weights)[0]

    def leaks(self, count: int, *, hive: str | None = None) -> list[Leak]:
        """`count` distinct (process, key) leaks; `hive` restricts to 'user' or 'classes'."""
        out: list[Leak] = []
        seen: set[tuple[str, str]] = set()
        for _ in range(count * 6):
            if len(out) == count:
                break
            o = self.offender()
            key = self._rng.choice(o.keys)
            if hive is not None and Leak(o.image, 0, key, 1).hive != hive:
                key = CLASSES_ROOT if hive == "classes" else "HKCU"
            if (o.image, key.lower()) in seen:
                continue
            seen.add((o.image, key.lower()))
            handles = self._rng.choices((1, 2, 3, 4), (60, 25, 10, 5))[0]
            out.append(Leak(o.image, pid(self._rng), key, handles))
        return out


def pid(rng: random.Random) -> int:
    """A plausible Windows process id (a multiple of 4)."""
    return rng.randrange(100, 12_000) * 4
