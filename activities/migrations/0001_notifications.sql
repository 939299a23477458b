-- What was sent to whom, when, for which event. Written by the deliver_notification
-- activity (a side effect, not a projection: a projection rebuild never repeats it).
CREATE TABLE notifications (
    notification_id  bigserial PRIMARY KEY,
    event_id         uuid NOT NULL,
    plan_id          text NOT NULL,
    country          text NOT NULL,
    kind             text NOT NULL,
    milestone_id     text,
    recipient        text NOT NULL,
    recipient_role   text NOT NULL,
    email            text,
    subject          text NOT NULL,
    body             text NOT NULL,
    status           text NOT NULL DEFAULT 'recorded'
                     CHECK (status IN ('recorded', 'sent', 'failed')),
    error            text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz,
    UNIQUE (event_id, recipient)
);
CREATE INDEX notifications_plan ON notifications (plan_id, created_at);
CREATE INDEX notifications_recipient ON notifications (recipient, created_at);
