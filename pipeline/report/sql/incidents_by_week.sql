-- Incidents per ISO week (starting Monday, UTC) and class.
-- inputs: unload_incidents
-- output: one row per (week, class) with incidents
-- parameters: since (TIMESTAMP, UTC)
with final as (
    select
        cast(date_trunc('week', started) as date) as week,
        class,
        count(*) as incidents
    from unload_incidents
    where started >= $since
    group by week, class
)
select * from final
order by week, class
