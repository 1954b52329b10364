-- Remediation guidance for the processes and keys named by the period's leaks.
-- inputs: hive_leaks, remediation
-- output: applies_to, match, os_family, advice, reference, pairs (offender pairs it matches)
-- parameters: since (TIMESTAMP, UTC)
-- join: pipeline/normalize/remediation.py (offenders carry no os_family: no family condition)
with pairs as (
    select distinct process_name, lower(key) as key_ci
    from hive_leaks
    where time_created >= $since
),
guidance as (
    select *, row_number() over () as line
    from remediation
    where applies_to in ('process', 'key')
),
final as (
    select
        g.applies_to,
        g.match,
        g.os_family,
        g.advice,
        g.reference,
        count(*) as pairs,
        min(g.line) as line
    from guidance g
    join pairs p
        on (g.applies_to = 'process' and p.process_name ilike g.match escape '')
        or (g.applies_to = 'key' and p.key_ci ilike g.match escape '')
    group by all
)
select applies_to, match, os_family, advice, reference, pairs from final
order by pairs desc, line
