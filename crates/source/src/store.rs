//! Reading whole objects from a store (the S3 client itself is in [`crate::s3`]).

use object_store::{ObjectStore, ObjectStoreExt};

/// The bytes of object `path`, refusing one over `cap` bytes.
pub async fn fetch(
    store: &std::sync::Arc<dyn ObjectStore>,
    path: &object_store::path::Path,
    cap: u64,
) -> Result<Vec<u8>, String> {
    let r = store.get(path).await.map_err(|e| e.to_string())?;
    if r.meta.size > cap {
        return Err(format!(
            "the object holds {} bytes, over the cap of {cap} (--max-file-size raises it)",
            r.meta.size
        ));
    }
    let bytes = r.bytes().await.map_err(|e| e.to_string())?;
    Ok(bytes.to_vec())
}
