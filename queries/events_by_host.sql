-- Events per host and channel, with the time span each covers.
-- inputs: stg_events
-- output: one row per (host, channel): events, providers, first and last event time
-- parameters: none
-- The span passes over the FILETIME epoch (1601-01-01), the time of a record whose time field
-- was never written or was zeroed; such a record is still counted in `events`.
with events as (
    select * from stg_events
),

final as (
    select
        host,
        channel,
        count(*) as events,
        count(distinct provider) as providers,
        min(time_created) filter (where time_created > timestamp '1601-01-01') as first_event,
        max(time_created) filter (where time_created > timestamp '1601-01-01') as last_event
    from events
    group by host, channel
)

select * from final
order by events desc, host, channel
