-- Version 1 of the PostGIS store's schema: the tables of schema.sql (the SQLite store) in
-- PostgreSQL's dialect. Applied by the Alembic revision 0001 (store/postgis_migrations/), in
-- the one transaction of store/_pg_migrations.py. A released file is never edited: a change
-- is a new revision.
-- Times stay integer epoch seconds (bigint) and props JSON text, so that both stores read back
-- the same values; geometry is a PostGIS geometry in EPSG:4326 with a GiST index.

CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE sources (name text PRIMARY KEY, updated_at bigint NOT NULL, detail text);

CREATE TABLE district (
    id text PRIMARY KEY, name text, adcode bigint, props text,
    geom geometry(Geometry, 4326) NOT NULL
);
CREATE TABLE subdistricts (
    id text PRIMARY KEY, name text NOT NULL, name_en text, props text,
    geom geometry(Geometry, 4326) NOT NULL
);
CREATE TABLE neighborhoods (
    id text PRIMARY KEY, name text NOT NULL, name_en text, subdistrict_id text, props text,
    geom geometry(Geometry, 4326) NOT NULL
);
CREATE TABLE buildings (
    id text PRIMARY KEY, name text, floors bigint, kind text,
    subdistrict_id text, neighborhood_id text, props text, geom geometry(Geometry, 4326) NOT NULL
);
CREATE TABLE roads (
    id text PRIMARY KEY, name text, road_class text, subdistrict_id text, zone_id text,
    props text, geom geometry(Geometry, 4326) NOT NULL
);
CREATE TABLE landcover (
    id text PRIMARY KEY, name text, kind text NOT NULL, props text,
    geom geometry(Geometry, 4326) NOT NULL
);
CREATE TABLE addresses (
    id text PRIMARY KEY, address text NOT NULL, subdistrict_id text, neighborhood_id text,
    building_id text, lon double precision NOT NULL, lat double precision NOT NULL, props text,
    geom geometry(Geometry, 4326) NOT NULL
);
CREATE TABLE patrol_zones (
    id text PRIMARY KEY, name text NOT NULL, subdistrict_id text,
    gov_chief_id text, community_chief_id text, target_hours double precision,
    props text, geom geometry(Geometry, 4326) NOT NULL
);
CREATE TABLE devices (
    id text PRIMARY KEY, category text NOT NULL, name text,
    subdistrict_id text, neighborhood_id text, building_id text, household_id text,
    installed_at bigint, lon double precision NOT NULL, lat double precision NOT NULL,
    props text, geom geometry(Geometry, 4326) NOT NULL
);
CREATE INDEX devices_scope ON devices (subdistrict_id, neighborhood_id);
CREATE INDEX district_geom ON district USING gist (geom);
CREATE INDEX subdistricts_geom ON subdistricts USING gist (geom);
CREATE INDEX neighborhoods_geom ON neighborhoods USING gist (geom);
CREATE INDEX buildings_geom ON buildings USING gist (geom);
CREATE INDEX roads_geom ON roads USING gist (geom);
CREATE INDEX landcover_geom ON landcover USING gist (geom);
CREATE INDEX addresses_geom ON addresses USING gist (geom);
CREATE INDEX patrol_zones_geom ON patrol_zones USING gist (geom);
CREATE INDEX devices_geom ON devices USING gist (geom);
CREATE INDEX neighborhoods_scope ON neighborhoods (subdistrict_id);
CREATE INDEX buildings_scope ON buildings (subdistrict_id, neighborhood_id);

CREATE TABLE people (
    id text PRIMARY KEY, name text NOT NULL, phone text, role text NOT NULL,
    subdistrict_id text, neighborhood_id text, tags text
);
CREATE TABLE households (
    id text PRIMARY KEY, subdistrict_id text, neighborhood_id text, building_id text,
    address text, elder_id text, cadre_id text, buddy_id text,
    lon double precision, lat double precision
);
CREATE TABLE device_status (
    device_id text PRIMARY KEY, state text NOT NULL, state_since bigint, last_seen bigint,
    last_event text, last_value double precision, battery double precision,
    subdistrict_id text, neighborhood_id text
);
CREATE INDEX device_status_scope ON device_status (subdistrict_id, neighborhood_id);
CREATE TABLE readings (
    reading_id text NOT NULL, device_id text NOT NULL, ts bigint NOT NULL, event text,
    value double precision, battery double precision, received_at bigint,
    gateway text NOT NULL DEFAULT '',
    PRIMARY KEY (gateway, reading_id)
);
CREATE INDEX readings_device_ts ON readings (device_id, ts);
CREATE TABLE alarms (
    id text PRIMARY KEY, device_id text, household_id text,
    subdistrict_id text, neighborhood_id text, rule text NOT NULL,
    severity text NOT NULL, status text NOT NULL,
    raised_at bigint NOT NULL, acked_at bigint, acked_by text,
    escalated_at bigint, closed_at bigint, incident_id text,
    lon double precision, lat double precision
);
CREATE INDEX alarms_scope ON alarms (status, subdistrict_id, neighborhood_id);
CREATE TABLE incidents (
    id text PRIMARY KEY, source text NOT NULL, kind text, title text,
    subdistrict_id text, neighborhood_id text, zone_id text, device_id text,
    level text NOT NULL, status text NOT NULL,
    reported_at bigint NOT NULL, dispatched_at bigint, resolved_at bigint,
    closed_at bigint, sla_due_at bigint, lon double precision, lat double precision,
    assignee text, accepted_at bigint, started_at bigint, verified_at bigint, reopened bigint
);
CREATE INDEX incidents_scope ON incidents (status, subdistrict_id, neighborhood_id);
CREATE TABLE incident_events (
    incident_id text NOT NULL, ts bigint NOT NULL, action text NOT NULL,
    level text, actor text, note text
);
CREATE INDEX incident_events_incident ON incident_events (incident_id, ts);
CREATE TABLE patrols (
    id text PRIMARY KEY, zone_id text NOT NULL, chief_id text,
    subdistrict_id text, started_at bigint NOT NULL, ended_at bigint,
    road_ids text, geom geometry(Geometry, 4326)
);
CREATE INDEX patrols_zone ON patrols (zone_id, started_at);
CREATE INDEX patrols_geom ON patrols USING gist (geom);
CREATE TABLE visits (
    id text PRIMARY KEY, kind text NOT NULL, household_id text, building_id text,
    subdistrict_id text, neighborhood_id text, visitor_id text, recorded_by text,
    started_at bigint NOT NULL, ended_at bigint NOT NULL,
    findings bigint NOT NULL, failed bigint NOT NULL,
    lon double precision, lat double precision
);
CREATE INDEX visits_scope ON visits (subdistrict_id, neighborhood_id, started_at);
CREATE TABLE visit_findings (
    visit_id text NOT NULL, item text NOT NULL, ok bigint NOT NULL, note text, incident_id text,
    PRIMARY KEY (visit_id, item)
);
CREATE TABLE gateway_tokens (
    name text PRIMARY KEY, token_hash text NOT NULL, created_at bigint NOT NULL,
    revoked_at bigint
);
CREATE TABLE device_registers (
    device_id text PRIMARY KEY,
    alarm_at bigint, alarm_since bigint, fault_at bigint, clear_at bigint,
    battery_at bigint, event_at bigint, value_at bigint,
    active_at bigint, flow_at bigint, flow_on bigint
);
CREATE TABLE alarm_inbox (
    person_id text NOT NULL, alarm_id text NOT NULL, role text NOT NULL, since bigint NOT NULL,
    PRIMARY KEY (person_id, alarm_id)
);
CREATE TABLE alarm_steps (
    alarm_id text NOT NULL, ts bigint NOT NULL, action text NOT NULL,
    actor text, person_id text, note text
);
CREATE INDEX alarm_steps_alarm ON alarm_steps (alarm_id, ts);

CREATE TABLE users (
    name text PRIMARY KEY, role text NOT NULL, person_id text, subdistrict_id text,
    neighborhood_ids text, zone_ids text, password_hash text,
    created_at bigint NOT NULL, disabled_at bigint, rotate_s bigint
);
CREATE TABLE sessions (
    id_hash text PRIMARY KEY, user_name text NOT NULL, csrf text NOT NULL,
    created_at bigint NOT NULL, seen_at bigint NOT NULL, expires_at bigint NOT NULL,
    idle_s bigint, reason text, reason_until bigint, ended_at bigint
);
CREATE INDEX sessions_user ON sessions (user_name);
CREATE TABLE api_tokens (
    token_hash text PRIMARY KEY, user_name text NOT NULL, created_at bigint NOT NULL,
    revoked_at bigint
);
CREATE TABLE enrolments (
    token_hash text PRIMARY KEY, user_name text NOT NULL, expires_at bigint NOT NULL,
    used_at bigint
);
CREATE TABLE login_failures (
    key text PRIMARY KEY, count bigint NOT NULL, last_at bigint NOT NULL, locked_until bigint
);
-- Append-only: the triggers refuse any change, deletion or truncation.
CREATE TABLE audit (
    seq bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, ts bigint NOT NULL, actor text,
    action text NOT NULL, subject text, reason text, detail text, ip text
);
CREATE INDEX audit_ts ON audit (ts);
CREATE FUNCTION audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'audit is append-only: its rows cannot be '
        || CASE TG_OP WHEN 'UPDATE' THEN 'changed' ELSE 'deleted' END;
END $$;
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_refuse();
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_refuse();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse();
