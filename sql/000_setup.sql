-- Creating the extension, and what it creates.
CREATE EXTENSION categorize;
SELECT extversion FROM pg_extension WHERE extname = 'categorize';
SELECT rolname FROM pg_roles WHERE rolname = 'categorize_admin';
SELECT c.relname, c.relkind
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'categorize' AND c.relkind IN ('r', 'v', 'S')
 ORDER BY 1;
