"""What collected log folders hold besides logs (archives, PowerShell and Event Viewer
exports) is rejected with what it is and what to do instead; the rest of the batch commits."""

from __future__ import annotations

import gzip
import shutil
import zipfile
from pathlib import Path

from pipeline.read.probe import NOT_A_LOG
from tests.conftest import EVTX_SAMPLES, run_ingest

SAMPLE = EVTX_SAMPLES / "TestLogX.evtx"  # five records

CLIXML = """<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">
  <Obj RefId="0">
    <TN RefId="0">
      <T>System.Diagnostics.Eventing.Reader.EventLogRecord</T>
      <T>System.Object</T>
    </TN>
    <Props>
      <I32 N="Id">1530</I32>
      <S N="ProviderName">Microsoft-Windows-User Profiles Service</S>
    </Props>
  </Obj>
</Objs>
"""
PS51_CSV = (
    "#TYPE System.Diagnostics.Eventing.Reader.EventLogRecord\r\n"
    '"Message","Id","Version","Qualifiers","Level","Task","Opcode","Keywords","RecordId",'
    '"ProviderName"\r\n'
)
PS7_CSV = '"Message","Id","Version","Qualifiers","Level","Task","RecordId","ProviderName"\n'
EVENTLOG_CSV = '"EventID","MachineName","Data","Index","Category","EntryType","Message"\n'
VIEWER_TEXT = "Level\tDate and Time\tSource\tEvent ID\tTask Category\r\nWarning\t3/4/2024\r\n"


def _write_inputs(folder: Path) -> dict[str, str]:
    """The look-alikes, each with the words its reason must hold."""
    folder.mkdir()
    with zipfile.ZipFile(folder / "logs.zip", "w") as archive:
        archive.write(SAMPLE, "System.evtx")
    (folder / "System.evtx.gz").write_bytes(gzip.compress(SAMPLE.read_bytes()))
    (folder / "logs.cab").write_bytes(b"MSCF" + bytes(60))  # a cabinet's header signature
    (folder / "events.xml").write_text(CLIXML, encoding="utf-16")  # PowerShell 5.1's default
    (folder / "ps51.csv").write_text(PS51_CSV, encoding="utf-8")
    (folder / "ps7.csv").write_text(PS7_CSV, encoding="utf-8-sig")
    (folder / "eventlog.csv").write_text(EVENTLOG_CSV, encoding="ascii")
    (folder / "viewer.txt").write_text(VIEWER_TEXT, encoding="utf-16")
    (folder / "notes.txt").write_text("collected on Monday\n", encoding="utf-8")
    shutil.copy(SAMPLE, folder / "good.evtx")
    return {
        "logs.zip": "a zip archive: unpack it",
        "System.evtx.gz": "a gzip file",
        "logs.cab": "a cabinet (.cab) archive",
        "events.xml": "a PowerShell Export-Clixml file",
        "ps51.csv": "a CSV or text export of events",
        "ps7.csv": "a CSV or text export of events",
        "eventlog.csv": "a CSV or text export of events",
        "viewer.txt": "a CSV or text export of events",
    }


def test_look_alikes_are_named_in_their_reasons(tmp_path: Path) -> None:
    folder = tmp_path / "collected"
    expected = _write_inputs(folder)
    summary = run_ingest([folder], tmp_path / "wh")
    reasons = {Path(path).name: reason for path, reason in summary.rejected}
    assert reasons.keys() == {*expected, "notes.txt"}
    for name, words in expected.items():
        assert reasons[name].startswith(f"{NOT_A_LOG}: {words}"), reasons[name]
    assert reasons["notes.txt"] == NOT_A_LOG  # nothing recognised: no guess
    assert "wevtutil qe LOG /f:xml" in reasons["events.xml"]
    assert (summary.read, summary.records) == (1, 5)  # the log beside them is read
