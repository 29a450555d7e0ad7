-- categorize.decay(): system patterns unused for a while lose 10% of their
-- weight and are deactivated below the minimum; user-created ones stay.
TRUNCATE categorize.categories, categorize.feedback, categorize.learned_from CASCADE;
SELECT setval('categorize.patterns_id_seq', 4300, false);
INSERT INTO categorize.categories (id, name) VALUES (421, 'Fuel');
INSERT INTO categorize.patterns (id, category_id, kind, value, weight, user_created, last_used_at, created_at) VALUES
    (4301, 421, 'keyword', 'gas',     2.0, false, now() - interval '40 days', now() - interval '90 days'),
    (4302, 421, 'keyword', 'petrol',  2.0, false, now() - interval '5 days',  now() - interval '90 days'),
    (4303, 421, 'keyword', 'diesel',  2.0, false, NULL,                       now() - interval '60 days'),
    (4304, 421, 'keyword', 'fuel',    2.0, false, NULL,                       now()),
    (4305, 421, 'keyword', 'shell',   2.0, true,  now() - interval '400 days', now() - interval '400 days'),
    (4306, 421, 'keyword', 'station', 0.105, false, now() - interval '40 days', now() - interval '90 days');
SELECT * FROM categorize.decay();
SELECT id, value, round(weight::numeric, 3) AS weight, active FROM categorize.patterns ORDER BY id;
-- the default is 30 days; a shorter window reaches more
SELECT * FROM categorize.decay('1 day');
SELECT id, value, round(weight::numeric, 3) AS weight, active FROM categorize.patterns ORDER BY id;
-- the index sees it: a deactivated pattern no longer matches
SELECT categorize.categorize('STATION 5') AS station, categorize.categorize('SHELL 5') AS shell;
SELECT * FROM categorize.decay('-1 day');
SELECT * FROM categorize.decay(NULL);
TRUNCATE categorize.categories, categorize.feedback, categorize.learned_from CASCADE;
