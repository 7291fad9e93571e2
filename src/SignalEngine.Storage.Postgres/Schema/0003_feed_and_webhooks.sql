-- The play feed (every change at a growing position, for resuming clients) and the webhook outbox.

create table se_play_changes (
    position   bigserial   primary key,
    play_id    text        not null,
    event_id   text        not null,
    changed_at timestamptz not null default now(),
    play       jsonb       not null
);
create index se_play_changes_by_event on se_play_changes (event_id, position desc);

create table se_webhook_subscriptions (
    id              text        primary key,
    url             text        not null,
    kinds           text[]      not null,
    tiers           integer[]   not null,
    pods            text[]      not null,
    rule_ids        text[]      not null,
    secrets         jsonb       not null,
    created_at      timestamptz not null,
    paused          boolean     not null default false,
    disabled_reason text,
    failing_since   timestamptz,
    last_success_at timestamptz,
    last_failure_at timestamptz,
    last_error      text
);

create table se_webhook_deliveries (
    id              bigserial   primary key,
    subscription_id text        not null references se_webhook_subscriptions (id) on delete cascade,
    position        bigint      not null,
    attempts        integer     not null default 0,
    next_attempt_at timestamptz not null default now(),
    leased_until    timestamptz,
    status          text        not null default 'pending',
    last_error      text,
    change          jsonb       not null
);
create index se_webhook_deliveries_due on se_webhook_deliveries (next_attempt_at) where status = 'pending';
create index se_webhook_deliveries_by_subscription on se_webhook_deliveries (subscription_id, status);
