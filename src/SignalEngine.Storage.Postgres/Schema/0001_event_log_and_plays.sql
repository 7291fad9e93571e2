-- SignalEngine's own tables: the durable event log, its delivery cursor and the play store.

-- One row per (partition, position, workspace): the events of one workspace in one append.
create table se_event_log (
    partition    integer     not null,
    seq          bigint      not null,
    workspace_id text        not null,
    appended_at  timestamptz not null default now(),
    events       bytea       not null,
    primary key (partition, seq, workspace_id)
);
-- A workspace grain re-reads its own tail after a crash.
create index se_event_log_by_workspace on se_event_log (workspace_id, seq);

-- The last position appended per partition; its row lock orders appends.
create table se_event_log_head (
    partition integer primary key,
    last_seq  bigint  not null
);

-- How far each partition has been delivered to workspace grains.
create table se_event_log_cursor (
    partition     integer     primary key,
    delivered_seq bigint      not null,
    updated_at    timestamptz not null default now()
);

-- Every play once, in its latest status; feed_seq grows with each change.
create sequence se_plays_feed_seq;
create table se_plays (
    play_id      text        primary key,
    workspace_id text        not null,
    rule_id      text        not null,
    kind         text        not null,
    status       text        not null,
    shadow       boolean     not null,
    fired_at     timestamptz not null,
    updated_at   timestamptz not null,
    feed_seq     bigint      not null,
    play         jsonb       not null
);
create index se_plays_by_time on se_plays (shadow, fired_at desc);
create index se_plays_by_workspace on se_plays (workspace_id, fired_at desc);
create index se_plays_by_feed on se_plays (feed_seq);
