-- One user's unload incidents on every host, oldest first, found by SID or account name.
-- inputs: int_incident_accounts
-- output: one row per incident of the user: started, ended, host, incident_class, user_sid, user_name, os_family, remediated_by, event_ids, processes, keys, incident_id; user_sid and user_name are int_incident_accounts' account_sid and account_name: as the incident states them, else as profile events stating both link them
-- parameters: $user (a SID, or an account name, any case, with or without its domain: dpetersen matches CONTOSO\dpetersen)
with incidents as (
    select * from int_incident_accounts
),

wanted as (
    select lower(trim($user)) as user_folded
),

final as (
    select
        incidents.started,
        incidents.ended,
        incidents.host,
        incidents.incident_class,
        incidents.account_sid as user_sid,
        incidents.account_name as user_name,
        incidents.os_family,
        incidents.remediated_by,
        incidents.event_ids,
        incidents.processes,
        incidents.keys,
        incidents.incident_id
    from incidents
    inner join wanted
        on lower(incidents.account_sid) = wanted.user_folded
        or lower(incidents.account_name) = wanted.user_folded
        or lower(split_part(incidents.account_name, '\', -1)) = wanted.user_folded
)

select * from final
order by started, host, incident_id
