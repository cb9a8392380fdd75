//! Planning (how many records go to which account/region/5-minute slot), rendering in
//! parallel, and writing the gzipped files, digests and Insights.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use flate2::Compression;
use flate2::write::GzEncoder;

use crate::catalog::Catalog;
use crate::json::W;
use crate::rng::Rng;
use crate::story_gen::{self, Placed};
use crate::{GenerateOptions, GenerateSummary, noise, stories, timefmt};

const SLOT: i64 = 300;
/// Largest number of records in one log file before a slot is split.
const MAX_PER_FILE: usize = 500;
/// Per cent of a slot's records delivered in the next slot's file.
const LAG_PERCENT: u64 = 3;
const DIURNAL: [u64; 24] = [
    40, 35, 30, 30, 30, 35, 45, 60, 85, 100, 110, 115, 110, 115, 115, 110, 100, 90, 75, 65, 60, 55,
    50, 45,
];
const BUCKET: &str = "initech-cloudtrail-logs";

/// One written log file, for digests.
struct FileMeta {
    key: String,
    oldest: i64,
    newest: i64,
}

struct Job {
    stream: usize,
    slot: usize,
    own: u64,
    lag_in: u64,
    stories: Vec<usize>,
}

struct JobOut {
    stream: usize,
    slot: usize,
    files: Vec<FileMeta>,
    json: u64,
    gz: u64,
}

struct Plan<'a> {
    opts: &'a GenerateOptions,
    cat: Catalog,
    out: &'a Path,
    stories: Vec<Placed>,
    slots: usize,
}

fn weight(i: usize, table: &[u64], other: u64) -> u64 {
    table.get(i).copied().unwrap_or(other)
}

/// Largest-remainder split of `total` by `weights` (exact, integer only).
fn allocate(total: u64, weights: &[u64]) -> Vec<u64> {
    let sum: u128 = weights.iter().map(|&w| w as u128).sum();
    let mut out: Vec<u64> = Vec::with_capacity(weights.len());
    let mut rems: Vec<(u128, usize)> = Vec::with_capacity(weights.len());
    for (i, &w) in weights.iter().enumerate() {
        let x = total as u128 * w as u128;
        out.push((x / sum) as u64);
        rems.push((x % sum, i));
    }
    let left = total - out.iter().sum::<u64>();
    rems.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, i) in rems.iter().take(left as usize) {
        out[i] += 1;
    }
    out
}

fn prefix(opts: &GenerateOptions, account: &str) -> String {
    match &opts.org_id {
        Some(o) => format!("AWSLogs/{o}/{account}"),
        None => format!("AWSLogs/{account}"),
    }
}

fn write_gz(path: &Path, parts: &[&[u8]]) -> io::Result<(u64, u64)> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    let file = BufWriter::with_capacity(1 << 16, File::create(path)?);
    let mut gz = GzEncoder::new(file, Compression::default());
    let mut n = 0;
    for p in parts {
        gz.write_all(p)?;
        n += p.len() as u64;
    }
    let mut file = gz.finish()?;
    file.flush()?;
    let len = file.get_ref().metadata()?.len();
    Ok((n, len))
}

pub(crate) fn run(opts: &GenerateOptions, out: &Path) -> io::Result<GenerateSummary> {
    let cat = Catalog::new(opts.seed, &opts.accounts, &opts.regions);
    let span = opts.hours as i64 * 3600;
    let mut placed = Vec::new();
    let mut insight = None;
    if opts.events >= stories::MIN_EVENTS {
        placed = story_gen::render(&cat, opts.seed, opts.events, opts.start, span);
        insight = Some(story_gen::insights(&cat, opts.seed, opts.start, span));
    }
    let fixed = placed.len() as u64 + insight.as_ref().map_or(0, |i| i.1.len() as u64);
    if fixed > opts.events {
        placed.clear();
        insight = None;
    }
    let noise_total =
        opts.events - placed.len() as u64 - insight.as_ref().map_or(0, |i| i.1.len() as u64);

    let slots = opts.hours as usize * 12;
    let (na, nr) = (opts.accounts.len(), opts.regions.len());
    let streams = na * nr;
    let mut weights = Vec::with_capacity(streams * slots);
    for a in 0..na {
        for r in 0..nr {
            let sw = weight(a, &[75, 25], 15) * weight(r, &[62, 18, 13, 7], 5);
            for s in 0..slots {
                let t = opts.start + s as i64 * SLOT;
                let hour = t.rem_euclid(86_400) / 3600;
                weights.push(sw * DIURNAL[hour as usize]);
            }
        }
    }
    let counts = allocate(noise_total, &weights);
    let lag: Vec<u64> = counts
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            if i % slots + 1 < slots {
                n * LAG_PERCENT / 100
            } else {
                0
            }
        })
        .collect();
    let mut by_cell: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, p) in placed.iter().enumerate() {
        let slot = ((p.time - opts.start).div_euclid(SLOT)).clamp(0, slots as i64 - 1) as usize;
        by_cell
            .entry((p.account * nr + p.region) * slots + slot)
            .or_default()
            .push(i);
    }
    let mut jobs = Vec::new();
    for cell in 0..streams * slots {
        let slot = cell % slots;
        let lag_in = if slot > 0 { lag[cell - 1] } else { 0 };
        let st = by_cell.remove(&cell).unwrap_or_default();
        let own = counts[cell] - lag[cell];
        if own + lag_in + st.len() as u64 > 0 {
            jobs.push(Job {
                stream: cell / slots,
                slot,
                own,
                lag_in,
                stories: st,
            });
        }
    }
    let plan = Plan {
        opts,
        cat,
        out,
        stories: placed,
        slots,
    };
    let results = run_jobs(&plan, &jobs)?;

    let mut summary = GenerateSummary {
        events: opts.events,
        ..Default::default()
    };
    for r in &results {
        summary.files += r.files.len() as u64;
        summary.bytes_json += r.json;
        summary.bytes_gz += r.gz;
    }
    summary.digest_files = write_digests(&plan, &results)?;
    if let Some((t, recs)) = insight {
        let (json, gz) = write_insight(&plan, t, &recs)?;
        summary.files += 1;
        summary.bytes_json += json;
        summary.bytes_gz += gz;
    }
    Ok(summary)
}

fn run_jobs(plan: &Plan<'_>, jobs: &[Job]) -> io::Result<Vec<JobOut>> {
    let threads = if plan.opts.threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        plan.opts.threads
    }
    .clamp(1, 16);
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<JobOut>> = Mutex::new(Vec::with_capacity(jobs.len()));
    let first_err: Mutex<Option<io::Error>> = Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let mut w = W::default();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= jobs.len() || first_err.lock().expect("lock").is_some() {
                        break;
                    }
                    match run_job(plan, &jobs[i], &mut w) {
                        Ok(r) => results.lock().expect("lock").push(r),
                        Err(e) => {
                            first_err.lock().expect("lock").get_or_insert(e);
                        }
                    }
                }
            });
        }
    });
    if let Some(e) = first_err.into_inner().expect("lock") {
        return Err(e);
    }
    let mut r = results.into_inner().expect("lock");
    r.sort_by_key(|j| (j.stream, j.slot));
    Ok(r)
}

fn run_job(plan: &Plan<'_>, job: &Job, w: &mut W) -> io::Result<JobOut> {
    let opts = plan.opts;
    let nr = opts.regions.len();
    let (ai, ri) = (job.stream / nr, job.stream % nr);
    let acct = &plan.cat.accounts[ai];
    let region = opts.regions[ri].as_str();
    let mut rng = Rng::derive(opts.seed, job.stream as u64, job.slot as u64);
    let slot_start = opts.start + job.slot as i64 * SLOT;
    w.b.clear();
    let mut recs: Vec<(usize, usize, i64)> = Vec::new();
    let total = job.own + job.lag_in;
    for k in 0..total {
        let t = if k < job.lag_in {
            slot_start - 1 - rng.below(90) as i64
        } else {
            slot_start + rng.below(SLOT as u64) as i64
        };
        let from = w.b.len();
        w.reset_comma();
        noise::emit(w, &mut rng, &plan.cat, acct, region, t);
        recs.push((from, w.b.len(), t));
    }
    for &i in &job.stories {
        let p = &plan.stories[i];
        let from = w.b.len();
        w.b.extend_from_slice(&p.json);
        recs.push((from, w.b.len(), p.time));
    }
    rng.shuffle(&mut recs);
    let nfiles = recs.len().div_ceil(MAX_PER_FILE).max(1);
    let per = recs.len().div_ceil(nfiles);
    let stamp = slot_start + SLOT;
    let dir = format!(
        "{}/CloudTrail/{region}/{}",
        prefix(opts, &acct.id),
        timefmt::date_dirs(stamp)
    );
    let mut out = JobOut {
        stream: job.stream,
        slot: job.slot,
        files: Vec::new(),
        json: 0,
        gz: 0,
    };
    for chunk in recs.chunks(per) {
        let mut name = format!(
            "{}_CloudTrail_{region}_{}_",
            acct.id,
            timefmt::compact_min(stamp)
        );
        rng.alnum_into(&mut name, 16);
        name.push_str(".json.gz");
        let key = format!("{dir}/{name}");
        let mut parts: Vec<&[u8]> = Vec::with_capacity(chunk.len() * 2 + 2);
        parts.push(b"{\"Records\":[");
        for (j, &(a, b, _)) in chunk.iter().enumerate() {
            if j > 0 {
                parts.push(b",");
            }
            parts.push(&w.b[a..b]);
        }
        parts.push(b"]}");
        let path: PathBuf = plan.out.join(&key);
        let (json, gz) = write_gz(&path, &parts)?;
        out.json += json;
        out.gz += gz;
        out.files.push(FileMeta {
            key,
            oldest: chunk.iter().map(|c| c.2).min().unwrap_or(stamp),
            newest: chunk.iter().map(|c| c.2).max().unwrap_or(stamp),
        });
    }
    Ok(out)
}

fn write_digests(plan: &Plan<'_>, results: &[JobOut]) -> io::Result<u64> {
    let opts = plan.opts;
    let nr = opts.regions.len();
    let mut n = 0;
    let mut i = 0;
    while i < results.len() {
        let stream = results[i].stream;
        let (ai, ri) = (stream / nr, stream % nr);
        let acct = &plan.cat.accounts[ai];
        let region = &opts.regions[ri];
        let mut rng = Rng::derive(opts.seed, stream as u64, u64::MAX - 1);
        let mut prev: Option<(String, String, String)> = None;
        for hour in 0..plan.slots / 12 {
            let files: Vec<&FileMeta> = results[i..]
                .iter()
                .take_while(|r| r.stream == stream)
                .filter(|r| r.slot / 12 == hour)
                .flat_map(|r| r.files.iter())
                .collect();
            if files.is_empty() {
                continue;
            }
            let h0 = opts.start + hour as i64 * 3600;
            let stamp = h0 + 3600 + 600 + rng.below(900) as i64;
            let key = format!(
                "{}/CloudTrail-Digest/{region}/{}/{}_CloudTrail-Digest_{region}_{}_{region}_{}.json.gz",
                prefix(opts, &acct.id),
                timefmt::date_dirs(stamp),
                acct.id,
                acct.trail,
                timefmt::compact_sec(stamp)
            );
            let mut w = W::default();
            w.obj();
            w.ks("awsAccountId", &acct.id);
            w.kts("digestStartTime", h0);
            w.kts("digestEndTime", h0 + 3600);
            w.ks("digestS3Bucket", BUCKET);
            w.ks("digestS3Object", &key);
            w.ks("digestPublicKeyFingerprint", &rng.hex(32));
            w.ks("digestSignatureAlgorithm", "SHA256withRSA");
            w.kts(
                "newestEventTime",
                files.iter().map(|f| f.newest).max().unwrap_or(h0),
            );
            w.kts(
                "oldestEventTime",
                files.iter().map(|f| f.oldest).min().unwrap_or(h0),
            );
            match &prev {
                Some((obj, hash, sig)) => {
                    w.ks("previousDigestS3Bucket", BUCKET);
                    w.ks("previousDigestS3Object", obj);
                    w.ks("previousDigestHashValue", hash);
                    w.ks("previousDigestHashAlgorithm", "SHA-256");
                    w.ks("previousDigestSignature", sig);
                }
                None => {
                    for k in [
                        "previousDigestS3Bucket",
                        "previousDigestS3Object",
                        "previousDigestHashValue",
                        "previousDigestHashAlgorithm",
                        "previousDigestSignature",
                    ] {
                        w.knull(k);
                    }
                }
            }
            w.karr("logFiles");
            for f in &files {
                w.obj();
                w.ks("s3Bucket", BUCKET);
                w.ks("s3Object", &f.key);
                w.ks("hashValue", &rng.hex(64));
                w.ks("hashAlgorithm", "SHA-256");
                w.kts("newestEventTime", f.newest);
                w.kts("oldestEventTime", f.oldest);
                w.end();
            }
            w.end_arr();
            w.end();
            write_gz(&plan.out.join(&key), &[&w.b])?;
            n += 1;
            prev = Some((key, rng.hex(64), rng.hex(512)));
        }
        while i < results.len() && results[i].stream == stream {
            i += 1;
        }
    }
    Ok(n)
}

fn write_insight(plan: &Plan<'_>, stamp: i64, recs: &[Vec<u8>]) -> io::Result<(u64, u64)> {
    let opts = plan.opts;
    let acct = &plan.cat.accounts[0].id;
    let region = &opts.regions[0];
    let mut rng = Rng::derive(opts.seed, u64::MAX, 4);
    let stamp = stamp - stamp.rem_euclid(SLOT);
    let key = format!(
        "{}/CloudTrail-Insight/{region}/{}/{acct}_CloudTrail-Insight_{region}_{}_{}.json.gz",
        prefix(opts, acct),
        timefmt::date_dirs(stamp),
        timefmt::compact_min(stamp),
        rng.alnum(16)
    );
    let mut parts: Vec<&[u8]> = vec![b"{\"Records\":["];
    for (i, r) in recs.iter().enumerate() {
        if i > 0 {
            parts.push(b",");
        }
        parts.push(r);
    }
    parts.push(b"]}");
    write_gz(&plan.out.join(key), &parts)
}

#[cfg(test)]
mod tests {
    use super::allocate;

    #[test]
    fn allocation_is_exact() {
        let a = allocate(1001, &[3, 1, 1, 5]);
        assert_eq!(a.iter().sum::<u64>(), 1001);
        assert_eq!(allocate(0, &[1, 2]), vec![0, 0]);
    }
}
