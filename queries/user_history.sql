-- One user's unload incidents on every host, oldest first, found by SID or account name.
-- inputs: stg_incidents, stg_profile_events
-- output: one row per incident of the user: started, ended, host, incident_class, user_sid, user_name, os_family, remediated_by, event_ids, processes, keys, incident_id; user_sid and user_name as the incident states them, else as a profile event stating both links them (a SID to its most stated name, a name to its most stated SID)
-- parameters: $user (a SID, or an account name, any case, with or without its domain: dpetersen matches CONTOSO\dpetersen)
with incidents as (
    select * from stg_incidents
),

profile_events as (
    select * from stg_profile_events
),

wanted as (
    select lower(trim($user)) as user_folded
),

stated_pairs as (
    select
        user_sid,
        user_name,
        count(*) as events
    from profile_events
    where user_sid is not null and user_name is not null
    group by user_sid, user_name
),

name_of_sid as (
    select
        user_sid,
        user_name
    from stated_pairs
    qualify row_number() over (partition by user_sid order by events desc, user_name) = 1
),

sid_of_name as (
    select
        lower(user_name) as name_folded,
        user_sid
    from stated_pairs
    qualify row_number() over (
        partition by lower(user_name) order by events desc, user_sid
    ) = 1
),

resolved as (
    select
        incidents.*,
        coalesce(incidents.user_sid, sid_of_name.user_sid) as account_sid,
        coalesce(incidents.user_name, name_of_sid.user_name) as account_name
    from incidents
    left join name_of_sid on incidents.user_sid = name_of_sid.user_sid
    left join sid_of_name on lower(incidents.user_name) = sid_of_name.name_folded
),

final as (
    select
        resolved.started,
        resolved.ended,
        resolved.host,
        resolved.incident_class,
        resolved.account_sid as user_sid,
        resolved.account_name as user_name,
        resolved.os_family,
        resolved.remediated_by,
        resolved.event_ids,
        resolved.processes,
        resolved.keys,
        resolved.incident_id
    from resolved
    inner join wanted
        on lower(resolved.account_sid) = wanted.user_folded
        or lower(resolved.account_name) = wanted.user_folded
        or lower(split_part(resolved.account_name, '\', -1)) = wanted.user_folded
)

select * from final
order by started, host, incident_id
