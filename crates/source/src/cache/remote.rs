//! A cache kept on S3 (`--cache s3://bucket/prefix/`), so that a team shares one index of
//! its trail. The objects under the prefix are the cache folder's files: `manifest.json`,
//! the chunks and their token indexes. Each machine keeps a local mirror of what it has
//! used (a folder under the user's cache directory): a query brings down the manifest and
//! the chunks its sources need that the mirror lacks, then reads the mirror as a local
//! cache; `index` brings down the manifest, indexes into the mirror, uploads the chunks
//! the bucket lacks, then the manifest (so a reader never sees a manifest naming a chunk
//! not yet there), then deletes the chunks no entry names any more.
//!
//! Two `index` runs at once on one prefix are not coordinated: the last manifest written
//! wins, and the other run's new chunks are left unnamed (the next `index` removes them).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

use super::tokens::index_name;
use super::{Cache, CacheError, MANIFEST, Manifest};
use crate::Listing;
use crate::s3::{S3Config, S3Url, store};

/// Downloads and uploads in flight at once.
const PARALLEL: usize = 4;

fn err(message: String) -> CacheError {
    CacheError { message }
}

/// A cache on S3 and its local mirror.
pub struct Remote {
    store: Arc<dyn ObjectStore>,
    url: String,
    bucket: String,
    prefix: String,
    mirror: PathBuf,
}

/// Whether `spec` (a `--cache` value) names a cache on S3.
pub fn is_remote(spec: &str) -> bool {
    spec.get(..5)
        .is_some_and(|s| s.eq_ignore_ascii_case("s3://"))
}

impl Remote {
    /// The cache at `spec` (`s3://bucket/prefix/`), mirrored under `mirror_root`.
    pub fn new(spec: &str, config: &S3Config, mirror_root: &Path) -> Result<Remote, CacheError> {
        let url = S3Url::parse(spec).map_err(|e| err(e.to_string()))?;
        if url.is_glob() {
            return Err(err(format!(
                "--cache {spec}: a cache is one prefix, without wildcards"
            )));
        }
        let prefix = url.key().trim_end_matches('/').to_string();
        let store = store(config, url.bucket()).map_err(|e| err(e.to_string()))?;
        let mut mirror = mirror_root.join(url.bucket());
        for part in prefix.split('/').filter(|p| !p.is_empty()) {
            mirror.push(part);
        }
        Ok(Remote {
            store,
            url: format!("s3://{}/{}", url.bucket(), prefix),
            bucket: url.bucket().to_string(),
            prefix,
            mirror,
        })
    }

    /// The local mirror folder.
    pub fn mirror(&self) -> &Path {
        &self.mirror
    }

    fn key(&self, name: &str) -> ObjectPath {
        if self.prefix.is_empty() {
            ObjectPath::from(name)
        } else {
            ObjectPath::from(format!("{}/{name}", self.prefix))
        }
    }

    fn display(&self, name: &str) -> String {
        format!("{}/{name}", self.url.trim_end_matches('/'))
    }

    fn s3_error(&self, e: &object_store::Error, name: &str, op: &'static str) -> CacheError {
        err(crate::s3::error::classify(e, &self.bucket, &self.display(name), op).to_string())
    }

    /// The objects directly under the prefix: name → size.
    pub async fn objects(&self) -> Result<HashMap<String, u64>, CacheError> {
        let prefix = (!self.prefix.is_empty()).then(|| ObjectPath::from(self.prefix.as_str()));
        let listed = self
            .store
            .list_with_delimiter(prefix.as_ref())
            .await
            .map_err(|e| self.s3_error(&e, "", "list"))?;
        Ok(listed
            .objects
            .into_iter()
            .filter_map(|o| Some((o.location.filename()?.to_string(), o.size)))
            .collect())
    }

    /// Bring the manifest into the mirror (an empty cache when the bucket has none yet),
    /// and the chunks of the entries fresh for `listing` that the mirror lacks; then open
    /// the mirror.
    pub async fn pull(&self, listing: Option<&Listing>) -> Result<Cache, CacheError> {
        std::fs::create_dir_all(&self.mirror).map_err(|e| {
            err(format!(
                "{}: cannot create the cache's local mirror: {e}",
                self.mirror.display()
            ))
        })?;
        let local_manifest = self.mirror.join(MANIFEST);
        match self.store.get(&self.key(MANIFEST)).await {
            Ok(got) => {
                let bytes = got
                    .bytes()
                    .await
                    .map_err(|e| self.s3_error(&e, MANIFEST, "read"))?;
                write_atomic(&local_manifest, &bytes)?;
            }
            Err(object_store::Error::NotFound { .. }) => {
                let _ = std::fs::remove_file(&local_manifest);
            }
            Err(e) => return Err(self.s3_error(&e, MANIFEST, "read")),
        }
        let cache = Cache::open(&self.mirror)
            .map_err(|e| err(format!("{}: {}", self.display(MANIFEST), e.message)))?;
        let Some(listing) = listing else {
            return Ok(cache);
        };
        // The files of the chunks this listing reads, with their sizes.
        let mut wanted: BTreeMap<String, u64> = BTreeMap::new();
        for f in &listing.files {
            if let Some(name) = cache.fresh(f).and_then(|e| e.chunk.as_ref())
                && let Some(c) = cache.manifest().chunks.get(name)
            {
                wanted.insert(name.clone(), c.bytes);
                if c.tokens > 0 {
                    wanted.insert(index_name(name), c.tokens);
                }
            }
        }
        let missing: Vec<(String, u64)> = wanted
            .into_iter()
            .filter(|(name, size)| {
                std::fs::metadata(self.mirror.join(name)).map_or(true, |m| m.len() != *size)
            })
            .collect();
        futures::stream::iter(missing)
            .map(|(name, _)| self.download(name))
            .buffer_unordered(PARALLEL)
            .try_collect::<Vec<()>>()
            .await?;
        Ok(cache)
    }

    async fn download(&self, name: String) -> Result<(), CacheError> {
        let got = self
            .store
            .get(&self.key(&name))
            .await
            .map_err(|e| self.s3_error(&e, &name, "read"))?;
        let bytes = got
            .bytes()
            .await
            .map_err(|e| self.s3_error(&e, &name, "read"))?;
        write_atomic(&self.mirror.join(&name), &bytes)
    }

    /// After `index` updated the mirror's manifest: upload what the bucket lacks of it
    /// (`present`: the objects before), then the manifest, then delete the chunk files
    /// the manifest no longer names.
    pub async fn push(
        &self,
        manifest: &Manifest,
        present: &HashMap<String, u64>,
    ) -> Result<(), CacheError> {
        let mut named: BTreeMap<String, u64> = BTreeMap::new();
        for (name, c) in &manifest.chunks {
            named.insert(name.clone(), c.bytes);
            if c.tokens > 0 {
                named.insert(index_name(name), c.tokens);
            }
        }
        let uploads: Vec<String> = named
            .iter()
            .filter(|(name, size)| present.get(*name) != Some(size))
            .map(|(name, _)| name.clone())
            .collect();
        futures::stream::iter(uploads)
            .map(|name| self.upload(name))
            .buffer_unordered(PARALLEL)
            .try_collect::<Vec<()>>()
            .await?;
        self.upload(MANIFEST.to_string()).await?;
        for name in present.keys() {
            let ours = name.starts_with("chunk-")
                && (name.ends_with(".parquet") || name.ends_with(".tokens"));
            if ours && !named.contains_key(name) {
                // Left behind, it costs storage only: not an error.
                let _ = self.store.delete(&self.key(name)).await;
            }
        }
        Ok(())
    }

    async fn upload(&self, name: String) -> Result<(), CacheError> {
        let path = self.mirror.join(&name);
        let bytes = std::fs::read(&path)
            .map_err(|e| err(format!("{}: cannot read it to upload: {e}", path.display())))?;
        self.store
            .put(&self.key(&name), PutPayload::from(bytes))
            .await
            .map_err(|e| self.s3_error(&e, &name, "write"))?;
        Ok(())
    }
}

/// Write `bytes` to `path` through a temporary file beside it.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), CacheError> {
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    std::fs::write(&tmp, bytes)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            err(format!("{}: cannot write it: {e}", path.display()))
        })
}
