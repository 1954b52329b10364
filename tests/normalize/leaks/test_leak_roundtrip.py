"""Round trip: bodies written by the synthetic fleet's writer read back to the same leaks.

The writer (pipeline.synth.bodies) and these parsers were written apart; random leaks
go through every quirk switch of the writer and must come back with the same processes,
keys and handles.
"""

from __future__ import annotations

import random

import pytest

from pipeline.normalize.leaks import Leak, LeakReport
from pipeline.normalize.leaks.detail import parse_detail
from pipeline.normalize.leaks.uphclean import parse_uphclean, parse_uphclean_user
from pipeline.synth import catalog
from pipeline.synth.bodies import (
    DetailQuirks,
    classic_detail,
    detail_1530,
    device_path,
    uphclean_body,
    uphclean_user,
)
from pipeline.synth.offenders import CATALOG, CLASSES_ROOT, pid
from pipeline.synth.offenders import Leak as SynthLeak

SEEDS = range(40)
IMAGES = (
    *(o.image for o in CATALOG),
    "Program Files (x86)\\Common Files\\Contoso (Shared)\\agent host.exe",
    "00.Install\\SQL Server 2016 (x64)\\x64\\ScenarioEngine.exe",
    "Program Files\\Litware Inc\\Dictation (Pro)\\lit dict.exe",
)
SUBKEYS = (
    "",
    "\\Software",
    "\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Internet Settings",
    "\\Software\\Policies\\Microsoft\\Windows\\CurrentVersion\\Internet Settings"
    "\\Lockdown_Zones\\4",
    "\\Printers\\Connections",
    "\\Software\\Contoso (x86)\\Agent Host",
    "\\CLSID\\{00021401-0000-0000-C000-000000000046}",
)


def random_sid(rng: random.Random) -> str:
    parts = [rng.randrange(10**8, 4 * 10**9) for _ in range(3)]
    return "S-1-5-21-" + "-".join(map(str, parts)) + f"-{rng.randrange(1000, 5000)}"


def random_key(rng: random.Random, hive: str) -> str:
    root = CLASSES_ROOT if hive == "classes" else "HKCU"
    return root + rng.choice(SUBKEYS)


def random_leaks(rng: random.Random, hive: str | None = None) -> list[SynthLeak]:
    """1-6 leaks of 1-3 processes; no (image, key) twice, as the fleet's picker promises."""
    processes = [(rng.choice(IMAGES), pid(rng)) for _ in range(rng.randint(1, 3))]
    leaks: list[SynthLeak] = []
    seen: set[tuple[str, str]] = set()
    for _ in range(rng.randint(1, 6)):
        image, process_id = rng.choice(processes)
        key = random_key(rng, hive or rng.choice(("user", "classes")))
        if (image, key.lower()) not in seen:
            seen.add((image, key.lower()))
            leaks.append(SynthLeak(image, process_id, key, rng.choice((1, 1, 2, 3, 4))))
    return leaks


def expected_1530(leaks: list[SynthLeak], volume: int) -> tuple[Leak, ...]:
    return tuple(
        Leak(
            leak.hive,
            leak.pid,
            device_path(leak.image, volume),
            leak.process_name,
            leak.key,
            leak.handles,
        )
        for leak in leaks
    )


def expected_uphclean(leaks: list[SynthLeak]) -> tuple[Leak, ...]:
    """UPHClean lists each process once, its keys below it, processes in first-seen order."""
    first: dict[tuple[str, int], int] = {}
    for n, leak in enumerate(leaks):
        first.setdefault((leak.image, leak.pid), n)
    ordered = sorted(leaks, key=lambda leak: first[(leak.image, leak.pid)])
    return tuple(
        Leak(
            leak.hive,
            leak.pid,
            leak.image.rsplit("\\", 1)[-1],
            leak.process_name,
            leak.key,
            leak.handles,
        )
        for leak in ordered
    )


def random_quirks(rng: random.Random) -> DetailQuirks:
    return DetailQuirks(
        leading_space=rng.random() < 0.5,
        count_delta=rng.choice((0, 0, 1, 2, -1)),
        trailing_break=rng.random() < 0.5,
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_detail_1530_round_trip(seed: int) -> None:
    rng = random.Random(seed)
    for hive in ("user", "classes"):
        sid, volume, quirks = random_sid(rng), rng.randint(1, 6), random_quirks(rng)
        leaks = random_leaks(rng, hive)
        detail = detail_1530(sid, hive, leaks, volume, quirks)
        declared = sum(leak.handles for leak in leaks) + quirks.count_delta
        expected = LeakReport(sid, None, declared, expected_1530(leaks, volume), ())
        assert parse_detail(detail) == expected
        assert parse_detail(detail.replace("\r\n", "\n")) == expected
        for en_dash in (False, True):
            assert parse_detail(classic_detail(detail, en_dash)) == expected


@pytest.mark.parametrize("seed", SEEDS)
def test_detail_1530_with_mixed_hives_and_the_rendered_message(seed: int) -> None:
    rng = random.Random(1000 + seed)
    sid, volume, quirks = random_sid(rng), rng.randint(1, 6), random_quirks(rng)
    leaks = random_leaks(rng)
    detail = detail_1530(sid, "user", leaks, volume, quirks)
    message = rng.choice(
        (catalog.PROFSVC_KINDS[1530].message, catalog.PROFSVC_1530_INFO.message)
    ).replace("%1", detail)
    report = parse_detail(message)
    assert report.leaks == expected_1530(leaks, volume)
    assert (report.user_sid, report.problems) == (sid, ())


@pytest.mark.parametrize("seed", SEEDS)
def test_uphclean_round_trip(seed: int) -> None:
    rng = random.Random(2000 + seed)
    for call_stacks in (False, True):
        for errors in (False, True):
            leaks = random_leaks(rng)
            text = uphclean_body(leaks, rng, call_stacks=call_stacks, errors=errors)
            expected = LeakReport(None, None, None, expected_uphclean(leaks), ())
            assert parse_uphclean(text) == expected


@pytest.mark.parametrize("seed", SEEDS)
def test_uphclean_header_and_message_round_trip(seed: int) -> None:
    rng = random.Random(3000 + seed)
    sid = random_sid(rng)
    account = rng.choice(("CONTOSO\\jdoe", "FABRIKAM\\Mary Ann", "LAB\\svc.print"))
    header = uphclean_user(account, sid)
    leaks = random_leaks(rng)
    text = uphclean_body(leaks, rng, call_stacks=rng.random() < 0.5, errors=True)
    assert parse_uphclean_user(header) == (account, sid)
    expected = LeakReport(sid, account, None, expected_uphclean(leaks), ())
    assert parse_uphclean(header + "\r\n" + text) == expected
    event_id = rng.choice((1201, 1211, 1401, 1501))
    message = catalog.UPHCLEAN_KINDS[event_id].message.replace("%1", header).replace("%2", text)
    assert parse_uphclean(message) == expected
