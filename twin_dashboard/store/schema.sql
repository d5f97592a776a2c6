-- The store's schema (SQLite dialect; the PostGIS store mirrors it).
-- Geometry is WKB in EPSG:4326; points also carry lon/lat for fast columnar reads.
-- Times are integer seconds since the Unix epoch, UTC.
-- subdistrict_id / neighborhood_id on every scoped table let one WHERE clause enforce a scope.

CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Per data source, when it last delivered (for /healthz and the freshness banner).
CREATE TABLE IF NOT EXISTS sources (
    name TEXT PRIMARY KEY,
    updated_at INTEGER NOT NULL,
    detail TEXT
);

CREATE TABLE IF NOT EXISTS district (
    id TEXT PRIMARY KEY, name TEXT, adcode INTEGER, name_en TEXT, props TEXT, geom BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS subdistricts (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, name_en TEXT, district_id TEXT, props TEXT, geom BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS neighborhoods (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, name_en TEXT, subdistrict_id TEXT,
    district_id TEXT, props TEXT, geom BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS buildings (
    id TEXT PRIMARY KEY, name TEXT, floors INTEGER, kind TEXT,
    subdistrict_id TEXT, neighborhood_id TEXT, district_id TEXT, props TEXT, geom BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS roads (
    id TEXT PRIMARY KEY, name TEXT, road_class TEXT, subdistrict_id TEXT, zone_id TEXT,
    district_id TEXT, props TEXT, geom BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS landcover (
    id TEXT PRIMARY KEY, name TEXT, kind TEXT NOT NULL, district_id TEXT, props TEXT, geom BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS addresses (
    id TEXT PRIMARY KEY, address TEXT NOT NULL, subdistrict_id TEXT, neighborhood_id TEXT,
    building_id TEXT, lon REAL NOT NULL, lat REAL NOT NULL, district_id TEXT, props TEXT, geom BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS patrol_zones (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, subdistrict_id TEXT,
    gov_chief_id TEXT, community_chief_id TEXT, target_hours REAL,
    district_id TEXT, props TEXT, geom BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS devices (
    id TEXT PRIMARY KEY, category TEXT NOT NULL, name TEXT,
    subdistrict_id TEXT, neighborhood_id TEXT, building_id TEXT, household_id TEXT,
    installed_at INTEGER, lon REAL NOT NULL, lat REAL NOT NULL, district_id TEXT, props TEXT, geom BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS devices_scope ON devices (subdistrict_id, neighborhood_id);

-- Synthetic or registered people: cadres, buddies, road chiefs, duty officers, residents.
CREATE TABLE IF NOT EXISTS people (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, phone TEXT, role TEXT NOT NULL,
    subdistrict_id TEXT, neighborhood_id TEXT,
    tags TEXT  -- ';'-separated person and policy tags (社区大脑)
);
CREATE TABLE IF NOT EXISTS households (
    id TEXT PRIMARY KEY, subdistrict_id TEXT, neighborhood_id TEXT, building_id TEXT,
    address TEXT, elder_id TEXT, cadre_id TEXT, buddy_id TEXT, lon REAL, lat REAL
);

-- The current state of each device, kept up to date by ingest; 'offline' is derived at read
-- time from last_seen and the category's heartbeat window.
CREATE TABLE IF NOT EXISTS device_status (
    device_id TEXT PRIMARY KEY,
    state TEXT NOT NULL,          -- normal | alarm | fault | low_battery
    state_since INTEGER,
    last_seen INTEGER,            -- last reading of any kind
    last_event TEXT, last_value REAL, battery REAL,
    subdistrict_id TEXT, neighborhood_id TEXT
);
CREATE INDEX IF NOT EXISTS device_status_scope ON device_status (subdistrict_id, neighborhood_id);

-- The idempotency key is (gateway, reading_id): reading ids are unique per gateway stream.
-- gateway is the token's name (HTTP), the MQTT topic, or 'simulator'; '' for readings loaded
-- from files or stored before gateways were recorded (store/_migrations.py).
CREATE TABLE IF NOT EXISTS readings (
    reading_id TEXT NOT NULL,
    device_id TEXT NOT NULL, ts INTEGER NOT NULL, event TEXT, value REAL, battery REAL,
    received_at INTEGER,
    gateway TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (gateway, reading_id)
);
CREATE INDEX IF NOT EXISTS readings_device_ts ON readings (device_id, ts);

CREATE TABLE IF NOT EXISTS alarms (
    id TEXT PRIMARY KEY, device_id TEXT, household_id TEXT,
    subdistrict_id TEXT, neighborhood_id TEXT,
    rule TEXT NOT NULL,           -- device category code or elderly rule name
    severity TEXT NOT NULL, status TEXT NOT NULL,
    raised_at INTEGER NOT NULL, acked_at INTEGER, acked_by TEXT,
    escalated_at INTEGER, closed_at INTEGER, incident_id TEXT,
    lon REAL, lat REAL
);
CREATE INDEX IF NOT EXISTS alarms_scope ON alarms (status, subdistrict_id, neighborhood_id);
CREATE INDEX IF NOT EXISTS alarms_raised ON alarms (raised_at);  -- replay: what existed at a time

CREATE TABLE IF NOT EXISTS incidents (
    id TEXT PRIMARY KEY, source TEXT NOT NULL, kind TEXT, title TEXT,
    subdistrict_id TEXT, neighborhood_id TEXT, zone_id TEXT, device_id TEXT,
    level TEXT NOT NULL, status TEXT NOT NULL,
    reported_at INTEGER NOT NULL, dispatched_at INTEGER, resolved_at INTEGER,
    closed_at INTEGER, sla_due_at INTEGER, lon REAL, lat REAL,
    -- the workflow (domain/workflow.py): who has it, when accepted, started, verified;
    -- reopened counts 返工 (reopened after resolving or closing; NULL means 0)
    assignee TEXT, accepted_at INTEGER, started_at INTEGER, verified_at INTEGER, reopened INTEGER
);
CREATE INDEX IF NOT EXISTS incidents_scope ON incidents (status, subdistrict_id, neighborhood_id);
CREATE INDEX IF NOT EXISTS incidents_reported ON incidents (reported_at);  -- replay

-- Every step of an incident's closed loop: who did what, when, at which level.
CREATE TABLE IF NOT EXISTS incident_events (
    incident_id TEXT NOT NULL, ts INTEGER NOT NULL, action TEXT NOT NULL,
    level TEXT, actor TEXT, note TEXT
);
CREATE INDEX IF NOT EXISTS incident_events_incident ON incident_events (incident_id, ts);

CREATE TABLE IF NOT EXISTS patrols (
    id TEXT PRIMARY KEY, zone_id TEXT NOT NULL, chief_id TEXT,
    subdistrict_id TEXT, started_at INTEGER NOT NULL, ended_at INTEGER,
    road_ids TEXT,                -- ';'-separated segments covered
    geom BLOB                     -- the GPS track, a LineString
);
CREATE INDEX IF NOT EXISTS patrols_zone ON patrols (zone_id, started_at);

-- 大走访 / 大排查: a visit of a household or an inspection of a building, and what it found
-- (one row per checklist item; a failed item opened the incident named). A file made before
-- these tables gains them empty when opened (CREATE TABLE IF NOT EXISTS).
CREATE TABLE IF NOT EXISTS visits (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL,   -- visit | inspection
    household_id TEXT, building_id TEXT,
    subdistrict_id TEXT, neighborhood_id TEXT,
    visitor_id TEXT,              -- the person who visited
    recorded_by TEXT,             -- the account that recorded it
    started_at INTEGER NOT NULL, ended_at INTEGER NOT NULL,
    findings INTEGER NOT NULL, failed INTEGER NOT NULL,
    lon REAL, lat REAL
);
CREATE INDEX IF NOT EXISTS visits_scope ON visits (subdistrict_id, neighborhood_id, started_at);
CREATE TABLE IF NOT EXISTS visit_findings (
    visit_id TEXT NOT NULL, item TEXT NOT NULL, ok INTEGER NOT NULL, note TEXT,
    incident_id TEXT,
    PRIMARY KEY (visit_id, item)
);

CREATE TABLE IF NOT EXISTS gateway_tokens (
    name TEXT PRIMARY KEY, token_hash TEXT NOT NULL, created_at INTEGER NOT NULL,
    revoked_at INTEGER
);

-- issue 4: live ingest, alarm routing.
-- Per device, the time of the latest reading on each register the state machine folds
-- (domain/states.py). One time per register makes the fold order-independent: a late reading
-- never undoes a newer one. active_at/flow_* feed the elderly-care rules (domain/rules.py).
CREATE TABLE IF NOT EXISTS device_registers (
    device_id TEXT PRIMARY KEY,
    alarm_at INTEGER, alarm_since INTEGER, fault_at INTEGER, clear_at INTEGER,
    battery_at INTEGER, event_at INTEGER, value_at INTEGER,
    active_at INTEGER,            -- last door / infrared / water activity
    flow_at INTEGER, flow_on INTEGER  -- latest flow_start/flow_stop, and whether it was a start
);
-- An inbox per person: the alarms routed to them (cadre, buddy, duty officer).
CREATE TABLE IF NOT EXISTS alarm_inbox (
    person_id TEXT NOT NULL, alarm_id TEXT NOT NULL, role TEXT NOT NULL, since INTEGER NOT NULL,
    PRIMARY KEY (person_id, alarm_id)
);
-- Every step of an alarm: raised, notified, acknowledged, escalated, notify_failed — who, when.
CREATE TABLE IF NOT EXISTS alarm_steps (
    alarm_id TEXT NOT NULL, ts INTEGER NOT NULL, action TEXT NOT NULL,
    actor TEXT, person_id TEXT, note TEXT
);
CREATE INDEX IF NOT EXISTS alarm_steps_alarm ON alarm_steps (alarm_id, ts);

-- People and access: accounts, sessions, personal API tokens, kiosk enrolments, lock-out, audit.
-- Secrets are stored only as hashes (argon2 for passwords, SHA-256 for random tokens).
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY, role TEXT NOT NULL, person_id TEXT,
    subdistrict_id TEXT,
    neighborhood_ids TEXT,        -- ';'-separated
    zone_ids TEXT,                -- ';'-separated patrol zones (road chiefs)
    password_hash TEXT,           -- argon2id; NULL for kiosks (they enrol instead)
    created_at INTEGER NOT NULL, disabled_at INTEGER,
    -- district_id: a district-wide role's or kiosk's one district of a city (NULL: all of it)
    district_id TEXT,
    rotate_s INTEGER              -- a kiosk's rotation through its subdistricts, seconds
);
-- Server-side sessions: the cookie holds a random id, the store its SHA-256 only, so a sign-out
-- or a disabled account takes effect on the next request.
CREATE TABLE IF NOT EXISTS sessions (
    id_hash TEXT PRIMARY KEY, user_name TEXT NOT NULL, csrf TEXT NOT NULL,
    created_at INTEGER NOT NULL, seen_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,  -- absolute end
    idle_s INTEGER,               -- sliding idle limit; NULL: none (kiosks)
    reason TEXT, reason_until INTEGER,  -- a commander's stated reason for personal data
    ended_at INTEGER
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user_name);
CREATE TABLE IF NOT EXISTS api_tokens (
    token_hash TEXT PRIMARY KEY, user_name TEXT NOT NULL, created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE TABLE IF NOT EXISTS enrolments (
    token_hash TEXT PRIMARY KEY, user_name TEXT NOT NULL, expires_at INTEGER NOT NULL,
    used_at INTEGER
);
-- Failed sign-ins per key ('user:NAME', 'ip:ADDR'): the count and until when it is locked.
CREATE TABLE IF NOT EXISTS login_failures (
    key TEXT PRIMARY KEY, count INTEGER NOT NULL, last_at INTEGER NOT NULL, locked_until INTEGER
);
-- Append-only: who did or saw what, when and why. The triggers refuse any change or deletion.
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL, actor TEXT, action TEXT NOT NULL,
    subject TEXT, reason TEXT, detail TEXT, ip TEXT
);
CREATE INDEX IF NOT EXISTS audit_ts ON audit (ts);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit is append-only: its rows cannot be changed'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'audit is append-only: its rows cannot be deleted'); END;
