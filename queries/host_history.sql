-- One host's unload incidents over time, oldest first.
-- inputs: stg_incidents
-- output: one row per incident of the host: started, ended, incident_class, user_sid, user_name, os_family, remediated_by, event_ids, processes, keys, incident_id
-- parameters: $host (computer name as logged, any case; a name without a dot also matches the host's fully qualified name, e.g. WS-3554 matches WS-3554.corp.contoso.com)
with incidents as (
    select * from stg_incidents
),

wanted as (
    select lower(trim($host)) as host_folded
),

final as (
    select
        incidents.host,
        incidents.started,
        incidents.ended,
        incidents.incident_class,
        incidents.user_sid,
        incidents.user_name,
        incidents.os_family,
        incidents.remediated_by,
        incidents.event_ids,
        incidents.processes,
        incidents.keys,
        incidents.incident_id
    from incidents
    inner join wanted
        on lower(incidents.host) = wanted.host_folded
        or (
            not contains(wanted.host_folded, '.')
            and lower(split_part(incidents.host, '.', 1)) = wanted.host_folded
        )
)

select * from final
order by started, host, incident_id
