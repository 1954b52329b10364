-- Offending processes alone and keys alone, ranked within each side as offenders are (hosts,
-- then incidents), counted over the leaks logged since the period start and the period's
-- incidents that name them; first_seen is the first leak ever, as for offenders. Keys
-- compare case-insensitively and show the spelling most of the period's leaks use.
-- inputs: hive_leaks, unload_incidents
-- output: side ('process' | 'key'), name, incidents, hosts, users, first_seen, last_seen
-- parameters: since (TIMESTAMP, UTC)
with leaks as (
    select process_name, key, lower(key) as key_ci, host, user_sid, time_created
    from hive_leaks
    where time_created >= $since
),
sides as (
    select 'process' as side, process_name as name_ci, host, user_sid, time_created from leaks
    union all
    select 'key' as side, key_ci as name_ci, host, user_sid, time_created from leaks
),
naming as (
    select 'process' as side, unnest(processes) as name_ci, incident_id
    from unload_incidents
    where started >= $since
    union all
    select 'key' as side, lower(unnest(keys)) as name_ci, incident_id
    from unload_incidents
    where started >= $since
),
ever as (
    select 'process' as side, process_name as name_ci, min(time_created) as first_seen
    from hive_leaks
    group by all
    union all
    select 'key' as side, lower(key) as name_ci, min(time_created) as first_seen
    from hive_leaks
    group by all
),
spellings as (
    select key_ci as name_ci, key as name
    from leaks
    group by key_ci, key
    qualify row_number() over (partition by key_ci order by count(*) desc, key) = 1
),
counted as (
    select
        side,
        name_ci,
        count(distinct host) as hosts,
        count(distinct user_sid) as users,
        max(time_created) as last_seen
    from sides
    group by all
),
named as (
    select side, name_ci, count(distinct incident_id) as incidents
    from naming
    group by all
),
final as (
    select
        c.side,
        coalesce(s.name, c.name_ci) as name,
        coalesce(n.incidents, 0) as incidents,
        c.hosts,
        c.users,
        e.first_seen,
        c.last_seen
    from counted c
    join ever e using (side, name_ci)
    left join named n using (side, name_ci)
    left join spellings s on c.side = 'key' and s.name_ci = c.name_ci
)
select * from final
order by side desc, hosts desc, incidents desc, lower(name), name
