//! The SQLite backend of the metadata store.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, Row, Transaction, TransactionBehavior, params};

use super::*;

/// Schema migrations, applied in order; the file's `PRAGMA user_version` is how many ran.
/// Append only: never edit a released step.
const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    r"
    CREATE TABLE runs (
        id          TEXT PRIMARY KEY,
        pipeline    TEXT NOT NULL,
        source      TEXT NOT NULL CHECK (source IN ('local', 'argo')),
        location    TEXT,
        phase       TEXT NOT NULL,
        started_at  TEXT,
        finished_at TEXT,
        message     TEXT,
        labels      TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX runs_by_pipeline ON runs (pipeline, started_at);
    CREATE TABLE tasks (
        run_id      TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        name        TEXT NOT NULL,
        node_id     TEXT,
        template    TEXT,
        phase       TEXT NOT NULL,
        started_at  TEXT,
        finished_at TEXT,
        message     TEXT,
        attempt     INTEGER NOT NULL DEFAULT 0,
        loop_item   TEXT,
        PRIMARY KEY (run_id, name)
    );
    CREATE TABLE parameters (
        run_id    TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        task      TEXT NOT NULL,
        direction TEXT NOT NULL CHECK (direction IN ('input', 'output')),
        name      TEXT NOT NULL,
        value     TEXT,
        PRIMARY KEY (run_id, task, direction, name)
    );
    CREATE TABLE artifacts (
        id     INTEGER PRIMARY KEY,
        run_id TEXT REFERENCES runs (id) ON DELETE CASCADE,
        task   TEXT,
        name   TEXT NOT NULL,
        uri    TEXT,
        kind   TEXT
    );
    CREATE UNIQUE INDEX artifacts_by_producer ON artifacts (run_id, task, name)
        WHERE run_id IS NOT NULL;
    CREATE UNIQUE INDEX external_artifacts_by_uri ON artifacts (uri) WHERE run_id IS NULL;
    CREATE INDEX artifacts_by_uri ON artifacts (uri);
    CREATE TABLE consumptions (
        artifact_id INTEGER NOT NULL REFERENCES artifacts (id) ON DELETE CASCADE,
        run_id      TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        task        TEXT NOT NULL,
        input_name  TEXT NOT NULL,
        PRIMARY KEY (artifact_id, run_id, task, input_name)
    );
    CREATE INDEX consumptions_by_consumer ON consumptions (run_id, task);
    ",
    // 2: whether a task's outputs could not be saved (`runs stats`' artifact write failures),
    // filled in for the tasks already stored from the messages that say so
    // ([`crate::outputs_not_saved`]: Argo's wait container, the local runner's missing
    // or unstorable output).
    r"
    ALTER TABLE tasks ADD COLUMN outputs_not_saved INTEGER NOT NULL DEFAULT 0;
    UPDATE tasks SET outputs_not_saved = 1
    WHERE phase IN ('Error', 'Failed')
      AND (message LIKE 'wait: %' OR message LIKE 'failed to save outputs%'
           OR message = 'pod failed: wait container did not complete successfully'
           OR message LIKE 'output `%` was not written%');
    ",
];

/// The embedded metadata store: one SQLite file (WAL mode), shared safely by threads and
/// processes. See the [module docs](super) for the interface.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Mutex<Connection>,
    path: Option<PathBuf>,
}

impl SqliteStore {
    /// How long a writer waits for another writer before failing.
    pub const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

    /// The newest schema version this build writes.
    pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

    /// Opens (creating it and its folder if needed) the store at `path` and migrates it to the
    /// current schema.
    ///
    /// # Errors
    /// [`StoreError::Open`] if the file cannot be created or opened, [`StoreError::NewerSchema`]
    /// if a newer argot wrote it, [`StoreError::Database`] if migrating fails.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStore, StoreError> {
        let path = path.as_ref();
        let open_err = |source: Box<dyn std::error::Error + Send + Sync>| StoreError::Open {
            path: path.to_owned(),
            source,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| open_err(Box::new(e)))?;
        }
        let conn = Connection::open(path).map_err(|e| open_err(Box::new(e)))?;
        conn.busy_timeout(Self::BUSY_TIMEOUT)
            .map_err(|e| open_err(Box::new(e)))?;
        // WAL lets readers run beside a writer and keeps a crash from corrupting the file.
        // Switching a new file to WAL needs an exclusive lock, and SQLite answers BUSY there
        // without calling the busy handler: several runs creating one store at once (the
        // `concurrent_runs_share_one_store…` test) would fail with "database is locked". So
        // it retries for as long as the busy timeout allows, as every other statement waits.
        let started = std::time::Instant::now();
        let mode: String = loop {
            match conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)) {
                Err(rusqlite::Error::SqliteFailure(e, _))
                    if e.code == rusqlite::ErrorCode::DatabaseBusy
                        && started.elapsed() < Self::BUSY_TIMEOUT =>
                {
                    std::thread::sleep(Duration::from_millis(5));
                }
                other => break other.map_err(|e| open_err(Box::new(e)))?,
            }
        };
        tracing::debug!(%mode, path = %path.display(), "opened metadata store");
        Self::init(conn, Some(path.to_owned()))
    }

    /// A private store in memory (tests, dry runs).
    ///
    /// # Errors
    /// [`StoreError::Database`] if SQLite cannot start.
    pub fn open_in_memory() -> Result<SqliteStore, StoreError> {
        let conn = Connection::open_in_memory().map_err(db("opening in memory"))?;
        Self::init(conn, None)
    }

    fn init(mut conn: Connection, path: Option<PathBuf>) -> Result<SqliteStore, StoreError> {
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(db("enabling foreign keys"))?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(db("setting synchronous"))?;
        migrate(&mut conn)?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
            path,
        })
    }

    /// The file's path (`None` in memory).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The schema version of the open file.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        self.with_conn(|c| {
            c.query_row("PRAGMA user_version", [], |r| r.get(0))
                .map_err(db("reading user_version"))
        })
    }

    fn with_conn<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        // A panic while holding the lock leaves no half-written state (transactions roll back),
        // so a poisoned lock is safe to reuse.
        let mut guard = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }

    fn write<T>(
        &self,
        what: &'static str,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.with_conn(|c| {
            // IMMEDIATE takes the write lock now, so the busy timeout applies instead of a
            // deadlock error when two readers both try to upgrade.
            let tx = c
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db(what))?;
            let out = f(&tx)?;
            tx.commit().map_err(db(what))?;
            Ok(out)
        })
    }
}

fn db(what: &'static str) -> impl Fn(rusqlite::Error) -> StoreError {
    move |e| StoreError::Database {
        what,
        source: Box::new(e),
    }
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db("starting migration"))?;
    let version: u32 = tx
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(db("reading user_version"))?;
    let supported = SqliteStore::SCHEMA_VERSION;
    if version > supported {
        return Err(StoreError::NewerSchema {
            found: version,
            supported,
        });
    }
    for (i, step) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        tx.execute_batch(step).map_err(db("migrating the schema"))?;
        tx.pragma_update(
            None,
            "user_version",
            i64::try_from(i + 1).unwrap_or(i64::MAX),
        )
        .map_err(db("setting user_version"))?;
    }
    tx.commit().map_err(db("committing migration"))
}

fn run_exists(tx: &Connection, run_id: &str) -> Result<bool, StoreError> {
    query_one(tx, "SELECT 1 FROM runs WHERE id = ?1", [run_id], |_| Ok(()))
        .optional()
        .map(|o| o.is_some())
        .map_err(db("looking up a run"))
}

/// Runs one statement through the connection's statement cache. The local runner writes a
/// few rows per task; preparing (parsing) each statement again was most of the store's share
/// of a task's cost (BENCHMARKS.md, "The local runner").
fn exec(c: &Connection, sql: &str, params: impl rusqlite::Params) -> rusqlite::Result<usize> {
    c.prepare_cached(sql)?.execute(params)
}

/// The first row of a query, through the statement cache (see [`exec`]).
fn query_one<T>(
    c: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    f: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    c.prepare_cached(sql)?.query_row(params, f)
}

fn require_run(tx: &Connection, run_id: &str) -> Result<(), StoreError> {
    if run_exists(tx, run_id)? {
        Ok(())
    } else {
        Err(StoreError::UnknownRun(run_id.to_owned()))
    }
}

fn put_run(tx: &Connection, run: &RunRecord) -> Result<(), StoreError> {
    let labels = serde_json::to_string(&run.labels).expect("a string map always serialises");
    exec(
        tx,
        "INSERT INTO runs (id, pipeline, source, location, phase, started_at, finished_at, message, labels)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (id) DO UPDATE SET pipeline = excluded.pipeline, source = excluded.source,
           location = excluded.location, phase = excluded.phase, started_at = excluded.started_at,
           finished_at = excluded.finished_at, message = excluded.message, labels = excluded.labels",
        params![
            run.id,
            run.pipeline,
            run.source.as_str(),
            run.location,
            run.phase.as_str(),
            run.started_at,
            run.finished_at,
            run.message,
            labels
        ],
    )
    .map_err(db("writing a run"))?;
    Ok(())
}

fn put_task(tx: &Connection, t: &TaskRecord) -> Result<(), StoreError> {
    require_run(tx, &t.run_id)?;
    exec(
        tx,
        "INSERT INTO tasks (run_id, name, node_id, template, phase, started_at, finished_at, message, attempt, loop_item, outputs_not_saved)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
         ON CONFLICT (run_id, name) DO UPDATE SET node_id = excluded.node_id,
           template = excluded.template, phase = excluded.phase, started_at = excluded.started_at,
           finished_at = excluded.finished_at, message = excluded.message,
           attempt = excluded.attempt, loop_item = excluded.loop_item,
           outputs_not_saved = excluded.outputs_not_saved",
        params![
            t.run_id,
            t.name,
            t.node_id,
            t.template,
            t.phase.as_str(),
            t.started_at,
            t.finished_at,
            t.message,
            t.attempt,
            t.loop_item,
            t.outputs_not_saved
        ],
    )
    .map_err(db("writing a task"))?;
    Ok(())
}

fn put_parameter(tx: &Connection, p: &ParameterRecord) -> Result<(), StoreError> {
    require_run(tx, &p.run_id)?;
    exec(
        tx,
        "INSERT INTO parameters (run_id, task, direction, name, value) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (run_id, task, direction, name) DO UPDATE SET value = excluded.value",
        params![p.run_id, p.task, p.direction.as_str(), p.name, p.value],
    )
    .map_err(db("writing a parameter"))?;
    Ok(())
}

fn put_artifact(tx: &Connection, a: &ArtifactRecord) -> Result<ArtifactId, StoreError> {
    let existing: Option<ArtifactId> = match &a.run_id {
        Some(run_id) => {
            require_run(tx, run_id)?;
            query_one(
                tx,
                "SELECT id FROM artifacts WHERE run_id = ?1 AND task IS ?2 AND name = ?3",
                params![run_id, a.task, a.name],
                |r| r.get(0),
            )
        }
        None => query_one(
            tx,
            "SELECT id FROM artifacts WHERE run_id IS NULL AND uri IS ?1",
            params![a.uri],
            |r| r.get(0),
        ),
    }
    .optional()
    .map_err(db("looking up an artifact"))?;
    match existing {
        Some(id) => {
            exec(
                tx,
                "UPDATE artifacts SET uri = ?2, kind = COALESCE(?3, kind), name = ?4 WHERE id = ?1",
                params![id, a.uri, a.kind, a.name],
            )
            .map_err(db("updating an artifact"))?;
            Ok(id)
        }
        None => {
            exec(
                tx,
                "INSERT INTO artifacts (run_id, task, name, uri, kind) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![a.run_id, a.task, a.name, a.uri, a.kind],
            )
            .map_err(db("writing an artifact"))?;
            Ok(tx.last_insert_rowid())
        }
    }
}

fn put_consumption(tx: &Connection, c: &ConsumptionRecord) -> Result<(), StoreError> {
    require_run(tx, &c.run_id)?;
    let known = query_one(
        tx,
        "SELECT 1 FROM artifacts WHERE id = ?1",
        [c.artifact],
        |_| Ok(()),
    )
    .optional()
    .map_err(db("looking up an artifact"))?;
    if known.is_none() {
        return Err(StoreError::ArtifactNotFound(format!(
            "with id {}",
            c.artifact
        )));
    }
    exec(
        tx,
        "INSERT OR IGNORE INTO consumptions (artifact_id, run_id, task, input_name) VALUES (?1, ?2, ?3, ?4)",
        params![c.artifact, c.run_id, c.task, c.input_name],
    )
    .map_err(db("writing a consumption"))?;
    Ok(())
}

fn run_from_row(r: &Row<'_>) -> rusqlite::Result<RunRecord> {
    let source: String = r.get("source")?;
    let labels: String = r.get("labels")?;
    Ok(RunRecord {
        id: r.get("id")?,
        pipeline: r.get("pipeline")?,
        source: if source == "argo" {
            RunSource::Argo
        } else {
            RunSource::Local
        },
        location: r.get("location")?,
        phase: Phase::parse(Some(&r.get::<_, String>("phase")?)),
        started_at: r.get("started_at")?,
        finished_at: r.get("finished_at")?,
        message: r.get("message")?,
        labels: serde_json::from_str(&labels).unwrap_or_default(),
    })
}

fn task_from_row(r: &Row<'_>) -> rusqlite::Result<TaskRecord> {
    Ok(TaskRecord {
        run_id: r.get("run_id")?,
        name: r.get("name")?,
        node_id: r.get("node_id")?,
        template: r.get("template")?,
        phase: Phase::parse(Some(&r.get::<_, String>("phase")?)),
        started_at: r.get("started_at")?,
        finished_at: r.get("finished_at")?,
        message: r.get("message")?,
        attempt: r.get("attempt")?,
        loop_item: r.get("loop_item")?,
        outputs_not_saved: r.get("outputs_not_saved")?,
    })
}

fn param_from_row(r: &Row<'_>) -> rusqlite::Result<ParameterRecord> {
    let direction: String = r.get("direction")?;
    Ok(ParameterRecord {
        run_id: r.get("run_id")?,
        task: r.get("task")?,
        name: r.get("name")?,
        direction: if direction == "output" {
            Direction::Output
        } else {
            Direction::Input
        },
        value: r.get("value")?,
    })
}

fn artifact_from_row(r: &Row<'_>) -> rusqlite::Result<StoredArtifact> {
    Ok(StoredArtifact {
        id: r.get("id")?,
        record: ArtifactRecord {
            run_id: r.get("run_id")?,
            task: r.get("task")?,
            name: r.get("name")?,
            uri: r.get("uri")?,
            kind: r.get("kind")?,
        },
    })
}

fn consumption_from_row(r: &Row<'_>) -> rusqlite::Result<ConsumptionRecord> {
    Ok(ConsumptionRecord {
        artifact: r.get("artifact_id")?,
        run_id: r.get("run_id")?,
        task: r.get("task")?,
        input_name: r.get("input_name")?,
    })
}

fn collect<T>(
    c: &Connection,
    what: &'static str,
    sql: &str,
    params: impl rusqlite::Params,
    f: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>, StoreError> {
    let mut stmt = c.prepare_cached(sql).map_err(db(what))?;
    let rows = stmt.query_map(params, f).map_err(db(what))?;
    rows.collect::<Result<Vec<_>, _>>().map_err(db(what))
}

const TASK_ORDER: &str = "ORDER BY started_at IS NULL, started_at, name";

fn find_artifact(c: &Connection, sel: &ArtifactSelector) -> Result<StoredArtifact, StoreError> {
    let what = "finding an artifact";
    let found = match sel {
        ArtifactSelector::Id(id) => collect(
            c,
            what,
            "SELECT * FROM artifacts WHERE id = ?1",
            [id],
            artifact_from_row,
        )?,
        ArtifactSelector::Uri(uri) => collect(
            c,
            what,
            "SELECT * FROM artifacts WHERE uri = ?1 ORDER BY id",
            [uri],
            artifact_from_row,
        )?,
        ArtifactSelector::Output { run_id, task, name } => collect(
            c,
            what,
            "SELECT * FROM artifacts WHERE run_id = ?1 AND task = ?2 AND name = ?3",
            params![run_id, task, name],
            artifact_from_row,
        )?,
    };
    match found.len() {
        0 => Err(StoreError::ArtifactNotFound(sel.to_string())),
        1 => Ok(found.into_iter().next().expect("one element")),
        count => {
            // The same location read as an input by several runs is one external artifact and
            // the producer's record; prefer the produced one when exactly one was produced.
            let produced: Vec<_> = found.iter().filter(|a| a.record.run_id.is_some()).collect();
            if produced.len() == 1 {
                return Ok(produced[0].clone());
            }
            Err(StoreError::AmbiguousArtifact {
                selector: sel.to_string(),
                count,
                ids: found
                    .iter()
                    .map(|a| a.id.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
        }
    }
}

impl MetadataStore for SqliteStore {
    fn begin_run(&self, run: &RunRecord) -> Result<(), StoreError> {
        self.write("writing a run", |tx| put_run(tx, run))
    }

    fn finish_run(
        &self,
        run_id: &str,
        phase: &Phase,
        finished_at: &str,
        message: Option<&str>,
    ) -> Result<(), StoreError> {
        self.write("finishing a run", |tx| {
            let n = tx
                .execute(
                    "UPDATE runs SET phase = ?2, finished_at = ?3, message = COALESCE(?4, message) WHERE id = ?1",
                    params![run_id, phase.as_str(), finished_at, message],
                )
                .map_err(db("finishing a run"))?;
            if n == 0 {
                return Err(StoreError::UnknownRun(run_id.to_owned()));
            }
            Ok(())
        })
    }

    fn upsert_task(&self, task: &TaskRecord) -> Result<(), StoreError> {
        self.write("writing a task", |tx| put_task(tx, task))
    }

    fn record_parameter(&self, parameter: &ParameterRecord) -> Result<(), StoreError> {
        self.write("writing a parameter", |tx| put_parameter(tx, parameter))
    }

    fn record_artifact(&self, artifact: &ArtifactRecord) -> Result<ArtifactId, StoreError> {
        self.write("writing an artifact", |tx| put_artifact(tx, artifact))
    }

    fn record_consumption(&self, consumption: &ConsumptionRecord) -> Result<(), StoreError> {
        self.write("writing a consumption", |tx| {
            put_consumption(tx, consumption)
        })
    }

    fn record_run(&self, snapshot: &RunSnapshot) -> Result<(), StoreError> {
        let Some(run) = &snapshot.run else {
            return Err(StoreError::UnknownRun(String::new()));
        };
        self.write("writing a run snapshot", |tx| {
            put_run(tx, run)?;
            for t in &snapshot.tasks {
                put_task(tx, t)?;
            }
            for p in &snapshot.parameters {
                put_parameter(tx, p)?;
            }
            let mut produced = BTreeMap::new();
            for a in &snapshot.artifacts {
                let id = put_artifact(tx, a)?;
                if let Some(uri) = &a.uri {
                    produced.entry(uri.clone()).or_insert(id);
                }
            }
            for (task, input, name, uri) in &snapshot.consumptions {
                let artifact = match produced.get(uri) {
                    Some(id) => *id,
                    None => {
                        let stored: Option<ArtifactId> = query_one(
                            tx,
                                "SELECT id FROM artifacts WHERE uri = ?1 ORDER BY run_id IS NULL, id LIMIT 1",
                                [uri],
                                |r| r.get(0),
                            )
                            .optional()
                            .map_err(db("looking up an artifact"))?;
                        match stored {
                            Some(id) => id,
                            None => put_artifact(
                                tx,
                                &ArtifactRecord {
                                    run_id: None,
                                    task: None,
                                    name: name.clone(),
                                    uri: Some(uri.clone()),
                                    kind: None,
                                },
                            )?,
                        }
                    }
                };
                put_consumption(
                    tx,
                    &ConsumptionRecord {
                        artifact,
                        run_id: run.id.clone(),
                        task: task.clone(),
                        input_name: input.clone(),
                    },
                )?;
            }
            Ok(())
        })
    }

    fn list_runs(&self, filter: &RunFilter) -> Result<Vec<RunRecord>, StoreError> {
        self.with_conn(|c| {
            let limit = filter
                .limit
                .map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX));
            collect(
                c,
                "listing runs",
                "SELECT * FROM runs WHERE (?1 IS NULL OR pipeline = ?1) AND (?2 IS NULL OR source = ?2)
                 ORDER BY started_at IS NULL DESC, started_at DESC, id LIMIT ?3",
                params![filter.pipeline, filter.source.map(RunSource::as_str), limit],
                run_from_row,
            )
        })
    }

    fn run_details(&self, run_id: &str) -> Result<Option<RunDetails>, StoreError> {
        self.with_conn(|c| {
            let what = "reading a run";
            let Some(run) = collect(c, what, "SELECT * FROM runs WHERE id = ?1", [run_id], run_from_row)?
                .into_iter()
                .next()
            else {
                return Ok(None);
            };
            Ok(Some(RunDetails {
                run,
                tasks: collect(
                    c,
                    what,
                    &format!("SELECT * FROM tasks WHERE run_id = ?1 {TASK_ORDER}"),
                    [run_id],
                    task_from_row,
                )?,
                parameters: collect(
                    c,
                    what,
                    "SELECT * FROM parameters WHERE run_id = ?1 ORDER BY task, direction, name",
                    [run_id],
                    param_from_row,
                )?,
                artifacts: collect(
                    c,
                    what,
                    "SELECT * FROM artifacts WHERE run_id = ?1 ORDER BY task, name, id",
                    [run_id],
                    artifact_from_row,
                )?,
                consumptions: collect(
                    c,
                    what,
                    "SELECT * FROM consumptions WHERE run_id = ?1 ORDER BY task, input_name, artifact_id",
                    [run_id],
                    consumption_from_row,
                )?,
            }))
        })
    }

    fn lineage(&self, artifact: &ArtifactSelector) -> Result<Lineage, StoreError> {
        self.with_conn(|c| {
            let what = "reading lineage";
            let artifact = find_artifact(c, artifact)?;
            let (mut producer, mut input_parameters, mut input_artifacts) = (None, vec![], vec![]);
            if let (Some(run_id), Some(task)) = (&artifact.record.run_id, &artifact.record.task) {
                producer = collect(
                    c,
                    what,
                    "SELECT * FROM tasks WHERE run_id = ?1 AND name = ?2",
                    params![run_id, task],
                    task_from_row,
                )?
                .into_iter()
                .next();
                input_parameters = collect(
                    c,
                    what,
                    "SELECT * FROM parameters WHERE run_id = ?1 AND task = ?2 AND direction = 'input' ORDER BY name",
                    params![run_id, task],
                    param_from_row,
                )?;
                input_artifacts = collect(
                    c,
                    what,
                    "SELECT c.input_name AS input_name, a.* FROM consumptions c JOIN artifacts a ON a.id = c.artifact_id
                     WHERE c.run_id = ?1 AND c.task = ?2 ORDER BY c.input_name, a.id",
                    params![run_id, task],
                    |r| Ok((r.get("input_name")?, artifact_from_row(r)?)),
                )?;
            }
            let edges = collect(
                c,
                what,
                "SELECT * FROM consumptions WHERE artifact_id = ?1 ORDER BY run_id, task, input_name",
                [artifact.id],
                consumption_from_row,
            )?;
            let mut consumers = Vec::with_capacity(edges.len());
            for e in edges {
                let produced = collect(
                    c,
                    what,
                    "SELECT * FROM artifacts WHERE run_id = ?1 AND task = ?2 ORDER BY name, id",
                    params![e.run_id, e.task],
                    artifact_from_row,
                )?;
                consumers.push(Consumer {
                    run_id: e.run_id,
                    task: e.task,
                    input_name: e.input_name,
                    produced,
                });
            }
            Ok(Lineage {
                artifact,
                producer,
                input_parameters,
                input_artifacts,
                consumers,
            })
        })
    }
}

impl SqliteStore {
    /// Deletes the given runs with everything recorded about them (tasks, parameters, produced
    /// artifacts, consumptions), except a run that produced an artifact a run being kept
    /// consumed: deleting it would cut the kept run's lineage, so it stays. Returns the ids
    /// deleted (with `dry_run`, the ids that would be), in the order given.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub fn prune_runs(
        &self,
        candidates: &[String],
        dry_run: bool,
    ) -> Result<Vec<String>, StoreError> {
        self.write("pruning runs", |tx| {
            let mut edges = tx
                .prepare(
                    "SELECT DISTINCT a.run_id, c.run_id FROM consumptions c
                     JOIN artifacts a ON a.id = c.artifact_id
                     WHERE a.run_id IS NOT NULL AND a.run_id != c.run_id",
                )
                .map_err(db("pruning runs"))?;
            let edges: Vec<(String, String)> = edges
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(db("pruning runs"))?
                .collect::<Result<_, _>>()
                .map_err(db("pruning runs"))?;
            let mut doomed: std::collections::BTreeSet<&str> =
                candidates.iter().map(String::as_str).collect();
            // Keeping a producer may protect the producers it consumed from in turn.
            loop {
                let protected: Vec<&str> = edges
                    .iter()
                    .filter(|(producer, consumer)| {
                        doomed.contains(producer.as_str()) && !doomed.contains(consumer.as_str())
                    })
                    .map(|(producer, _)| producer.as_str())
                    .collect();
                if protected.is_empty() {
                    break;
                }
                for p in protected {
                    doomed.remove(p);
                }
            }
            let pruned: Vec<String> = candidates
                .iter()
                .filter(|id| doomed.contains(id.as_str()))
                .cloned()
                .collect();
            if !dry_run {
                for id in &pruned {
                    tx.execute("DELETE FROM runs WHERE id = ?1", params![id])
                        .map_err(db("pruning runs"))?;
                }
            }
            Ok(pruned)
        })
    }
}
