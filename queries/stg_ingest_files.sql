-- Staging: the ingest ledger, one row per file ever offered, column for column.
-- inputs: ingest_files
-- output: file_id, path, format, size_bytes, records, recovered, skipped, status, error, ingested_at
-- parameters: none
select
    file_id,
    path,
    format,
    size_bytes,
    records,
    recovered,
    skipped,
    status,
    error,
    ingested_at
from ingest_files
