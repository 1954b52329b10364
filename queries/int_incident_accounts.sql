-- Intermediate: each unload incident with the account it is about, so that one person counts once.
-- inputs: stg_incidents, stg_profile_events
-- output: one row per incident: the stg_incidents columns, then account_sid and account_name: as the incident states them, else as profile events stating both link them (a SID to its most stated name, a name to its most stated SID)
-- parameters: none
with incidents as (
    select * from stg_incidents
),

profile_events as (
    select * from stg_profile_events
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

final as (
    select
        incidents.*,
        coalesce(incidents.user_sid, sid_of_name.user_sid) as account_sid,
        coalesce(incidents.user_name, name_of_sid.user_name) as account_name
    from incidents
    left join name_of_sid on incidents.user_sid = name_of_sid.user_sid
    left join sid_of_name on lower(incidents.user_name) = sid_of_name.name_folded
)

select * from final
