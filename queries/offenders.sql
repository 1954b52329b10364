-- Repeat offenders: (process, key) pairs ranked by hosts, then incidents, with the advice that applies.
-- inputs: stg_offenders, stg_remediation
-- output: one row per (process_name, key): incidents, hosts, users, first_seen, last_seen, then advice (one piece per line; process advice first, family-specific pieces prefixed with their os_family) and reference (the sources, '; '-separated); ordered by hosts desc, incidents desc, process_name, lower(key)
-- parameters: none
with offenders as (
    select * from stg_offenders
),

remediation as (
    select
        applies_to,
        pattern,
        coalesce(advice_family, '') as advice_family,
        advice,
        reference
    from stg_remediation
    where applies_to in ('process', 'key')
),

matched as (
    select
        offenders.process_name,
        offenders.key,
        remediation.applies_to,
        remediation.advice_family,
        remediation.advice,
        remediation.reference
    from offenders
    inner join remediation
        on (
            remediation.applies_to = 'process'
            and offenders.process_name ilike remediation.pattern escape ''
        )
        or (
            remediation.applies_to = 'key'
            and offenders.key ilike remediation.pattern escape ''
        )
),

labelled as (
    select
        process_name,
        key,
        case applies_to when 'process' then 1 else 2 end as subject_rank,
        advice_family,
        case
            when advice_family = '' then advice
            else advice_family || ': ' || advice
        end as piece
    from matched
),

advice_pieces as (
    select
        process_name,
        key,
        piece,
        min(subject_rank) as subject_rank,
        min(advice_family) as advice_family
    from labelled
    group by process_name, key, piece
),

advice as (
    select
        process_name,
        key,
        string_agg(piece, chr(10) order by subject_rank, advice_family, piece) as advice
    from advice_pieces
    group by process_name, key
),

sources as (
    select distinct
        process_name,
        key,
        trim(unnest(string_split(reference, ';'))) as source
    from matched
),

reference as (
    select
        process_name,
        key,
        string_agg(source, '; ' order by source) as reference
    from sources
    where source <> ''
    group by process_name, key
),

final as (
    select
        offenders.process_name,
        offenders.key,
        offenders.incidents,
        offenders.hosts,
        offenders.users,
        offenders.first_seen,
        offenders.last_seen,
        advice.advice,
        reference.reference
    from offenders
    left join advice
        on offenders.process_name = advice.process_name and offenders.key = advice.key
    left join reference
        on offenders.process_name = reference.process_name and offenders.key = reference.key
)

select * from final
order by hosts desc, incidents desc, process_name, lower(key)
