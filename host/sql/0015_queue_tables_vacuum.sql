-- The jobs and messages tables are queues: every row is updated a few times
-- within seconds (claimed, finished; queued, sent, delivered). Vacuum them
-- after a fixed number of dead rows rather than a fraction of the table,
-- and without the cost-based pauses, so a claim's walk of jobs_due does not
-- step over more and more dead entries while traffic lasts.
ALTER TABLE jobs SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000,
                      autovacuum_vacuum_cost_delay = 0, autovacuum_analyze_scale_factor = 0.05);
ALTER TABLE messages SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000,
                          autovacuum_vacuum_cost_delay = 0);
