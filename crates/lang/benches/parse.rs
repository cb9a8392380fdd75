//! Parse time of real queries.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use trailhunt_lang::parse_query;

const EXFILTRATION: &str = r#""arn:aws:iam::798029671665:user/pgibbons" s3.amazonaws.com GetObject
| rename additionalEventData.bytesTransferredOut as bytes_exfiltrated,
         requestParameters.bucketName as s3_bucket,
         userIdentity.userName as user_name
| stats sum(bytes_exfiltrated) as total_bytes_exfiltrated by s3_bucket, user_name
| where total_bytes_exfiltrated > 1000000
| groupbycount user_name"#;

const RULE: &str = r#"eventSource="cloudtrail.amazonaws.com" eventName=(StopLogging UpdateTrail DeleteTrail)
| stats min(timestamp) as firstTime, max(timestamp) as lastTime, count() as eventCount
  by userIdentity.arn, eventSource, eventName, awsRegion"#;

fn or_list(n: usize) -> String {
    (0..n)
        .map(|i| format!("eventName=\"Api{i}Call\""))
        .collect::<Vec<_>>()
        .join(" or ")
}

fn bench(c: &mut Criterion) {
    let or40 = or_list(40);
    let mut group = c.benchmark_group("parse");
    group.bench_function("exfiltration_5_stages", |b| {
        b.iter(|| parse_query(black_box(EXFILTRATION)))
    });
    group.bench_function("rule_query_text", |b| {
        b.iter(|| parse_query(black_box(RULE)))
    });
    group.bench_function("or_list_40_terms", |b| {
        b.iter(|| parse_query(black_box(&or40)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
