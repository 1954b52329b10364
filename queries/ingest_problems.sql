-- Files that were read only in part or not at all, with the reason.
-- inputs: stg_ingest_files
-- output: one row per partial or rejected file, newest first
-- parameters: none
with ingest_files as (
    select * from stg_ingest_files
),

final as (
    select
        path,
        format,
        status,
        records,
        recovered,
        skipped,
        error,
        ingested_at
    from ingest_files
    where status in ('partial', 'rejected')
)

select * from final
order by ingested_at desc, path
