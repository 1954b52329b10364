-- Staging: the leaked registry handles, one row per (event, process, key).
-- inputs: hive_leaks
-- output: host, time_created, event_id, provider, user_sid, hive, process_id, process_image, process_name, key, handles
-- parameters: none
select
    host,
    time_created,
    event_id,
    provider,
    user_sid,
    hive,
    process_id,
    process_image,
    process_name,
    key,
    handles
from hive_leaks
