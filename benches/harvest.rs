//! Harvest benchmark: katalog harvesting the generator's national catalogues
//! into a fresh on-disk store, beside Oxigraph's own bulk load of the same
//! files, measured in the same run. Each case runs in a child process so that
//! its peak RSS is its own.
//!
//! ```text
//! cargo bench --bench harvest -- [--sizes 10000,100000] [--generator PATH] [--work DIR]
//! ```
//!
//! The generator is `../shared/bench/gen_catalogue.py` by default (or
//! `$KATALOG_SHARED/bench/gen_catalogue.py`); data goes to a scratch directory
//! outside the repository.

use katalog::config::Config;
use katalog::harvest::harvest_source;
use katalog::store::CatalogStore;
use oxigraph::io::RdfFormat;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

struct Measurement {
    seconds: f64,
    peak_rss_mib: f64,
    detail: String,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--child") {
        child(&args[2..]);
        return;
    }
    let mut sizes = vec![10_000usize, 100_000];
    let mut generator = default_generator();
    let mut work = std::env::temp_dir().join("katalog-bench");
    let mut i = 1;
    while i < args.len() {
        match args[i].as_str() {
            "--sizes" => {
                sizes = args[i + 1]
                    .split(',')
                    .map(|s| s.parse().expect("--sizes takes numbers"))
                    .collect();
                i += 1;
            }
            "--generator" => {
                generator = PathBuf::from(&args[i + 1]);
                i += 1;
            }
            "--work" => {
                work = PathBuf::from(&args[i + 1]);
                i += 1;
            }
            _ => {} // cargo passes --bench
        }
        i += 1;
    }
    if !generator.is_file() {
        eprintln!(
            "generator not found at {}: pass --generator or set KATALOG_SHARED",
            generator.display()
        );
        std::process::exit(2);
    }

    println!("katalog harvest benchmark (2 catalogue runs per size; each case in its own process)");
    println!(
        "{:>9} {:<28} {:>9} {:>12} {:>12} {:>10}  detail",
        "datasets", "case", "seconds", "datasets/s", "triples/s", "peak MiB"
    );
    for size in sizes {
        let per_catalogue = size / 10;
        let data = work.join(format!("data-{size}"));
        if !data.join("manifest.json").is_file() {
            let status = Command::new("python3")
                .arg(&generator)
                .args(["--catalogues", "10", "--datasets-per-catalogue"])
                .arg(per_catalogue.to_string())
                .arg("--out")
                .arg(&data)
                .arg("--quiet")
                .status()
                .expect("python3 runs the generator");
            assert!(status.success(), "generator failed");
        }
        let triples = manifest_triples(&data);
        let cases = [
            ("oxigraph bulk load", "bulkload"),
            ("katalog harvest (first)", "harvest"),
            ("katalog re-harvest (unchanged)", "reharvest"),
        ];
        let mut results = Vec::new();
        for (label, case) in cases {
            let store = work.join(format!("store-{size}-{case}"));
            if case != "reharvest" {
                let _ = std::fs::remove_dir_all(&store);
            } else {
                // The unchanged re-harvest runs on the store of the first harvest.
                let _ = std::fs::remove_dir_all(&store);
                copy_dir(&work.join(format!("store-{size}-harvest")), &store);
            }
            let m = run_child(case, &data, &store);
            println!(
                "{:>9} {:<28} {:>9.2} {:>12.0} {:>12.0} {:>10.0}  {}",
                size,
                label,
                m.seconds,
                size as f64 / m.seconds,
                triples as f64 / m.seconds,
                m.peak_rss_mib,
                m.detail
            );
            results.push(m);
        }
        println!(
            "{:>9} ratios: harvest/bulk-load time {:.2}x, memory {:.2}x; unchanged re-harvest is {:.2}x faster than the first",
            size,
            results[1].seconds / results[0].seconds,
            results[1].peak_rss_mib / results[0].peak_rss_mib,
            results[1].seconds / results[2].seconds
        );
    }
}

fn default_generator() -> PathBuf {
    let shared = std::env::var_os("KATALOG_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    shared.join("bench/gen_catalogue.py")
}

fn manifest_triples(data: &Path) -> u64 {
    let text = std::fs::read_to_string(data.join("manifest.json")).unwrap_or_default();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    ["triples_per_format", "triples", "total_triples"]
        .iter()
        .find_map(|k| json.get(*k).and_then(|v| v.as_u64()))
        .or_else(|| {
            json.get("counts")
                .and_then(|c| c.get("triples"))
                .and_then(|v| v.as_u64())
        })
        .unwrap_or(0)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn run_child(case: &str, data: &Path, store: &Path) -> Measurement {
    let output = Command::new(std::env::current_exe().unwrap())
        .arg("--child")
        .arg(case)
        .arg(data)
        .arg(store)
        .output()
        .expect("benchmark child runs");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{case} failed:\n{text}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let line = text.lines().last().unwrap_or_default();
    let mut parts = line.splitn(3, ' ');
    Measurement {
        seconds: parts
            .next()
            .and_then(|s| s.parse().ok())
            .unwrap_or(f64::NAN),
        peak_rss_mib: parts
            .next()
            .and_then(|s| s.parse().ok())
            .unwrap_or(f64::NAN),
        detail: parts.next().unwrap_or_default().to_string(),
    }
}

fn catalogues(data: &Path) -> Vec<(String, PathBuf)> {
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(data)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("catalogue.ttl").is_file())
        .map(|e| {
            (
                e.file_name().to_string_lossy().to_string(),
                e.path().join("catalogue.ttl"),
            )
        })
        .collect();
    out.sort();
    out
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

fn child(args: &[String]) {
    let (case, data, store_dir) = (&args[0], Path::new(&args[1]), Path::new(&args[2]));
    let started = Instant::now();
    let detail = match case.as_str() {
        "bulkload" => {
            let store = oxigraph::store::Store::open(store_dir).unwrap();
            for (_, path) in catalogues(data) {
                let mut loader = store.bulk_loader();
                loader
                    .load_from_reader(
                        RdfFormat::Turtle,
                        std::io::BufReader::new(std::fs::File::open(&path).unwrap()),
                    )
                    .unwrap();
                loader.commit().unwrap();
            }
            store.flush().unwrap();
            format!("{} quads", store.len().unwrap())
        }
        "harvest" | "reharvest" => {
            let mut toml = String::new();
            for (name, path) in catalogues(data) {
                let country: String = name.chars().filter(|c| c.is_ascii_alphabetic()).collect();
                toml.push_str(&format!(
                    "[[source]]\nname = \"{}\"\ncountry = \"{}\"\nurl = \"{}\"\n\n",
                    name.to_lowercase(),
                    &country[..2.min(country.len())],
                    path.display()
                ));
            }
            let config = Config::parse(&toml, data, "benchmark").unwrap();
            let store = CatalogStore::open(store_dir).unwrap();
            let runtime = tokio::runtime::Runtime::new().unwrap();
            let profiles = katalog::profiles::Profiles::default();
            let mut new = 0;
            let mut unchanged = 0;
            for source in &config.sources {
                let report = runtime.block_on(harvest_source(&config, &store, &profiles, source));
                assert!(report.run.error.is_none(), "{:?}", report.run.error);
                new += report.run.counts.new;
                unchanged += report.run.counts.unchanged;
            }
            format!("{new} new, {unchanged} unchanged records")
        }
        other => panic!("unknown case {other}"),
    };
    println!(
        "{:.3} {:.1} {}",
        started.elapsed().as_secs_f64(),
        peak_rss_mib(),
        detail
    );
}
