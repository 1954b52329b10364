-- Incidents per class: how many, on how many hosts, for how many users, how remediated.
-- inputs: int_incident_accounts
-- output: one row per class
-- parameters: since (TIMESTAMP, UTC)
with final as (
    select
        incident_class as class,
        count(*) as incidents,
        count(distinct host) as hosts,
        count(distinct coalesce(account_sid, lower(account_name))) as users,
        count(*) filter (where remediated_by = 'none') as unremediated,
        min(started) as first_seen,
        max(started) as last_seen
    from int_incident_accounts
    where started >= $since
    group by incident_class
)
select * from final
order by incidents desc, class
