-- Unload incidents per week and class: how many, where, for whom, how many were remediated, and the class's advice.
-- inputs: int_incident_accounts, stg_remediation
-- output: one row per (week, incident_class), week being the Monday the ISO week starts (a DATE): incidents, hosts, users (distinct accounts: the SID, or the account name where no event links it to one; int_incident_accounts), os_families (the families seen, comma-separated), remediated (incidents with remediated_by other than 'none'), by_profile_service, by_uphclean, advice (the class's advice for the families seen, one piece per line, family-specific pieces prefixed with their os_family); ordered by week, incidents desc, incident_class
-- parameters: none
with incidents as (
    select
        *,
        cast(date_trunc('week', started) as date) as week
    from int_incident_accounts
),

remediation as (
    select
        pattern,
        coalesce(advice_family, '') as advice_family,
        advice
    from stg_remediation
    where applies_to = 'class'
),

counts as (
    select
        week,
        incident_class,
        count(*) as incidents,
        count(distinct host) as hosts,
        count(distinct coalesce(account_sid, lower(account_name))) as users,
        string_agg(distinct os_family, ', ' order by os_family) as os_families,
        count(*) filter (where remediated_by <> 'none') as remediated,
        count(*) filter (where remediated_by = 'profile_service') as by_profile_service,
        count(*) filter (where remediated_by = 'uphclean') as by_uphclean
    from incidents
    group by week, incident_class
),

families_seen as (
    select distinct
        week,
        incident_class,
        os_family
    from incidents
),

advice_pieces as (
    select distinct
        families_seen.week,
        families_seen.incident_class,
        remediation.advice_family,
        case
            when remediation.advice_family = '' then remediation.advice
            else remediation.advice_family || ': ' || remediation.advice
        end as piece
    from families_seen
    inner join remediation
        on remediation.pattern = families_seen.incident_class
        and (
            families_seen.os_family is null
            or remediation.advice_family in ('', families_seen.os_family)
        )
),

advice as (
    select
        week,
        incident_class,
        string_agg(piece, chr(10) order by advice_family, piece) as advice
    from advice_pieces
    group by week, incident_class
),

final as (
    select
        counts.week,
        counts.incident_class,
        counts.incidents,
        counts.hosts,
        counts.users,
        counts.os_families,
        counts.remediated,
        counts.by_profile_service,
        counts.by_uphclean,
        advice.advice
    from counts
    left join advice
        on counts.week = advice.week and counts.incident_class = advice.incident_class
)

select * from final
order by week, incidents desc, incident_class
