-- Placeholder: migration 2 belongs to another branch. Migrations must be numbered without gaps, so this branch
-- carries an empty one to run on its own; delete this file when merging (the other branch's 0002 replaces it).
SELECT 1;
