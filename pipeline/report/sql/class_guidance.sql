-- Remediation guidance per incident class and OS generation present in the period.
-- inputs: unload_incidents, remediation
-- output: class, os_family, incidents, advice, reference (one row per piece of advice)
-- parameters: since (TIMESTAMP, UTC)
-- join: pipeline/normalize/remediation.py (an incident without os_family gets every row)
with present as (
    select class, os_family, count(*) as incidents
    from unload_incidents
    where started >= $since
    group by all
),
guidance as (
    select *, row_number() over () as line from remediation where applies_to = 'class'
),
final as (
    select p.class, p.os_family, p.incidents, g.advice, g.reference, g.line
    from present p
    join guidance g
        on g.match = p.class
        and (p.os_family is null or coalesce(g.os_family, '') in ('', p.os_family))
)
select class, os_family, incidents, advice, reference from final
order by incidents desc, class, os_family nulls last, line
