-- Staging: the (process, key) offenders table, column for column.
-- inputs: offenders
-- output: one row per (process_name, key): incidents, hosts, users, first_seen, last_seen
-- parameters: none
select
    process_name,
    key,
    incidents,
    hosts,
    users,
    first_seen,
    last_seen
from offenders
