-- Events per host and channel, with the time span each covers.
-- inputs: stg_events
-- output: one row per (host, channel): events, providers, first and last event time
-- parameters: none
with events as (
    select * from stg_events
),

final as (
    select
        host,
        channel,
        count(*) as events,
        count(distinct provider) as providers,
        min(time_created) as first_event,
        max(time_created) as last_event
    from events
    group by host, channel
)

select * from final
order by events desc, host, channel
