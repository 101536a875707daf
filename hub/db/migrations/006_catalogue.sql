-- 部件事件分类 the catalogue of component (部件) and event (事件) classes, a city's 立案/处置/结案标准 (filing, handling and
-- closing standard: several situations 情形 per class), the departments (部门) and the responsibility rules (责任划分)
-- that route a class in an area to a department. All of it is data a city imports, not code.

-- Components and events are numbered independently (component 0101 上水井盖, event 0101 私搭乱建): a class is (kind, code).
CREATE TABLE catalogue_major_classes (
  kind       text    NOT NULL CHECK (kind IN ('component', 'event')),
  code       text    NOT NULL CHECK (code ~ '^[0-9]{2}$'),
  name_zh    text    NOT NULL CHECK (btrim(name_zh) <> ''),
  name_en    text    NOT NULL DEFAULT '',
  uncertain  boolean NOT NULL DEFAULT false,
  sources    text[]  NOT NULL DEFAULT '{}',
  PRIMARY KEY (kind, code)
);

CREATE TABLE catalogue_classes (
  kind       text        NOT NULL CHECK (kind IN ('component', 'event')),
  -- 2-digit major + 2-digit minor, e.g. 0101.
  code       text        NOT NULL CHECK (code ~ '^[0-9]{4}$'),
  major_code text        GENERATED ALWAYS AS (substr(code, 1, 2)) STORED,
  name_zh    text        NOT NULL CHECK (btrim(name_zh) <> ''),
  name_en    text        NOT NULL DEFAULT '',
  alt_names  text[]      NOT NULL DEFAULT '{}',
  note       text,
  -- Single-source or conflicting entries of the draft catalogue; a city's own file makes a class certain.
  uncertain  boolean     NOT NULL DEFAULT false,
  sources    text[]      NOT NULL DEFAULT '{}',
  -- `catalogue:<numbering>` (imported from a catalogue) or `standard` (created by a city's standard file).
  origin     text        NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (kind, code),
  FOREIGN KEY (kind, major_code) REFERENCES catalogue_major_classes (kind, code)
);
CREATE INDEX catalogue_classes_major_idx ON catalogue_classes (kind, major_code, code);

-- One situation (情形) of a class. Re-importing a standard retires the class's situations instead of deleting them:
-- cases filed under an old situation keep pointing at the row they were judged by.
CREATE TABLE class_standards (
  id                      bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind                    text        NOT NULL,
  class_code              text        NOT NULL,
  -- Order within the class, as in the file (0-based).
  position                integer     NOT NULL CHECK (position >= 0),
  filing_condition        text        NOT NULL CHECK (btrim(filing_condition) <> ''),
  -- Parsed 处置时限; both null when the text could not be read (reported at import, never guessed).
  limit_value             numeric     CHECK (limit_value > 0),
  limit_unit              text        CHECK (limit_unit IN ('workHours', 'workDays', 'urgentHours')),
  limit_text              text        NOT NULL,
  closing_condition       text        NOT NULL,
  supervising_body        text,       -- 监管主体
  responsible_body        text,       -- 责任主体
  legal_basis             text,       -- 法律法规依据
  legal_clauses           text,       -- 法律法规具体条款
  collection_requirements text,       -- 采集要求
  -- Physical line of the source file the situation starts on.
  source_line             integer,
  imported_at             timestamptz NOT NULL DEFAULT now(),
  retired_at              timestamptz,
  CHECK ((limit_value IS NULL) = (limit_unit IS NULL)),
  FOREIGN KEY (kind, class_code) REFERENCES catalogue_classes (kind, code)
);
CREATE UNIQUE INDEX class_standards_current_idx ON class_standards (kind, class_code, position) WHERE retired_at IS NULL;

-- 部门: professional departments (专业部门) and the district governments that coordinate unclear cases (art.33).
CREATE TABLE departments (
  id            text        PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9._-]{1,64}$'),
  name          text        NOT NULL CHECK (btrim(name) <> ''),
  kind          text        NOT NULL CHECK (kind IN ('department', 'districtGovernment')),
  -- GB/T 2260 county-level code; required for a district government, whose district it coordinates.
  district_code text        CHECK (district_code ~ '^[0-9]{6}$'),
  contact_phone text,
  enabled       boolean     NOT NULL DEFAULT true,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  CHECK (kind <> 'districtGovernment' OR district_code IS NOT NULL)
);
-- One coordinating government per district, so the art.33 fallback is never a choice.
CREATE UNIQUE INDEX departments_district_government_idx ON departments (district_code)
  WHERE kind = 'districtGovernment' AND enabled;

-- 责任划分: which department handles which classes in which area.
CREATE TABLE responsibility_rules (
  id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- A 4-digit class, a 2-digit major class or * for every class.
  class_pattern text        NOT NULL CHECK (class_pattern ~ '^([0-9]{2}|[0-9]{4}|\*)$'),
  -- Null: components and events alike.
  class_kind    text        CHECK (class_kind IN ('component', 'event')),
  area_level    text        NOT NULL CHECK (area_level IN ('city', 'district', 'street', 'community', 'cell')),
  -- city and district 6 digits (GB/T 2260), street 9, community 12, cell 15.
  area_code     text        NOT NULL CHECK (
    (area_level IN ('city', 'district') AND area_code ~ '^[0-9]{6}$') OR
    (area_level = 'street' AND area_code ~ '^[0-9]{9}$') OR
    (area_level = 'community' AND area_code ~ '^[0-9]{12}$') OR
    (area_level = 'cell' AND area_code ~ '^[0-9]{15}$')),
  department_id text        NOT NULL REFERENCES departments (id),
  -- Among equally specific rules, the higher priority wins.
  priority      integer     NOT NULL DEFAULT 0,
  note          text,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX responsibility_rules_department_idx ON responsibility_rules (department_id);
