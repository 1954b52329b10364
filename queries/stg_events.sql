-- Staging: the events table, column for column.
-- inputs: events
-- output: one row per distinct event record (host, channel, provider, event_id, ..., file_id)
-- parameters: none
select
    host,
    channel,
    provider,
    event_id,
    qualifiers,
    level,
    time_created,
    record_id,
    process_id,
    thread_id,
    user_sid,
    event_data,
    source_format,
    file_id
from events
