-- 工作日历 the city's working calendar: one row of settings (time zone, a standard day's working periods, weekend days),
-- the public holidays and adjusted working days (调休) per year, and the per-step time limits (环节时限).
CREATE TABLE calendar_settings (
  -- A single row: the hub serves one city.
  id              boolean     PRIMARY KEY DEFAULT true CHECK (id),
  time_zone       text        NOT NULL CHECK (time_zone <> ''),
  -- [{"start": "08:30", "end": "12:00"}, ...]; ordering and overlap are checked in hub/cases/calendar.ts.
  working_periods jsonb       NOT NULL CHECK (jsonb_typeof(working_periods) = 'array'),
  -- ISO weekdays, 1 Monday … 7 Sunday.
  weekend_days    smallint[]  NOT NULL CHECK (weekend_days <@ ARRAY[1, 2, 3, 4, 5, 6, 7]::smallint[]),
  updated_at      timestamptz NOT NULL DEFAULT now()
);

-- One row per year whose special days were imported, with where they came from (the State Council's annual notice).
CREATE TABLE calendar_years (
  year       smallint    PRIMARY KEY CHECK (year BETWEEN 1970 AND 2200),
  source     text        NOT NULL DEFAULT '',
  note       text        NOT NULL DEFAULT '',
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE calendar_days (
  day             date     PRIMARY KEY,
  year            smallint NOT NULL REFERENCES calendar_years (year) ON DELETE CASCADE,
  kind            text     NOT NULL CHECK (kind IN ('holiday', 'workday')),
  name            text     NOT NULL CHECK (btrim(name) <> ''),
  -- A workday's own periods (e.g. a half day); null: the standard periods.
  working_periods jsonb    CHECK (working_periods IS NULL OR jsonb_typeof(working_periods) = 'array'),
  CHECK (year = extract(year FROM day)),
  CHECK (kind = 'workday' OR working_periods IS NULL)
);
CREATE INDEX calendar_days_year_idx ON calendar_days (year, day);

-- Per-step limits (e.g. verify and file within 1 working hour); the shipped defaults fill in the steps absent here.
CREATE TABLE step_limits (
  step       text        PRIMARY KEY CHECK (step ~ '^[a-z][A-Za-z0-9]{0,39}$'),
  value      numeric     NOT NULL CHECK (value >= 0),
  unit       text        NOT NULL CHECK (unit IN ('workHours', 'workDays', 'urgentHours')),
  updated_at timestamptz NOT NULL DEFAULT now()
);
