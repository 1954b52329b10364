-- Offenders of the period: one row per (process_name, key), as the offenders table ranks them
-- (docs/incidents.md), counted over the leaks logged since the period start; first_seen is
-- the pair's first leak ever, before the period too (since when it has been a problem).
-- inputs: hive_leaks, unload_incidents
-- output: process_name, key, incidents, hosts, users, first_seen, last_seen; ranked
-- parameters: since (TIMESTAMP, UTC)
with leaks as (
    select * from hive_leaks where time_created >= $since
),
linked as (
    -- the incident whose events name the leak: same host and user, inside its time span
    select
        l.process_name,
        lower(l.key) as key_ci,
        l.host,
        l.user_sid,
        l.time_created,
        i.incident_id
    from leaks l
    left join unload_incidents i
        on i.host = l.host
        and l.time_created between i.started and i.ended
        and list_contains(i.event_ids, l.event_id)
        and l.user_sid is not distinct from i.user_sid
),
ever as (
    select process_name, lower(key) as key_ci, min(time_created) as first_seen
    from hive_leaks
    group by all
),
spellings as (
    -- keys compare case-insensitively and show their most frequent spelling
    select process_name, lower(key) as key_ci, key, count(*) as uses
    from leaks
    group by all
),
shown as (
    select process_name, key_ci, arg_min(key, (-uses, key)) as key
    from spellings
    group by all
),
counted as (
    select
        process_name,
        key_ci,
        count(distinct incident_id) as incidents,
        count(distinct host) as hosts,
        count(distinct user_sid) as users,
        min(time_created) as first_seen,
        max(time_created) as last_seen
    from linked
    group by all
),
final as (
    select c.process_name, s.key, c.incidents, c.hosts, c.users, e.first_seen, c.last_seen
    from counted c
    join shown s using (process_name, key_ci)
    join ever e using (process_name, key_ci)
)
select * from final
order by hosts desc, incidents desc, process_name, lower(key)
