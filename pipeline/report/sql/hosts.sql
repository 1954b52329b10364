-- Hosts with the most incidents in the period.
-- inputs: int_incident_accounts
-- output: host, os_family, incidents, users, classes (distinct, sorted), last_incident
-- parameters: since (TIMESTAMP, UTC), top (how many hosts)
with final as (
    select
        host,
        mode(os_family) as os_family,
        count(*) as incidents,
        count(distinct coalesce(account_sid, lower(account_name))) as users,
        list_sort(list(distinct incident_class)) as classes,
        max(started) as last_incident
    from int_incident_accounts
    where started >= $since
    group by host
)
select * from final
order by incidents desc, host
limit $top
