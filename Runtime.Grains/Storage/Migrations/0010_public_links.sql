-- Interactive jobs' public links: the Api finds the job by the SHA-256 of the link's token.
ALTER TABLE jobs ADD COLUMN public_link text GENERATED ALWAYS AS (state -> 'publicLink' ->> 'tokenHash') STORED;
CREATE UNIQUE INDEX ux_jobs_public_link ON jobs (public_link) WHERE public_link IS NOT NULL;
