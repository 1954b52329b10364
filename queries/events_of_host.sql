-- Every event of one host, oldest first.
-- inputs: stg_events
-- output: the events rows of the host
-- parameters: $host (computer name as logged, any case, e.g. WS-0142.corp.contoso.com)
with events as (
    select * from stg_events
),

final as (
    select * from events where lower(host) = lower($host)
)

select * from final
order by time_created, channel, record_id
