-- Several districts (DESIGN §4.4): every layer row but the district's own carries the district
-- it lies in; the district gains its English name. Nullable: rows stored before have none until
-- the next import or seed fills it. Mirrors store/_migrations.py's DISTRICT_COLUMNS for SQLite.
ALTER TABLE district ADD COLUMN name_en text;
ALTER TABLE subdistricts ADD COLUMN district_id text;
ALTER TABLE neighborhoods ADD COLUMN district_id text;
ALTER TABLE buildings ADD COLUMN district_id text;
ALTER TABLE roads ADD COLUMN district_id text;
ALTER TABLE landcover ADD COLUMN district_id text;
ALTER TABLE addresses ADD COLUMN district_id text;
ALTER TABLE patrol_zones ADD COLUMN district_id text;
ALTER TABLE devices ADD COLUMN district_id text;
CREATE INDEX subdistricts_district ON subdistricts (district_id);
-- A district-wide role (commander, admin) or a kiosk limited to one district of a city.
ALTER TABLE users ADD COLUMN district_id text;
