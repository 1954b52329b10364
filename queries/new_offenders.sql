-- Offenders first seen on or after a date: (process, key) pairs that are new since then, ranked as offenders.
-- inputs: stg_offenders
-- output: the offenders columns (process_name, key, incidents, hosts, users, first_seen, last_seen) of the pairs whose first_seen is on or after $since; ordered by hosts desc, incidents desc, process_name, lower(key)
-- parameters: $since (a date or timestamp in UTC, e.g. 2024-03-05 or '2024-03-05 12:00', or an age counted back from now: 7d, 4w)
with offenders as (
    select * from stg_offenders
),

period as (
    select
        case
            when try_cast($since as timestamp) is not null
                then try_cast($since as timestamp)
            when regexp_full_match(lower(trim($since)), '[0-9]{1,5}[dw]')
                then (current_timestamp at time zone 'UTC') - to_days(
                    cast(regexp_extract($since, '[0-9]+') as integer)
                    * (case when lower(trim($since)) like '%w' then 7 else 1 end)
                )
            else error(
                '-p since ' || $since
                || ': want a date (2026-01-01), a UTC time (2026-01-01 06:00) or an age (7d, 4w)'
            )
        end as since
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
    where first_seen >= (select since from period)
)

select * from final
order by hosts desc, incidents desc, process_name, lower(key)
