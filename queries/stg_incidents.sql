-- Staging: the unload incidents, with `class` named incident_class.
-- inputs: unload_incidents
-- output: one row per incident: incident_id, host, user_sid, user_name, started, ended, os_family, incident_class, remediated_by, event_ids, processes, keys
-- parameters: none
select
    incident_id,
    host,
    user_sid,
    user_name,
    started,
    ended,
    os_family,
    class as incident_class,
    remediated_by,
    event_ids,
    processes,
    keys
from unload_incidents
