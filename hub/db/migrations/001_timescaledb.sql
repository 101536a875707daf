-- TimescaleDB (时序数据库) when the server has it: hypertables, time_bucket, drop_chunks. Without it (the embedded
-- default, a plain PostgreSQL) every table below works as an ordinary table.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb') THEN
    BEGIN
      CREATE EXTENSION IF NOT EXISTS timescaledb;
    EXCEPTION WHEN OTHERS THEN
      -- Typically: installed but not in shared_preload_libraries.
      RAISE WARNING 'TimescaleDB is installed but could not be created (%); continuing with plain tables', SQLERRM;
    END;
  END IF;
END $$;
