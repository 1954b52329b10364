-- Offending processes alone, ranked by hosts, then incidents, with the advice for each.
-- inputs: stg_leaks, stg_incidents, stg_remediation
-- output: one row per process_name: hosts, incidents (the incidents naming it), users (distinct SIDs), keys (distinct keys, case-insensitively), first_seen, last_seen (of the leaks naming it), advice (one piece per line, family-specific pieces prefixed with their os_family); ordered by hosts desc, incidents desc, process_name
-- parameters: none
with leaks as (
    select * from stg_leaks
),

incidents as (
    select * from stg_incidents
),

remediation as (
    select
        pattern,
        coalesce(advice_family, '') as advice_family,
        advice
    from stg_remediation
    where applies_to = 'process'
),

leak_counts as (
    select
        process_name,
        count(distinct host) as hosts,
        count(distinct user_sid) as users,
        count(distinct lower(key)) as keys,
        min(time_created) as first_seen,
        max(time_created) as last_seen
    from leaks
    group by process_name
),

incident_processes as (
    select
        incident_id,
        unnest(processes) as process_name
    from incidents
),

incident_counts as (
    select
        process_name,
        count(distinct incident_id) as incidents
    from incident_processes
    group by process_name
),

advice_pieces as (
    select distinct
        leak_counts.process_name,
        remediation.advice_family,
        case
            when remediation.advice_family = '' then remediation.advice
            else remediation.advice_family || ': ' || remediation.advice
        end as piece
    from leak_counts
    inner join remediation
        on leak_counts.process_name ilike remediation.pattern escape ''
),

advice as (
    select
        process_name,
        string_agg(piece, chr(10) order by advice_family, piece) as advice
    from advice_pieces
    group by process_name
),

final as (
    select
        leak_counts.process_name,
        leak_counts.hosts,
        coalesce(incident_counts.incidents, 0) as incidents,
        leak_counts.users,
        leak_counts.keys,
        leak_counts.first_seen,
        leak_counts.last_seen,
        advice.advice
    from leak_counts
    left join incident_counts on leak_counts.process_name = incident_counts.process_name
    left join advice on leak_counts.process_name = advice.process_name
)

select * from final
order by hosts desc, incidents desc, process_name
