-- Coverage of the period: records, hosts and files whose events fall in it.
-- inputs: events, unload_incidents
-- output: one row: records, hosts, files, first_event, last_event, incidents, incident_hosts
-- parameters: since (TIMESTAMP, UTC; the start of the period)
with period_events as (
    select
        count(*) as records,
        count(distinct host) as hosts,
        count(distinct file_id) as files,
        min(time_created) as first_event,
        max(time_created) as last_event
    from events
    where time_created >= $since
),
period_incidents as (
    select
        count(*) as incidents,
        count(distinct host) as incident_hosts
    from unload_incidents
    where started >= $since
),
final as (
    select e.*, i.* from period_events e cross join period_incidents i
)
select * from final
