-- Staging: the profile events, with `kind` named profile_kind.
-- inputs: profile_events
-- output: one row per profile event: host, time_created, provider, event_id, os_family, profile_kind, user_sid, user_name, detail, record_id, file_id
-- parameters: none
select
    host,
    time_created,
    provider,
    event_id,
    os_family,
    kind as profile_kind,
    user_sid,
    user_name,
    detail,
    record_id,
    file_id
from profile_events
