"""Remediation guidance: every class is covered on every family it occurs on, the facts of
the KB articles are there, a bad row fails the load naming its line, and the documented SQL
join gives what `advice_for` gives."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import duckdb
import pytest

from pipeline.normalize import profile_catalog as pc
from pipeline.normalize import remediation as rm
from pipeline.normalize.remediation import Remediation, advice_for, remediation_rows

NETCACHE = r"HKCU\Software\Microsoft\Windows\CurrentVersion\NetCache"
HEADER = ",".join(rm.COLUMNS)
GOOD = 'class,classes_hive_held,,"The backup did not run.",KB 837115'


def text(rows: Iterable[Remediation]) -> str:
    return " ".join(r.advice for r in rows).lower()


# ------------------------------------------------------------------------------ coverage


def class_families() -> dict[str, set[str]]:
    """Class -> the OS families whose events signal it, from the profile-event catalog."""
    out: dict[str, set[str]] = {}
    for entry in pc.entries():
        if entry.event_class is not None:
            out.setdefault(entry.event_class, set()).update(entry.families)
    return out


def test_packaged_file_loads() -> None:
    rows = remediation_rows()
    assert len(rows) >= 30
    assert {r.applies_to for r in rows} == set(rm.APPLIES_TO)
    assert remediation_rows() == rows  # cached, and a copy the caller may change
    assert remediation_rows() is not rows


def test_every_class_has_advice_on_every_family_it_occurs_on() -> None:
    families = class_families()
    assert set(families) == set(pc.CLASS_PRECEDENCE)
    missing = [
        (event_class, family)
        for event_class, fams in families.items()
        for family in sorted(fams)
        if not advice_for(event_class=event_class, os_family=family)
    ]
    assert missing == []


def test_no_class_row_names_a_family_its_class_never_occurs_on() -> None:
    families = class_families()
    dead = [
        (r.match, r.os_family)
        for r in remediation_rows()
        if r.applies_to == "class" and r.os_family and r.os_family not in families[r.match]
    ]
    assert dead == []


# ------------------------------------------------------------------------------ facts


def test_uphclean_on_xp2003_is_32_bit_only() -> None:
    for event_class in ("hive_held_memory_not_freed", "classes_hive_held", "registry_quota"):
        rows = [r for r in advice_for(event_class=event_class, os_family="xp2003")]
        install = [r for r in rows if "install uphclean 1.6" in r.advice.lower()]
        assert install, event_class
        for row in install:
            assert "32-bit" in row.advice and "x64" in row.advice
            assert "KB 837115" in row.reference


def test_every_xp2003_uphclean_install_row_names_the_x64_limit() -> None:
    for row in remediation_rows():
        if row.os_family == "xp2003" and "install uphclean" in row.advice.lower():
            assert "32-bit" in row.advice and "x64" in row.advice, row


def test_uphclean_on_vista_is_built_in_and_uninstalled_before_upgrading() -> None:
    for event_class in ("hive_held_memory_not_freed", "hive_leak_forced_unload"):
        advice = text(advice_for(event_class=event_class, os_family="vista+"))
        assert "built into" in advice and "uninstall" in advice and "before upgrading" in advice
    vista_uphclean = [
        r for r in remediation_rows() if r.os_family == "vista+" and "UPHClean" in r.advice
    ]
    assert vista_uphclean
    for row in vista_uphclean:
        assert "built into" in row.advice and "before upgrading" in row.advice, row
        assert "install uphclean 1.6" not in row.advice.lower()


def test_uphclean_classes_say_uninstall_before_upgrading() -> None:
    for event_class in ("uphclean_released", "uphclean_failed"):
        for family in ("win2000", "xp2003"):
            advice = text(advice_for(event_class=event_class, os_family=family))
            assert "uninstall uphclean before upgrading" in advice


def test_1524_means_the_backup_did_not_run() -> None:
    for family in ("xp2003", "vista+"):
        rows = advice_for(event_class="classes_hive_held", os_family=family)
        backup = [r for r in rows if "backup did not run" in r.advice.lower()]
        assert backup and all("KB 837115" in r.reference for r in backup)
        assert "1524" in backup[0].advice


def test_1512_services_move_to_localservice_or_networkservice() -> None:
    for family in ("xp2003", "vista+"):
        advice = text(advice_for(event_class="hive_held_memory_not_freed", os_family=family))
        assert "localservice" in advice and "networkservice" in advice


def test_key_under_netcache_gets_the_offline_files_settings() -> None:
    key = NETCACHE + r"\ExclusionErrorSuppressionList"
    rows = advice_for(key=key, os_family="xp2003")
    advice = " ".join(r.advice for r in rows)
    assert "Offline Files" in advice
    for setting in (
        "ExclusionErrorSuppressionList",
        "PrimaryUsers",
        "PurgeNonPrimaryUserFilesAtLogoff",
        "PurgeAtLogoff",
        "AdminPinForPrimaryUsersOnly",
        "SilentForcedAutoReconnect",
    ):
        assert setting in advice, setting
    assert any("KB 811660" in r.reference for r in rows)
    # keys compare case-insensitively, and the NetCache key itself matches too
    assert advice_for(key=key.upper(), os_family="xp2003") == rows
    assert advice_for(key=NETCACHE.lower(), os_family="xp2003") == rows
    # Vista+ gets the general row and the Offline Files events, not the XP hotfix's settings
    vista = advice_for(key=key, os_family="vista+")
    assert vista and "SilentForcedAutoReconnect" not in text(vista)
    assert "offline files" in text(vista)


def test_keys_outside_netcache_get_no_offline_files_advice() -> None:
    for key in ("HKCU", r"HKCU\Software\Microsoft\Windows\CurrentVersion\Internet Settings"):
        assert "offline files" not in text(advice_for(key=key))


def test_classes_hive_key_points_at_com_registrations() -> None:
    rows = advice_for(key=r"HKCU\Software\Classes\CLSID\{0000}")
    assert rows and "COM" in rows[0].advice and "UsrClass.dat" in rows[0].advice
    assert advice_for(key=r"HKCU\Software\Classes") == rows


def test_well_known_processes() -> None:
    assert "COM+" in text(advice_for(process_name="dllhost.exe")).upper()
    assert "identity" in text(advice_for(process_name="dllhost.exe"))
    svchost = text(advice_for(process_name="svchost.exe"))
    assert "localservice" in svchost and "networkservice" in svchost
    for name in ("msiexec.exe", "avp.exe", "spoolsv.exe", "ssonsvr.exe", "scenarioengine.exe"):
        assert advice_for(process_name=name), name
    assert "printer driver" in text(advice_for(process_name="spoolsv.exe"))
    assert "citrix" in text(advice_for(process_name="ssonsvr.exe"))
    assert "sql server" in text(advice_for(process_name="scenarioengine.exe"))
    assert advice_for(process_name="lsass.exe")
    assert advice_for(process_name="SSONSVR.exe") == advice_for(process_name="ssonsvr.exe")
    assert advice_for(process_name="notepad.exe") == []


def test_references_are_from_the_sources() -> None:
    allowed = ("KB 837115", "KB 811660", "domain.md", "event 1512 message", "event 1525 message")
    for row in remediation_rows():
        parts = [p.strip() for p in row.reference.split(";")]
        assert all(p.startswith(allowed) for p in parts), row


# ------------------------------------------------------------------------------ semantics


def test_os_family_empty_means_any_and_none_means_no_filter() -> None:
    every = advice_for(event_class="hive_held_memory_not_freed")
    xp = advice_for(event_class="hive_held_memory_not_freed", os_family="xp2003")
    vista = advice_for(event_class="hive_held_memory_not_freed", os_family="vista+")
    assert set(xp) | set(vista) == set(every)
    shared = [r for r in every if r.os_family == ""]
    assert shared and all(r in xp and r in vista for r in shared)
    assert advice_for(event_class="hive_held_memory_not_freed", os_family="nt4") == shared


def test_no_subject_matches_nothing() -> None:
    assert advice_for() == []
    assert advice_for(os_family="xp2003") == []


def test_subjects_combine_in_file_order() -> None:
    rows = advice_for(
        event_class="classes_hive_held", process_name="dllhost.exe", key=r"HKCU\Software\Classes"
    )
    order = remediation_rows()
    assert [order.index(r) for r in rows] == sorted(order.index(r) for r in rows)
    assert {r.applies_to for r in rows} == {"class", "process", "key"}


@pytest.mark.parametrize(
    ("value", "pattern", "expected"),
    [
        ("dllhost.exe", "dllhost.exe", True),
        ("DLLHOST.EXE", "dllhost.exe", True),
        ("dllhostxexe", "dllhost.exe", False),  # '.' is literal, not a regex dot
        ("avp.exe", "a_p.exe", True),
        ("avvp.exe", "a_p.exe", False),
        ("x.exe", "%", True),
        ("", "%", True),
        (r"HKCU\Software\X", r"hkcu\software\%", True),
        (r"HKCU\Software", r"HKCU\Software\%", False),
        (r"HKCU\Software(x)[y]", r"HKCU\Software(%)[_]", True),
    ],
)
def test_ilike_reads_like_sql(value: str, pattern: str, expected: bool) -> None:
    assert rm.ilike(value, pattern) is expected
    sql = duckdb.connect().execute("SELECT ? ILIKE ? ESCAPE ''", [value, pattern]).fetchall()
    assert sql == [(expected,)]


# ------------------------------------------------------------------------------ the SQL join

JOIN_SQL = """
SELECT r.applies_to, r.match, r.os_family, r.advice, r.reference
FROM remediation AS r
WHERE (   (r.applies_to = 'class'   AND r.match = $event_class)
       OR (r.applies_to = 'process' AND $process_name ILIKE r.match ESCAPE '')
       OR (r.applies_to = 'key'     AND $key ILIKE r.match ESCAPE ''))
  AND ($os_family IS NULL OR coalesce(r.os_family, '') IN ('', $os_family))
"""

CASES: list[dict[str, str | None]] = [
    {"event_class": "classes_hive_held", "os_family": "xp2003"},
    {"event_class": "hive_leak_forced_unload", "os_family": "vista+"},
    {"event_class": "unload_access_denied", "os_family": "nt4"},
    {"event_class": "registry_quota", "os_family": None},
    {"process_name": "dllhost.exe", "os_family": "vista+"},
    {"process_name": "svchost.exe"},
    {"key": NETCACHE.upper() + r"\PRIMARYUSERS", "os_family": "xp2003"},
    {"key": NETCACHE + r"\ExclusionErrorSuppressionList", "os_family": "vista+"},
    {"key": r"HKCU\Software\Classes\Wow6432Node\CLSID"},
    {
        "event_class": "hive_held_memory_not_freed",
        "process_name": "svchost.exe",
        "key": r"HKCU\Software\Classes",
        "os_family": "xp2003",
    },
    {"process_name": "notepad.exe", "key": r"HKCU\Environment", "os_family": "win2000"},
    {},
]


def advise(case: dict[str, str | None], rows: list[Remediation] | None = None) -> list[Remediation]:
    """`advice_for` with the subjects and family of one case."""
    return advice_for(
        event_class=case.get("event_class"),
        process_name=case.get("process_name"),
        key=case.get("key"),
        os_family=case.get("os_family"),
        rows=rows,
    )


def sql_rows(con: duckdb.DuckDBPyConnection, case: dict[str, str | None]) -> list[Remediation]:
    params = {name: case.get(name) for name in ("event_class", "process_name", "key", "os_family")}
    rows = [Remediation(*row) for row in con.execute(JOIN_SQL, params).fetchall()]
    return [r._replace(os_family=r.os_family or "") for r in rows]  # NULL family reads as ""


def make_table(
    rows: list[Remediation], *, empty_as_null: bool = False
) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE remediation (applies_to VARCHAR, match VARCHAR, os_family VARCHAR,"
        " advice VARCHAR, reference VARCHAR)"
    )
    stored = [
        (*r[:2], (r.os_family or None) if empty_as_null else r.os_family, *r[3:]) for r in rows
    ]
    con.executemany("INSERT INTO remediation VALUES (?, ?, ?, ?, ?)", stored)
    return con


@pytest.mark.parametrize("empty_as_null", [False, True])
@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(f"{v}" for v in c.values()))
def test_documented_join_agrees_with_advice_for(
    case: dict[str, str | None], empty_as_null: bool
) -> None:
    con = make_table(remediation_rows(), empty_as_null=empty_as_null)
    assert sorted(sql_rows(con, case)) == sorted(advise(case))


def test_join_over_incidents_and_offenders() -> None:
    """The class/process/key joins of the module docstring over small contract-shaped tables."""
    con = make_table(remediation_rows())
    con.execute(
        "CREATE TABLE unload_incidents AS SELECT * FROM (VALUES"
        " (1, 'classes_hive_held', 'xp2003', ['dllhost.exe'], ['HKCU\\Software\\Classes\\CLSID']),"
        " (2, 'hive_leak_forced_unload', 'vista+', ['svchost.exe', 'avp.exe'],"
        "  ['HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\NetCache'])"
        ") AS t(incident_id, class, os_family, processes, keys)"
    )
    con.execute(
        "CREATE TABLE offenders AS SELECT * FROM (VALUES"
        " ('spoolsv.exe', 'HKCU\\Printers'),"
        " ('cscui.exe', 'HKCU\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\NetCache\\X')"
        ") AS t(process_name, key)"
    )
    by_class = con.execute(
        "SELECT i.incident_id, r.advice FROM unload_incidents i JOIN remediation r"
        " ON r.applies_to = 'class' AND r.match = i.class"
        " AND coalesce(r.os_family, '') IN ('', i.os_family)"
    ).fetchall()
    by_process = con.execute(
        "SELECT i.incident_id, r.advice FROM unload_incidents i,"
        " unnest(i.processes) AS p(process_name) JOIN remediation r"
        " ON r.applies_to = 'process' AND p.process_name ILIKE r.match ESCAPE ''"
        " AND coalesce(r.os_family, '') IN ('', i.os_family)"
    ).fetchall()
    by_key = con.execute(
        "SELECT i.incident_id, r.advice FROM unload_incidents i,"
        " unnest(i.keys) AS k(key) JOIN remediation r"
        " ON r.applies_to = 'key' AND k.key ILIKE r.match ESCAPE ''"
        " AND coalesce(r.os_family, '') IN ('', i.os_family)"
    ).fetchall()
    offenders = con.execute(
        "SELECT o.process_name, o.key, r.advice FROM offenders o JOIN remediation r"
        " ON (r.applies_to = 'process' AND o.process_name ILIKE r.match ESCAPE '')"
        " OR (r.applies_to = 'key' AND o.key ILIKE r.match ESCAPE '')"
    ).fetchall()

    def py(**case: str | None) -> list[str]:
        return sorted(r.advice for r in advise(case))

    def of(result: list[tuple[object, ...]], first: object) -> list[str]:
        return sorted(str(row[-1]) for row in result if row[0] == first)

    assert of(by_class, 1) == py(event_class="classes_hive_held", os_family="xp2003")
    assert of(by_class, 2) == py(event_class="hive_leak_forced_unload", os_family="vista+")
    assert of(by_process, 1) == py(process_name="dllhost.exe", os_family="xp2003")
    assert of(by_process, 2) == sorted(
        py(process_name="svchost.exe", os_family="vista+")
        + py(process_name="avp.exe", os_family="vista+")
    )
    assert of(by_key, 1) == py(key=r"HKCU\Software\Classes\CLSID", os_family="xp2003")
    assert of(by_key, 2) == py(key=NETCACHE, os_family="vista+")
    assert of(offenders, "spoolsv.exe") == py(process_name="spoolsv.exe", key=r"HKCU\Printers")
    netcache_key = r"HKCU\SOFTWARE\Microsoft\Windows\CurrentVersion\NetCache\X"
    assert of(offenders, "cscui.exe") == py(process_name="cscui.exe", key=netcache_key)
    assert len(of(offenders, "cscui.exe")) >= 5


def test_join_agrees_on_wildcards_and_duplicates() -> None:
    """Synthetic rows exercising `_`, `%`, case and literal regex characters."""
    rows = [
        Remediation("process", "a_p.exe", "", "underscore", "domain.md"),
        Remediation("process", "%.scr", "vista+", "suffix", "domain.md"),
        Remediation("key", r"HKCU\Software\(x)%", "", "parens", "domain.md"),
        Remediation("key", "HKCU", "xp2003", "root", "domain.md"),
    ]
    con = make_table(rows)
    cases: list[dict[str, str | None]] = [
        {"process_name": "AVP.exe"},
        {"process_name": "avvp.exe"},
        {"process_name": "x.SCR", "os_family": "vista+"},
        {"process_name": "x.scr", "os_family": "xp2003"},
        {"key": r"hkcu\software\(X)\y"},
        {"key": r"HKCU\Software\x"},
        {"key": "hkcu", "os_family": "xp2003"},
        {"key": r"HKCU\Software", "os_family": "xp2003"},
    ]
    for case in cases:
        assert sorted(sql_rows(con, case)) == sorted(advise(case, rows)), case


# ------------------------------------------------------------------------------ validation


def write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / rm.CSV_NAME
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_good_file_loads(tmp_path: Path) -> None:
    rows = rm.load_remediation(write(tmp_path, HEADER, GOOD, "", GOOD.replace(",,", ",xp2003,")))
    assert len(rows) == 2 and rows[1].os_family == "xp2003"


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ('klass,classes_hive_held,,"x",KB 837115', "applies_to"),
        ('class,classes_hive_hold,,"x",KB 837115', "unknown class"),
        ('class,Classes_Hive_Held,,"x",KB 837115', "unknown class"),
        ('class,classes_hive_held,win7,"x",KB 837115', "os_family"),
        ("class,classes_hive_held,,,KB 837115", "advice is empty"),
        ('class,classes_hive_held,,"   ",KB 837115', "blanks"),
        ('class,classes_hive_held,,"<b>x</b>",KB 837115', "HTML"),
        ('class,classes_hive_held,,"x &amp; y",KB 837115', "HTML"),
        ('class,classes_hive_held,,"x",', "reference is empty"),
        ('class,classes_hive_held,,"x",https://support.microsoft.com/kb/837115', "URL"),
        ('process,DllHost.exe,,"x",domain.md', "lower-case"),
        ('process,c:\\windows\\dllhost.exe,,"x",domain.md', "file name"),
        ('process,,,"x",domain.md', "match is empty"),
        ('key,Software\\Classes%,,"x",domain.md', "HKCU-relative"),
        ('key,HKEY_CURRENT_USER\\Software,,"x",domain.md', "HKCU-relative"),
        ('key,HKCU\\\\Software\\\\Classes%,,"x",domain.md', "doubles a backslash"),
        ('key,HKCU\\Software\\,,"x",domain.md', "ends with a backslash"),
        ('class,classes_hive_held,"x",KB 837115', "fields"),
        (GOOD, "repeats line 2"),
        (f'class,classes_hive_held,,"{"x" * 700}",KB 837115', "at most"),
    ],
)
def test_a_bad_row_fails_naming_its_line(tmp_path: Path, bad: str, message: str) -> None:
    path = write(tmp_path, HEADER, GOOD, "", bad)
    with pytest.raises(rm.RemediationError, match=r"remediation\.csv line 4: ") as info:
        rm.load_remediation(path)
    assert message in str(info.value)


def test_a_quoted_line_break_counts_from_where_the_row_starts(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER, 'class,classes_hive_held,,"two\nlines",KB 837115')
    with pytest.raises(rm.RemediationError, match=r"line 2: .*one line"):
        rm.load_remediation(path)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ((), "empty file"),
        ((HEADER,), "no rows"),
        (("applies_to,match,advice,reference", GOOD), "line 1: columns"),
        (("applies_to,match,os_family,reference,advice", GOOD), "line 1: columns"),
    ],
)
def test_a_bad_file_fails(tmp_path: Path, lines: tuple[str, ...], message: str) -> None:
    path = tmp_path / rm.CSV_NAME
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(rm.RemediationError, match=message):
        rm.load_remediation(path)
