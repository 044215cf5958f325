//! SPARQL evaluation in a worker process, killed at the timeout.
//!
//! Oxigraph checks its cancellation token only when it reads from the store,
//! so a query that multiplies data it has already read (a cartesian product
//! under COUNT) would run on after a timeout in a thread. A public endpoint
//! cannot allow that: each query runs in a child process (`katalog
//! sparql-worker`) on the latest read-only snapshot of the store (see
//! [`crate::store::CatalogStore::snapshot`]), and the process is killed when
//! the time is up or the client goes away. The child also keeps a runaway
//! query's memory out of the server.

use super::sparql::{prepare, write_results, QueryJob, ResultSink};
use super::ServeError;
use axum::body::{Body, Bytes};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use oxigraph::sparql::CancellationToken;
use oxigraph::store::Store;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdout, Command};
use tokio::sync::oneshot;
use tokio::time::{timeout_at, Instant};

/// How to start a worker: the `katalog` executable and the snapshot it reads.
#[derive(Debug, Clone)]
pub struct QueryWorker {
    pub executable: PathBuf,
    /// The newest snapshot; replaced after each harvest.
    pub snapshot: Arc<RwLock<PathBuf>>,
}

impl QueryWorker {
    pub fn new(executable: PathBuf, snapshot: PathBuf) -> Self {
        Self {
            executable,
            snapshot: Arc::new(RwLock::new(snapshot)),
        }
    }

    /// Points new queries at a newer snapshot.
    pub fn set_snapshot(&self, snapshot: PathBuf) {
        if let Ok(mut current) = self.snapshot.write() {
            *current = snapshot;
        }
    }

    fn current_snapshot(&self) -> PathBuf {
        self.snapshot
            .read()
            .map(|path| path.clone())
            .unwrap_or_default()
    }
}

const FIRST_CHUNK: usize = 64 * 1024;

/// Exit code of a worker that failed before writing results; stderr holds "STATUS message".
const EXIT_BEFORE_RESULTS: i32 = 3;

pub async fn run_in_worker(worker: &QueryWorker, job: &QueryJob, limit: Duration) -> Response {
    let deadline = Instant::now() + limit;
    let mut child = match Command::new(&worker.executable)
        .arg("sparql-worker")
        .arg("--store")
        .arg(worker.current_snapshot())
        .env("RUST_LOG", "error")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
    {
        Ok(child) => child,
        Err(e) => {
            return ServeError::Internal(format!("cannot start a query worker: {e}"))
                .into_response()
        }
    };
    let request = match serde_json::to_vec(job) {
        Ok(request) => request,
        Err(e) => return ServeError::Internal(e.to_string()).into_response(),
    };
    if let Some(mut stdin) = child.stdin.take() {
        if stdin.write_all(&request).await.is_err() {
            return ServeError::Internal("the query worker did not take the query".into())
                .into_response();
        }
    }
    let (Some(stdout), Some(mut stderr)) = (child.stdout.take(), child.stderr.take()) else {
        return ServeError::Internal("the query worker has no output".into()).into_response();
    };
    let stderr_text = tokio::spawn(async move {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text).await;
        text
    });
    let (status_tx, status_rx) = oneshot::channel();
    tokio::spawn(supervise(child, deadline, status_tx));

    let mut reader = BufReader::new(stdout);
    let mut content_type = String::new();
    let header_read = timeout_at(deadline, reader.read_line(&mut content_type)).await;
    let mut first = Vec::with_capacity(FIRST_CHUNK);
    let complete = match header_read {
        Ok(Ok(n)) if n > 0 => match read_first_chunk(&mut reader, &mut first, deadline).await {
            Ok(complete) => complete,
            Err(()) => return ServeError::Timeout.into_response(),
        },
        Ok(_) => true,
        Err(_) => return ServeError::Timeout.into_response(),
    };
    if complete {
        let outcome = status_rx.await.unwrap_or(WorkerEnd::Failed);
        let message = stderr_text.await.unwrap_or_default();
        return match outcome {
            WorkerEnd::Succeeded if !content_type.is_empty() => {
                respond(content_type.trim(), Body::from(first))
            }
            WorkerEnd::TimedOut => ServeError::Timeout.into_response(),
            _ => worker_error(&message),
        };
    }
    let stream = futures_util::stream::unfold(
        Stream::Reading {
            first: Some(Bytes::from(first)),
            reader,
            status: status_rx,
        },
        next_chunk,
    );
    respond(content_type.trim(), Body::from_stream(stream))
}

fn respond(content_type: &str, body: Body) -> Response {
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::VARY, "Accept")
        .body(body)
        .unwrap_or_else(|e| ServeError::Internal(e.to_string()).into_response())
}

/// Reads up to [`FIRST_CHUNK`] bytes; true when the output ended within them.
async fn read_first_chunk(
    reader: &mut BufReader<ChildStdout>,
    first: &mut Vec<u8>,
    deadline: Instant,
) -> Result<bool, ()> {
    let mut buffer = vec![0u8; 16 * 1024];
    while first.len() < FIRST_CHUNK {
        match timeout_at(deadline, reader.read(&mut buffer)).await {
            Ok(Ok(0)) => return Ok(true),
            Ok(Ok(n)) => first.extend_from_slice(&buffer[..n]),
            Ok(Err(_)) => return Ok(true),
            Err(_) => return Err(()),
        }
    }
    Ok(false)
}

enum Stream {
    Reading {
        first: Option<Bytes>,
        reader: BufReader<ChildStdout>,
        status: oneshot::Receiver<WorkerEnd>,
    },
    Done,
}

async fn next_chunk(state: Stream) -> Option<(Result<Bytes, io::Error>, Stream)> {
    let Stream::Reading {
        mut first,
        mut reader,
        status,
    } = state
    else {
        return None;
    };
    if let Some(first) = first.take() {
        return Some((
            Ok(first),
            Stream::Reading {
                first: None,
                reader,
                status,
            },
        ));
    }
    let mut buffer = vec![0u8; FIRST_CHUNK];
    match reader.read(&mut buffer).await {
        Ok(0) | Err(_) => match status.await {
            Ok(WorkerEnd::Succeeded) => None,
            // Headers are sent: the only way to say it failed is to break the body.
            Ok(WorkerEnd::TimedOut) => {
                Some((Err(io::Error::other("query timed out")), Stream::Done))
            }
            _ => Some((Err(io::Error::other("query failed")), Stream::Done)),
        },
        Ok(n) => {
            buffer.truncate(n);
            Some((
                Ok(Bytes::from(buffer)),
                Stream::Reading {
                    first: None,
                    reader,
                    status,
                },
            ))
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WorkerEnd {
    Succeeded,
    Failed,
    TimedOut,
}

/// Waits for the worker, killing it at the deadline.
async fn supervise(mut child: Child, deadline: Instant, report: oneshot::Sender<WorkerEnd>) {
    let end = tokio::select! {
        status = child.wait() => match status {
            Ok(status) if status.success() => WorkerEnd::Succeeded,
            _ => WorkerEnd::Failed,
        },
        _ = tokio::time::sleep_until(deadline) => {
            let _ = child.kill().await;
            WorkerEnd::TimedOut
        }
    };
    let _ = report.send(end);
}

/// Maps a worker's "STATUS message" on stderr to a response.
fn worker_error(stderr: &str) -> Response {
    let line = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    let (status, message) = line.split_once(' ').unwrap_or(("500", line));
    let status = status
        .parse::<u16>()
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let message = if message.is_empty() {
        "the query worker failed"
    } else {
        message
    };
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{message}\n"),
    )
        .into_response()
}

/// The worker side: reads a [`QueryJob`] (JSON) on stdin, writes the content
/// type on the first line of stdout and the results after it. Returns the exit code.
pub fn worker_main(store_dir: &Path) -> i32 {
    let mut input = Vec::new();
    if let Err(e) = io::stdin().read_to_end(&mut input) {
        return fail_before_results(&ServeError::Internal(format!("cannot read the query: {e}")));
    }
    let job: QueryJob = match serde_json::from_slice(&input) {
        Ok(job) => job,
        Err(e) => {
            return fail_before_results(&ServeError::BadRequest(format!("bad query job: {e}")))
        }
    };
    let store = match Store::open_read_only(store_dir) {
        Ok(store) => store,
        Err(e) => {
            return fail_before_results(&ServeError::Internal(format!(
                "cannot open the store: {e}"
            )))
        }
    };
    let prepared = match prepare(
        &job.query,
        &job.default_graphs,
        &job.named_graphs,
        CancellationToken::new(),
    ) {
        Ok(prepared) => prepared,
        Err(error) => return fail_before_results(&error),
    };
    let results = match prepared.on_store(&store).execute() {
        Ok(results) => results,
        Err(error) => return fail_before_results(&super::sparql::evaluation_error(error)),
    };
    let mut sink = WorkerSink {
        out: BufWriter::with_capacity(FIRST_CHUNK, io::stdout().lock()),
        started: false,
    };
    let result = write_results(results, &job.accept, job.format.as_deref(), &mut sink);
    let flushed = sink.out.flush();
    match (result, flushed) {
        (Ok(()), Ok(())) => 0,
        (Err(error), _) if !sink.started => fail_before_results(&error),
        (Err(error), _) => {
            eprintln!("500 {error}");
            4
        }
        (Ok(()), Err(_)) => 4, // the server closed the pipe: the client went away
    }
}

fn fail_before_results(error: &ServeError) -> i32 {
    eprintln!("{} {error}", error.status().as_u16());
    EXIT_BEFORE_RESULTS
}

struct WorkerSink<W: Write> {
    out: W,
    started: bool,
}

impl<W: Write> Write for WorkerSink<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

impl<W: Write> ResultSink for WorkerSink<W> {
    fn set_content_type(&mut self, content_type: &'static str) {
        self.started = true;
        // A failed write shows up as a broken pipe on the next one.
        let _ = writeln!(self.out, "{content_type}");
    }
}
