-- A saga's row changes at every step (state, step, deadline, data). An update that changes no
-- indexed column can stay on its page as a heap-only tuple and write no index entries (HOT);
-- with `deadline` and `state` indexed, every step wrote a new entry into each of four indexes.
--
-- Running sagas are found by a partial index whose key and predicate change only when the saga
-- ends: the timeout sweep and the stuck view read the running sagas from it and check the
-- deadline as a filter (running sagas are the few in flight, however large the table grows).
DROP INDEX IF EXISTS sagas_running_by_deadline;
CREATE INDEX sagas_running ON sagas (started_at) WHERE finished_at IS NULL;
-- No query reads sagas by merchant.
DROP INDEX IF EXISTS sagas_by_merchant;
-- Room on each page for a saga's next versions, so its steps' updates can be HOT.
ALTER TABLE sagas SET (fillfactor = 70);
