"""The SQL that docs/scale-out.md tells users to run in `duckdb warehouse/catalog.duckdb`
runs there, and generates statements for every table users read and no internal one."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from pipeline.ingest.run import Summary
from pipeline.store.catalog import CATALOG
from pipeline.store.schemas import TABLES
from tests.conftest import ROOT

DOC = ROOT / "docs" / "scale-out.md"
PUBLIC = {name for name, table in TABLES.items() if not table.internal}


def generators() -> list[str]:
    """The doc's SQL blocks that generate statements from the catalog."""
    blocks = re.findall(r"```sql\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    return [b for b in blocks if "SELECT format(" in b]


def test_the_doc_has_its_three_generators() -> None:
    assert len(generators()) == 3


@pytest.mark.parametrize("block", generators())
def test_each_generator_covers_the_public_tables(
    samples_warehouse: tuple[Path, Summary], block: str
) -> None:
    root, _ = samples_warehouse
    with duckdb.connect(str(root / CATALOG), read_only=True) as con:
        assert con.execute(
            "select count(*) from _hivewatch_parts where table_name like '\\_%' escape '\\'"
        ).fetchone() != (0,), "the warehouse has internal parts"
        *settings, generator = [s for s in block.split(";\n") if s.strip()]
        for statement in settings:
            con.execute(statement)
        printed = [line for (line,) in con.execute(generator).fetchall()]
    tables = {_table(line) for line in printed}
    assert tables == PUBLIC and len(printed) == len(PUBLIC)
    for line in printed:
        if "CREATE TABLE" in line:
            name = re.search(r"hivewatch\.(\w+)_files", line).group(1)  # type: ignore[union-attr]
            columns = re.search(r"_files \((.*)\) WITH", line).group(1)  # type: ignore[union-attr]
            assert [c.split(" ")[0] for c in columns.split(", ")] == TABLES[name].names


def _table(line: str) -> str:
    """The table a generated statement is for."""
    found = re.search(
        r"TEMPORARY VIEW (\w+) USING|hivewatch\.(\w+)_files \(|VIEW hive\.hivewatch\.(\w+) AS", line
    )
    assert found is not None, line
    return next(name for name in found.groups() if name)


def test_the_warehouse_doc_lists_each_table_as_declared() -> None:
    text = (ROOT / "docs" / "warehouse.md").read_text(encoding="utf-8")
    listed = dict(re.findall(r"^\| (\w+) \| (.+) \|$", text, re.MULTILINE))
    listed.pop("table", None)  # the header row
    declared = {
        name: ", ".join(f"{c.name} {c.sql_type}" for c in TABLES[name].columns) for name in PUBLIC
    }
    assert listed == declared
