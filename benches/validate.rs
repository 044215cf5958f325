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
//!
//! With `--cli`, it measures the `katalog validate` command instead, on the
//! whole catalogue in one file (background + catalogues), beside the peers
//! the issue names, each under `/usr/bin/time` (wall, CPU, peak RSS), and
//! checks that their reports find the same focus nodes with violations:
//!
//! ```text
//! cargo bench --profile dev --bench validate -- --cli [--datasets N] [--invalid-rate 0.05]
//!     [--shapes FILE,FILE] [--profile dcat-ap-3] [--jena-classpath FILE] [--pyshacl]
//! ```
//!
//! `--shapes` runs `katalog validate --shapes` (Turtle and text reports),
//! `--profile` the built-in profile; `--jena-classpath` names a file holding
//! the class path of Debian's Jena (see `shared/bench/baselines/run_baselines.sh`).

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

    let invalid_rate = value("--invalid-rate").unwrap_or_else(|| "0.02".to_string());
    let data = if invalid_rate == "0.02" {
        work.join(format!("data-{datasets}"))
    } else {
        work.join(format!("data-{datasets}-invalid-{invalid_rate}"))
    };
    if !data.join("manifest.json").is_file() {
        let status = Command::new("python3")
            .arg(&generator)
            .args(["--invalid-rate", &invalid_rate])
            .args(["--catalogues", "10", "--datasets-per-catalogue"])
            .arg((datasets / 10).to_string())
            .arg("--out")
            .arg(&data)
            .arg("--quiet")
            .status()
            .expect("python3 runs the generator");
        assert!(status.success(), "the generator failed");
    }
    if args.iter().any(|a| a == "--cli") {
        compare_cli(&data, datasets, &shape_files, &value);
        return;
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

/// One command's figures from `/usr/bin/time`.
struct Timed {
    wall: f64,
    cpu: f64,
    rss_mib: f64,
    status: Option<i32>,
}

/// Runs `command` with its standard output into `out`, under `/usr/bin/time`.
fn timed(command: &[String], out: &Path) -> Timed {
    let times = out.with_extension("time");
    let stdout = std::fs::File::create(out).expect("the report file can be written");
    let status = Command::new("/usr/bin/time")
        .args(["-f", "%e %U %S %M", "-o"])
        .arg(&times)
        .args(command)
        .stdout(stdout)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("/usr/bin/time runs");
    let text = std::fs::read_to_string(&times).unwrap_or_default();
    let figures: Vec<f64> = text
        .lines()
        .last()
        .unwrap_or("")
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    let figure = |i: usize| figures.get(i).copied().unwrap_or(f64::NAN);
    Timed {
        wall: figure(0),
        cpu: figure(1) + figure(2),
        rss_mib: figure(3) / 1024.0,
        status: status.code(),
    }
}

/// The focus nodes (IRIs) of the `sh:Violation` results of a Turtle report,
/// and how many such results have a blank focus node.
fn violating_focus_nodes(report: &Path) -> Option<(std::collections::BTreeSet<String>, usize)> {
    const SH: &str = "http://www.w3.org/ns/shacl#";
    let bytes = std::fs::read(report).ok()?;
    let mut focus = std::collections::HashMap::new();
    let mut violation = std::collections::HashSet::new();
    for quad in RdfParser::from_format(RdfFormat::Turtle).for_slice(&bytes) {
        let triple = Triple::from(quad.ok()?);
        match triple.predicate.as_str().strip_prefix(SH) {
            Some("focusNode") => {
                focus.insert(triple.subject, triple.object);
            }
            Some("resultSeverity") if triple.object.to_string() == format!("<{SH}Violation>") => {
                violation.insert(triple.subject);
            }
            _ => {}
        }
    }
    let mut iris = std::collections::BTreeSet::new();
    let mut blank = 0;
    for (result, node) in focus {
        if violation.contains(&result) {
            match node {
                oxrdf::Term::NamedNode(n) => {
                    iris.insert(n.into_string());
                }
                _ => blank += 1,
            }
        }
    }
    Some((iris, blank))
}

/// `--cli`: `katalog validate` and its peers on the same file and shapes.
fn compare_cli(
    data: &Path,
    datasets: usize,
    shape_files: &[PathBuf],
    value: &dyn Fn(&str) -> Option<String>,
) {
    let all = data.join("all.ttl");
    if !all.is_file() {
        let mut bytes = std::fs::read(data.join("background.ttl")).expect("background.ttl");
        let mut catalogues: Vec<PathBuf> = std::fs::read_dir(data)
            .expect("data directory")
            .filter_map(|e| e.ok().map(|e| e.path().join("catalogue.ttl")))
            .filter(|p| p.is_file())
            .collect();
        catalogues.sort();
        for catalogue in catalogues {
            bytes.extend(std::fs::read(catalogue).expect("catalogue.ttl"));
        }
        std::fs::write(&all, bytes).expect("all.ttl can be written");
    }
    // Jena and pySHACL take one shapes file.
    let shapes = data.join("shapes-under-test.ttl");
    let mut bytes = Vec::new();
    for file in shape_files {
        bytes.extend(std::fs::read(file).expect("a shapes file"));
        bytes.push(b'\n');
    }
    std::fs::write(&shapes, bytes).expect("the shapes file can be written");
    let katalog = env!("CARGO_BIN_EXE_katalog").to_string();
    let path = |p: &Path| p.to_string_lossy().into_owned();
    let mut runs: Vec<(String, Vec<String>, &str)> = Vec::new();
    for format in ["turtle", "text"] {
        let mut command = vec![katalog.clone(), "validate".into(), "--shapes".into()];
        command.extend(shape_files.iter().map(|f| path(f)));
        command.extend(["--format".into(), format.into(), "--".into(), path(&all)]);
        runs.push((format!("katalog --shapes, {format}"), command, format));
    }
    let profile = value("--profile").unwrap_or_else(|| "dcat-ap-3".to_string());
    for format in ["turtle", "text"] {
        runs.push((
            format!("katalog --profile {profile}, {format}"),
            vec![
                katalog.clone(),
                "validate".into(),
                "--profile".into(),
                profile.clone(),
                "--format".into(),
                format.into(),
                path(&all),
            ],
            format,
        ));
    }
    if let Some(classpath) = value("--jena-classpath") {
        let classpath = std::fs::read_to_string(&classpath).expect("the Jena class path file");
        runs.push((
            "Jena SHACL".into(),
            vec![
                "java".into(),
                "-cp".into(),
                classpath.trim().into(),
                "shacl.shacl".into(),
                "validate".into(),
                "--shapes".into(),
                path(&shapes),
                "--data".into(),
                path(&all),
            ],
            "turtle",
        ));
    }
    if std::env::args().any(|a| a == "--pyshacl") {
        runs.push((
            "pySHACL".into(),
            vec![
                "pyshacl".into(),
                "-s".into(),
                path(&shapes),
                "-f".into(),
                "turtle".into(),
                path(&all),
            ],
            "turtle",
        ));
    }
    println!(
        "{datasets} datasets in {}, shapes {shape_files:?}",
        all.display()
    );
    let mut figures = Vec::new();
    for (i, (label, command, format)) in runs.iter().enumerate() {
        let out = data.join(format!(
            "report-{i}.{}",
            if *format == "text" { "txt" } else { "ttl" }
        ));
        let run = timed(command, &out);
        println!(
            "{label:<40} exit {:?}  {:>7.1} s wall ({:>6.0} datasets/s)  {:>7.2} CPU-s ({:>6.0} datasets per CPU-s)  peak RSS {:>6.0} MiB",
            run.status,
            run.wall,
            datasets as f64 / run.wall,
            run.cpu,
            datasets as f64 / run.cpu,
            run.rss_mib
        );
        figures.push((label.clone(), run, (*format == "turtle").then_some(out)));
    }
    let jena = figures.iter().find(|(label, ..)| label == "Jena SHACL");
    let reference = figures
        .first()
        .and_then(|(_, _, out)| out.as_deref())
        .and_then(violating_focus_nodes);
    for (label, run, out) in &figures {
        if let Some((_, jena, _)) = jena {
            println!(
                "{label:<40} vs Jena: {:.1}x the throughput per CPU-s, {:.1}x per wall-s, {:.1}% of its peak RSS",
                jena.cpu / run.cpu,
                jena.wall / run.wall,
                100.0 * run.rss_mib / jena.rss_mib
            );
        }
        if let (Some(out), Some((iris, blank))) = (out, &reference) {
            match violating_focus_nodes(out) {
                Some((theirs, their_blank)) => println!(
                    "{label:<40} violations on {} IRI focus nodes + {their_blank} blank: {}",
                    theirs.len(),
                    if &theirs == iris && their_blank == *blank {
                        "the same as katalog --shapes"
                    } else {
                        "DIFFERENT from katalog --shapes"
                    }
                ),
                None => println!("{label:<40} report unreadable"),
            }
        }
    }
}
