-- Fatigue control: digests are feed changes too, sent once per owner and day.
alter table se_play_changes add column digest jsonb;

create table se_play_digests (
    id      text        primary key,
    sent_at timestamptz not null default now()
);
