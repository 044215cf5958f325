//! Validation benchmark: the generator's HealthDCAT-AP datasets, split into
//! records as the harvester does, each validated on its own against the
//! DCAT-AP 3.0.1 shapes (`shapes.ttl` + `range.ttl`) over the shared
//! background of authority-table terms, one thread and all cores.
//!
//! ```text
//! cargo bench --profile dev --bench validate -- [--datasets 10000] [--generator PATH] [--work DIR]
//!     [--shapes FILE,FILE] [--background FILE,FILE]
//! ```
//!
//! Data is generated (once) into a scratch directory outside the repository;
//! shapes default to `$KATALOG_SHARED/reference/dcat-ap/3.0.1/html/shacl/`.

use katalog::harvest::record::RecordKind;
use katalog::harvest::split::split_records;
use katalog::validate::{Background, DataGraph, ShapeSet};
use oxigraph::io::{RdfFormat, RdfParser};
use oxrdf::{NamedNode, Triple};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

fn shared() -> PathBuf {
    std::env::var_os("KATALOG_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"))
}

fn parse(path: &Path) -> Vec<Triple> {
    let bytes =
        std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    RdfParser::from_format(RdfFormat::Turtle)
        .rename_blank_nodes()
        .for_slice(&bytes)
        .map(|q| q.map(Triple::from))
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("cannot parse {}: {e}", path.display()))
}

/// CPU seconds this thread has used (Linux, 10 ms ticks): a rate that holds
/// even when other processes share the cores.
fn thread_cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/thread-self/stat")
        .ok()
        .and_then(|stat| {
            // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
            let rest = stat.rsplit_once(')')?.1;
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let ticks =
                fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
            Some(ticks / 100.0)
        })
        .unwrap_or(0.0)
}

/// CPU seconds the whole process has used (Linux, 10 ms ticks).
fn process_cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|stat| {
            let rest = stat.rsplit_once(')')?.1;
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let ticks =
                fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
            Some(ticks / 100.0)
        })
        .unwrap_or(0.0)
}

/// A memory figure of this process from /proc/self/status, in MiB (Linux):
/// `VmHWM` is the peak resident set size, `VmRSS` the current one.
fn status_mib(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let datasets: usize =
        value("--datasets").map_or(10_000, |v| v.parse().expect("--datasets takes a number"));
    let generator =
        value("--generator").map_or_else(|| shared().join("bench/gen_catalogue.py"), PathBuf::from);
    let work =
        value("--work").map_or_else(|| std::env::temp_dir().join("katalog-bench"), PathBuf::from);
    let shacl = shared().join("reference/dcat-ap/3.0.1/html/shacl");
    let shape_files: Vec<PathBuf> = value("--shapes").map_or_else(
        || vec![shacl.join("shapes.ttl"), shacl.join("range.ttl")],
        |v| v.split(',').map(PathBuf::from).collect(),
    );

    let data = work.join(format!("data-{datasets}"));
    if !data.join("manifest.json").is_file() {
        let status = Command::new("python3")
            .arg(&generator)
            .args(["--catalogues", "10", "--datasets-per-catalogue"])
            .arg((datasets / 10).to_string())
            .arg("--out")
            .arg(&data)
            .arg("--quiet")
            .status()
            .expect("python3 runs the generator");
        assert!(status.success(), "the generator failed");
    }
    let background_files: Vec<PathBuf> = value("--background").map_or_else(
        || vec![data.join("background.ttl")],
        |v| v.split(',').map(PathBuf::from).collect(),
    );

    let started = Instant::now();
    let shapes = ShapeSet::from_files(&shape_files).expect("the shapes load");
    let compile_ms = started.elapsed().as_secs_f64() * 1e3;
    let started = Instant::now();
    let mut background = Background::from_files(&background_files).expect("the background loads");
    if !args.iter().any(|a| a == "--unprepared") {
        background.prepare_for(&shapes);
    }
    let background_ms = started.elapsed().as_secs_f64() * 1e3;

    let mut records = Vec::new();
    let mut catalogues: Vec<PathBuf> = std::fs::read_dir(&data)
        .expect("data directory")
        .filter_map(|e| e.ok().map(|e| e.path().join("catalogue.ttl")))
        .filter(|p| p.is_file())
        .collect();
    catalogues.sort();
    for catalogue in &catalogues {
        let triples = parse(catalogue);
        let unattached = NamedNode::new_unchecked("urn:katalog:bench:unattached");
        records.extend(
            split_records(
                triples,
                "https://bench.example/.well-known/genid/",
                unattached,
            )
            .into_iter()
            .filter(|r| r.kind == RecordKind::Dataset),
        );
    }
    let triples: usize = records.iter().map(|r| r.triples.len()).sum();
    let loaded_mib = status_mib("VmRSS:");
    println!(
        "{} dataset records ({:.1} triples each), {} shapes compiled in {compile_ms:.1} ms ({} warnings), background of {} triples indexed in {background_ms:.1} ms",
        records.len(),
        triples as f64 / records.len().max(1) as f64,
        shapes.len(),
        shapes.warnings().len(),
        background.len(),
    );

    // The data side alone: indexing each record over the background.
    let started = Instant::now();
    let cpu = thread_cpu_seconds();
    let mut indexed = 0;
    for record in &records {
        indexed += DataGraph::with_background(&background, &record.triples).len();
    }
    let index_only = started.elapsed().as_secs_f64();
    let index_cpu = thread_cpu_seconds() - cpu;
    println!(
        "indexing only: {:>8.0} records/s, {:.0} per CPU-second ({indexed} triples)",
        records.len() as f64 / index_only,
        records.len() as f64 / index_cpu
    );

    // One thread, record by record, as a harvest worker would (`--repeat N` for profiling).
    let repeat: usize =
        value("--repeat").map_or(1, |v| v.parse().expect("--repeat takes a number"));
    let started = Instant::now();
    let cpu = thread_cpu_seconds();
    let mut results = 0;
    let mut failing = 0;
    for _ in 0..repeat {
        results = 0;
        failing = 0;
        for record in &records {
            let report = shapes.validate(&DataGraph::with_background(&background, &record.triples));
            results += report.results.len();
            failing += usize::from(!report.conforms);
        }
    }
    let single = started.elapsed().as_secs_f64() / repeat as f64;
    let single_cpu = (thread_cpu_seconds() - cpu) / repeat as f64;
    println!(
        "1 thread:  {:>8.0} datasets/s, {:.0} per CPU-second  ({:.2} s, {results} results, {failing} non-conforming datasets)",
        records.len() as f64 / single,
        records.len() as f64 / single_cpu,
        single
    );

    let started = Instant::now();
    let cpu = process_cpu_seconds();
    let mut reports = Vec::new();
    for _ in 0..repeat {
        reports = shapes.validate_all(Some(&background), &records, |r| &r.triples);
    }
    let parallel = started.elapsed().as_secs_f64() / repeat as f64;
    let parallel_cpu = (process_cpu_seconds() - cpu) / repeat as f64;
    let parallel_results: usize = reports.iter().map(|r| r.results.len()).sum();
    assert_eq!(
        parallel_results, results,
        "parallel and sequential runs must agree"
    );
    println!(
        "{} threads: {:>8.0} datasets/s, {:.0} per CPU-second  ({:.2} s, {:.2} CPU-s); peak RSS {:.0} MiB ({:.0} MiB with the records loaded, before validating)",
        rayon::current_num_threads(),
        records.len() as f64 / parallel,
        records.len() as f64 / parallel_cpu,
        parallel,
        parallel_cpu,
        status_mib("VmHWM:"),
        loaded_mib
    );
    if args.iter().any(|a| a == "--show") {
        for (record, report) in records.iter().zip(&reports) {
            for result in &report.results {
                println!("{} {result}", record.resource);
            }
        }
    }
}
