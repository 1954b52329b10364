-- Files ingested since the period start that were read only in part or not at all.
-- inputs: ingest_files
-- output: path, format, status, records, recovered, skipped, error, ingested_at; the latest
--         ledger row per path (a rejected file offered again is one row)
-- parameters: since (TIMESTAMP, UTC)
with latest as (
    select *
    from ingest_files
    where ingested_at >= $since
    qualify row_number() over (partition by path order by ingested_at desc, file_id) = 1
),
final as (
    select path, format, status, records, recovered, skipped, error, ingested_at
    from latest
    where status in ('partial', 'rejected')
)
select * from final
order by status, path
