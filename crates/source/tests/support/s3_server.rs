//! A real S3-compatible server for tests: `s3s-fs` over a folder (`ROOT/bucket/key`), run
//! inside the test process on a free loopback port, checking signatures against one
//! access key and secret. It can make the GETs of a key fail (an error status, or a body
//! cut mid-stream) a given number of times, and it records every LIST request with its
//! prefix and delimiter so that a test can prove what was (not) listed.
//!
//! Other crates' tests include it with
//! `#[path = "../../source/tests/support/s3_server.rs"] mod s3_server;`. It runs on its own
//! thread and runtime, so it serves while a test blocks (on a child process, say); it
//! stops when the [`S3Server`] is dropped.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use s3s::dto::{
    GetObjectInput, GetObjectOutput, HeadBucketInput, HeadBucketOutput, HeadObjectInput,
    HeadObjectOutput, ListObjectsInput, ListObjectsOutput, ListObjectsV2Input, ListObjectsV2Output,
    PutObjectInput, PutObjectOutput, StreamingBlob,
};
use s3s::{S3, S3Request, S3Response, S3Result, s3_error};

/// The access key id the server accepts.
pub const ACCESS_KEY: &str = "AKIATRAILHUNTTEST01";
/// Its secret.
pub const SECRET_KEY: &str = "trailhunt/test+secret/Zx81QvL0pWm3";

/// How a faulty GET fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 500 InternalError.
    InternalError,
    /// 503 SlowDown (throttling).
    SlowDown,
    /// The status and headers of the whole object, then half the body and a broken
    /// connection.
    CutBody,
}

/// One LIST request as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListCall {
    /// The bucket.
    pub bucket: String,
    /// The `prefix` parameter (empty when absent).
    pub prefix: String,
    /// The `delimiter` parameter.
    pub delimiter: Option<String>,
}

#[derive(Default)]
struct State {
    /// key → (fault, failures left).
    faults: HashMap<String, (Fault, usize)>,
    lists: Vec<ListCall>,
    gets: HashMap<String, usize>,
}

/// A running server; dropping it stops the server.
pub struct S3Server {
    endpoint: String,
    state: Arc<Mutex<State>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl S3Server {
    /// Starts a server over `root` (whose folders are buckets) on 127.0.0.1, port chosen by
    /// the system. Panics if it cannot start (a test setup failure).
    pub fn start(root: &Path) -> S3Server {
        let state = Arc::new(Mutex::new(State::default()));
        let fs = s3s_fs::FileSystem::new(root).expect("s3s-fs over the test folder");
        let faulty = Faulty {
            inner: fs,
            root: root.to_path_buf(),
            state: Arc::clone(&state),
        };
        let service = {
            let mut b = s3s::service::S3ServiceBuilder::new(faulty);
            b.set_auth(s3s::auth::SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
            b.build()
        };
        let (stop_tx, mut stop_rx) = tokio::sync::oneshot::channel::<()>();
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a runtime for the test S3 server");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("a free loopback port");
                addr_tx
                    .send(listener.local_addr().expect("the bound address"))
                    .expect("the starting thread waits");
                let http = hyper_util::server::conn::auto::Builder::new(
                    hyper_util::rt::TokioExecutor::new(),
                );
                loop {
                    tokio::select! {
                        accepted = listener.accept() => {
                            let Ok((socket, _)) = accepted else { continue };
                            let conn = http
                                .serve_connection(hyper_util::rt::TokioIo::new(socket), service.clone())
                                .into_owned();
                            tokio::spawn(async move {
                                let _ = conn.await;
                            });
                        }
                        _ = &mut stop_rx => break,
                    }
                }
            });
            // Dropping the runtime ends the connections still open.
        });
        let addr = addr_rx.recv().expect("the test S3 server started");
        S3Server {
            endpoint: format!("http://{addr}"),
            state,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Makes the next `times` GETs of `key` (in any bucket) fail as `fault`;
    /// `usize::MAX` for always.
    pub fn fail_get(&self, key: &str, fault: Fault, times: usize) {
        self.lock().faults.insert(key.to_string(), (fault, times));
    }

    /// Every LIST request so far, in order.
    pub fn list_calls(&self) -> Vec<ListCall> {
        self.lock().lists.clone()
    }

    /// Forgets the LIST requests so far.
    pub fn clear_list_calls(&self) {
        self.lock().lists.clear();
    }

    /// GET requests of `key` so far (failed ones included).
    pub fn get_count(&self, key: &str) -> usize {
        self.lock().gets.get(key).copied().unwrap_or(0)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// s3s-fs with faults injected into GETs and LISTs recorded; everything else delegated.
struct Faulty {
    inner: s3s_fs::FileSystem,
    root: std::path::PathBuf,
    state: Arc<Mutex<State>>,
}

impl Faulty {
    /// S3 has no folders: a key naming one of s3s-fs's directories is no object (s3s-fs
    /// would answer HEAD on it, and fail GET with a 500).
    fn is_folder(&self, bucket: &str, key: &str) -> bool {
        self.root.join(bucket).join(key).is_dir()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn record_list(&self, bucket: &str, prefix: Option<&str>, delimiter: Option<&str>) {
        self.lock().lists.push(ListCall {
            bucket: bucket.to_string(),
            prefix: prefix.unwrap_or("").to_string(),
            delimiter: delimiter.map(str::to_string),
        });
    }
}

/// A body that yields `first` and then fails.
struct Cut {
    first: Option<bytes::Bytes>,
}

#[derive(Debug)]
struct CutError;

impl std::fmt::Display for CutError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection cut by the test server")
    }
}

impl std::error::Error for CutError {}

impl futures::Stream for Cut {
    type Item = Result<bytes::Bytes, CutError>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        std::task::Poll::Ready(Some(match self.first.take() {
            Some(b) => Ok(b),
            None => Err(CutError),
        }))
    }
}

#[async_trait::async_trait]
impl S3 for Faulty {
    async fn get_object(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        let key = req.input.key.clone();
        if self.is_folder(&req.input.bucket, &key) {
            return Err(s3_error!(NoSuchKey));
        }
        let fault = {
            let mut state = self.lock();
            *state.gets.entry(key.clone()).or_default() += 1;
            match state.faults.get_mut(&key) {
                Some((fault, left)) if *left > 0 => {
                    if *left != usize::MAX {
                        *left -= 1;
                    }
                    Some(*fault)
                }
                _ => None,
            }
        };
        match fault {
            None => self.inner.get_object(req).await,
            Some(Fault::InternalError) => Err(s3_error!(InternalError, "injected by the test")),
            Some(Fault::SlowDown) => Err(s3_error!(SlowDown, "injected by the test")),
            Some(Fault::CutBody) => {
                let mut resp = self.inner.get_object(req).await?;
                let mut whole = Vec::new();
                if let Some(mut body) = resp.output.body.take() {
                    use futures::StreamExt;
                    while let Some(chunk) = body.next().await {
                        whole.extend_from_slice(
                            &chunk.map_err(|e| s3_error!(InternalError, "{e}"))?,
                        );
                    }
                }
                let half = bytes::Bytes::from(whole[..whole.len() / 2].to_vec());
                resp.output.body = Some(StreamingBlob::wrap(Cut { first: Some(half) }));
                Ok(resp)
            }
        }
    }

    async fn head_object(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        if self.is_folder(&req.input.bucket, &req.input.key) {
            return Err(s3_error!(NoSuchKey));
        }
        self.inner.head_object(req).await
    }

    async fn head_bucket(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        self.inner.head_bucket(req).await
    }

    async fn list_objects(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        self.record_list(
            &req.input.bucket,
            req.input.prefix.as_deref(),
            req.input.delimiter.as_deref(),
        );
        self.inner.list_objects(req).await
    }

    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        self.record_list(
            &req.input.bucket,
            req.input.prefix.as_deref(),
            req.input.delimiter.as_deref(),
        );
        self.inner.list_objects_v2(req).await
    }

    async fn put_object(
        &self,
        req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        self.inner.put_object(req).await
    }
}
