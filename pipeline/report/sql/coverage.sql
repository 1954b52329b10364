-- Coverage of the period: records, hosts and files whose events fall in it.
-- first_event and last_event pass over the FILETIME epoch, the time of a record whose time
-- field was never written or was zeroed (such a record is kept and counted, but it is no
-- evidence that the logs reach back to 1601).
-- inputs: events, unload_incidents
-- output: one row: records, hosts, files, first_event, last_event, incidents, incident_hosts
-- parameters: since (TIMESTAMP, UTC; the start of the period)
with period_events as (
    select
        count(*) as records,
        count(distinct host) as hosts,
        count(distinct file_id) as files,
        min(time_created) filter (where time_created > timestamp '1601-01-01') as first_event,
        max(time_created) filter (where time_created > timestamp '1601-01-01') as last_event
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
