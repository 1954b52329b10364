-- Offending registry keys alone (compared case-insensitively), ranked by hosts, then incidents, with the advice for each.
-- inputs: stg_leaks, stg_incidents, stg_remediation
-- output: one row per key (the spelling most leaks use; ties: the smallest): hosts, incidents (the incidents naming it), users (distinct SIDs), processes (distinct process names), first_seen, last_seen (of the leaks naming it), advice (one piece per line, family-specific pieces prefixed with their os_family); ordered by hosts desc, incidents desc, lower(key), key
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
    where applies_to = 'key'
),

spellings as (
    select
        lower(key) as key_folded,
        key,
        count(*) as leaks
    from leaks
    group by lower(key), key
),

shown as (
    select
        key_folded,
        key
    from spellings
    qualify row_number() over (partition by key_folded order by leaks desc, key) = 1
),

leak_counts as (
    select
        lower(key) as key_folded,
        count(distinct host) as hosts,
        count(distinct user_sid) as users,
        count(distinct process_name) as processes,
        min(time_created) as first_seen,
        max(time_created) as last_seen
    from leaks
    group by lower(key)
),

incident_keys as (
    select
        incident_id,
        lower(unnest(keys)) as key_folded
    from incidents
),

incident_counts as (
    select
        key_folded,
        count(distinct incident_id) as incidents
    from incident_keys
    group by key_folded
),

advice_pieces as (
    select distinct
        shown.key_folded,
        remediation.advice_family,
        case
            when remediation.advice_family = '' then remediation.advice
            else remediation.advice_family || ': ' || remediation.advice
        end as piece
    from shown
    inner join remediation
        on shown.key ilike remediation.pattern escape ''
),

advice as (
    select
        key_folded,
        string_agg(piece, chr(10) order by advice_family, piece) as advice
    from advice_pieces
    group by key_folded
),

final as (
    select
        shown.key,
        leak_counts.hosts,
        coalesce(incident_counts.incidents, 0) as incidents,
        leak_counts.users,
        leak_counts.processes,
        leak_counts.first_seen,
        leak_counts.last_seen,
        advice.advice
    from shown
    inner join leak_counts on shown.key_folded = leak_counts.key_folded
    left join incident_counts on shown.key_folded = incident_counts.key_folded
    left join advice on shown.key_folded = advice.key_folded
)

select * from final
order by hosts desc, incidents desc, lower(key), key
