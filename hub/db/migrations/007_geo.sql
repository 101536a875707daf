-- 万米单元网格 unit grids and 部件普查 the component inventory: districts (区), streets (街道), communities (社区) and unit
-- grid cells (单元网格) with their boundaries, and the physical components (部件) located in them. PostGIS is not
-- required: geometries are GeoJSON in jsonb, the bbox columns serve map queries, and point lookups run in the hub's
-- in-memory index (hub/geo/geocoder.ts).
CREATE TABLE areas (
  -- GB/T 2260 county-level code (6 digits) + street (3) + community (3) + cell (3): the length is the level.
  code        text             PRIMARY KEY CHECK (code ~ '^[0-9]{6}([0-9]{3}){0,3}$'),
  level       text             NOT NULL CHECK (level IN ('district', 'street', 'community', 'cell')),
  name        text             NOT NULL CHECK (btrim(name) <> ''),
  -- The code minus its last 3 digits; districts have no parent here (the city above them is not a managed area).
  -- Deferrable so one import can bring parents and children in any order.
  parent_code text             REFERENCES areas (code) DEFERRABLE INITIALLY DEFERRED,
  -- A GeoJSON Polygon or MultiPolygon, WGS-84; validated by hub/geo/geometry.ts before it is stored.
  geometry    jsonb            NOT NULL CHECK (geometry ->> 'type' IN ('Polygon', 'MultiPolygon')),
  min_lon     double precision NOT NULL,
  min_lat     double precision NOT NULL,
  max_lon     double precision NOT NULL,
  max_lat     double precision NOT NULL,
  area_m2     double precision NOT NULL CHECK (area_m2 >= 0),
  updated_at  timestamptz      NOT NULL DEFAULT now(),
  CHECK (level = CASE length(code) WHEN 6 THEN 'district' WHEN 9 THEN 'street' WHEN 12 THEN 'community' ELSE 'cell' END),
  CHECK (parent_code IS NOT DISTINCT FROM CASE WHEN length(code) = 6 THEN NULL ELSE left(code, length(code) - 3) END),
  CHECK (min_lon <= max_lon AND min_lat <= max_lat)
);

-- The map asks for one level inside the visible bbox.
CREATE INDEX areas_level_bbox_idx ON areas (level, min_lon, max_lon);
CREATE INDEX areas_parent_idx ON areas (parent_code);

CREATE TABLE components (
  -- 部件标识码: admin code (6) + class code (4) + serial (6).
  id          char(16)         PRIMARY KEY CHECK (id ~ '^[0-9]{16}$'),
  -- The catalogue's 2+2-digit class; no foreign key to the catalogue tables so the inventory can be loaded before a
  -- city's catalogue changes (the importer checks the class exists at import time).
  class_code  char(4)          NOT NULL CHECK (class_code ~ '^[0-9]{4}$' AND substr(id, 7, 4) = class_code),
  name        text             NOT NULL CHECK (btrim(name) <> ''),
  lon         double precision NOT NULL CHECK (lon BETWEEN -180 AND 180),
  lat         double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
  -- The cell the point fell in when it was imported; null when it lies outside every cell (reported as a warning).
  cell_code   text             CHECK (cell_code ~ '^[0-9]{15}$'),
  owner       text,            -- 主管部门 owning body
  maintainer  text,            -- 养护单位 maintaining body
  status      text             NOT NULL DEFAULT 'normal' CHECK (status IN ('normal', 'damaged', 'missing', 'removed')),
  attributes  jsonb            NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(attributes) = 'object'),
  updated_at  timestamptz      NOT NULL DEFAULT now()
);

CREATE INDEX components_class_idx ON components (class_code, id);
CREATE INDEX components_cell_idx ON components (cell_code, id) WHERE cell_code IS NOT NULL;
CREATE INDEX components_lon_lat_idx ON components (lon, lat);
