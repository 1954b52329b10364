-- Offenders first seen on or after a date: (process, key) pairs that are new since then, ranked as offenders.
-- inputs: stg_offenders
-- output: the offenders columns (process_name, key, incidents, hosts, users, first_seen, last_seen) of the pairs whose first_seen is on or after $since; ordered by hosts desc, incidents desc, process_name, lower(key)
-- parameters: $since (a date or timestamp in UTC, e.g. 2024-03-05 or '2024-03-05 12:00')
with offenders as (
    select * from stg_offenders
),

final as (
    select
        process_name,
        key,
        incidents,
        hosts,
        users,
        first_seen,
        last_seen
    from offenders
    where first_seen >= cast($since as timestamp)
)

select * from final
order by hosts desc, incidents desc, process_name, lower(key)
