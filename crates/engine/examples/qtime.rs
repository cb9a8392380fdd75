//! Times repeated small queries (the cost detection pays per scheduled run).
use std::time::Instant;
use trailhunt_cloudtrail::{LoadOptions, discover};
use trailhunt_engine::{Engine, TimeRange};
use trailhunt_source::{Listing, load};

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "examples/data".into());
    let q = std::env::args().nth(2).unwrap_or_else(|| {
        "eventName=ConsoleLogin | stats count() as n by sourceIPAddress | where n > 10".into()
    });
    let data = load(
        &Listing::local(&discover(&[dir]).unwrap()),
        &LoadOptions::default(),
        None,
    )
    .unwrap();
    let engine = Engine::new(data, 0).unwrap();
    let parsed = trailhunt_lang::parse_query(&q).unwrap();
    let t = Instant::now();
    for _ in 0..20 {
        engine.plan(&parsed, TimeRange::default()).unwrap();
    }
    println!("plan: {:?}/query", t.elapsed() / 20);
    let t = Instant::now();
    for _ in 0..20 {
        engine.run(&q, TimeRange::default()).unwrap();
    }
    println!("run: {:?}/query", t.elapsed() / 20);
}
