-- Incidents per class: how many, on how many hosts, for how many users, how remediated.
-- inputs: unload_incidents
-- output: one row per class
-- parameters: since (TIMESTAMP, UTC)
with final as (
    select
        class,
        count(*) as incidents,
        count(distinct host) as hosts,
        count(distinct coalesce(user_sid, user_name)) as users,
        count(*) filter (where remediated_by = 'none') as unremediated,
        min(started) as first_seen,
        max(started) as last_seen
    from unload_incidents
    where started >= $since
    group by class
)
select * from final
order by incidents desc, class
