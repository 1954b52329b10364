-- Every event of one host, oldest first.
-- inputs: stg_events
-- output: the events rows of the host
-- parameters: $host (computer name as logged, any case; a name without a dot also matches the host's fully qualified name, e.g. WS-0142 matches WS-0142.corp.contoso.com)
with events as (
    select * from stg_events
),

wanted as (
    select lower(trim($host)) as host_folded
),

final as (
    select events.*
    from events
    inner join wanted
        on lower(events.host) = wanted.host_folded
        or (
            not contains(wanted.host_folded, '.')
            and lower(split_part(events.host, '.', 1)) = wanted.host_folded
        )
)

select * from final
order by time_created, channel, record_id
