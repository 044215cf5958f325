//! Search benchmark over the generator's national catalogues: index build
//! time and size, and query latency (text + 3 filters + all facets), p50/p99.
//!
//! ```text
//! cargo bench --profile dev --bench search -- [--size 100000] [--queries 2000] [--work DIR] [--reuse-index]
//! ```
//!
//! `--reuse-index` keeps an index that is current with the store instead of
//! rebuilding it (the query figures only). The HTTP load test over the same
//! store and index is `benches/search_load.sh` (wrk; start-up time too).
//!
//! The generator is `../shared/bench/gen_catalogue.py` (or
//! `$KATALOG_SHARED/bench/gen_catalogue.py`); data, store and index go to a
//! scratch directory outside the repository (default
//! `/tmp/katalog-search-bench`). The store is harvested once and reused.
//! The run leaves `WORK/katalog-SIZE.toml` and `WORK/serve-SIZE/` (store and
//! index), so that `katalog serve --config WORK/katalog-SIZE.toml --data-dir
//! WORK/serve-SIZE` starts at once for a load test of `/api/search` (e.g. wrk).

use katalog::config::Config;
use katalog::harvest::harvest_source;
use katalog::index::{SearchIndex, SearchQuery, SourceProfiles, Vocabulary};
use katalog::store::CatalogStore;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mut size = 100_000usize;
    let mut queries = 2000usize;
    let mut work = PathBuf::from("/tmp/katalog-search-bench");
    let mut generator = default_generator();
    let mut reuse_index = false;
    let mut i = 1;
    while i < args.len() {
        let value = args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--size" => {
                size = value.parse().expect("--size takes a number");
                i += 1;
            }
            "--queries" => {
                queries = value.parse().expect("--queries takes a number");
                i += 1;
            }
            "--work" => {
                work = PathBuf::from(value);
                i += 1;
            }
            "--generator" => {
                generator = PathBuf::from(value);
                i += 1;
            }
            "--reuse-index" => reuse_index = true,
            _ => {} // cargo passes --bench
        }
        i += 1;
    }
    let data = work.join(format!("data-{size}"));
    if !data.join("manifest.json").is_file() {
        if !generator.is_file() {
            eprintln!(
                "generator not found at {}: pass --generator or set KATALOG_SHARED",
                generator.display()
            );
            std::process::exit(2);
        }
        let status = Command::new("python3")
            .arg(&generator)
            .args(["--catalogues", "10", "--datasets-per-catalogue"])
            .arg((size / 10).to_string())
            .arg("--out")
            .arg(&data)
            .arg("--quiet")
            .status()
            .expect("python3 runs the generator");
        assert!(status.success(), "generator failed");
    }
    println!(
        "katalog search benchmark, {size} generated datasets ({})",
        load_average()
    );

    // The store, harvested once (no profile gate: the benchmark is about search).
    let serve_dir = work.join(format!("serve-{size}"));
    let config_path = work.join(format!("katalog-{size}.toml"));
    let mut toml = String::new();
    for (name, path) in catalogues(&data) {
        let country: String = name
            .chars()
            .filter(|c| c.is_ascii_alphabetic())
            .take(2)
            .collect();
        toml.push_str(&format!(
            "[[source]]\nname = \"{}\"\ncountry = \"{}\"\nurl = \"{}\"\n\n",
            name.to_lowercase(),
            country,
            path.display()
        ));
    }
    std::fs::write(&config_path, &toml).unwrap();
    let config = Config::load(&config_path).unwrap();
    let store = CatalogStore::open(&serve_dir.join("store")).unwrap();
    if !store.has_runs().unwrap() {
        let started = Instant::now();
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let profiles = katalog::profiles::Profiles::default();
        for source in &config.sources {
            let report = runtime.block_on(harvest_source(&config, &store, &profiles, source));
            assert!(report.run.error.is_none(), "{:?}", report.run.error);
        }
        store.flush().unwrap();
        println!(
            "setup: harvested into the store in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }

    // Index build, from scratch (unless reused).
    let index_dir = SearchIndex::dir(&serve_dir);
    let vocab = Arc::new(Vocabulary::builtin().unwrap());
    let reused = reuse_index && {
        let index = SearchIndex::open(&index_dir, vocab.clone()).unwrap();
        index.is_current(&store).unwrap()
    };
    if !reused {
        let _ = std::fs::remove_dir_all(&index_dir);
    }
    let index = SearchIndex::open(&index_dir, vocab).unwrap();
    if reused {
        println!(
            "index build: skipped (--reuse-index, {} documents)",
            index.documents()
        );
    } else {
        let started = Instant::now();
        let report = index
            .rebuild(&store, &SourceProfiles::from_config(&config))
            .unwrap();
        let build = started.elapsed().as_secs_f64();
        let bytes = dir_size(&index_dir);
        println!(
            "index build: {} documents in {:.1} s ({:.0} documents/s); index size {:.1} MiB ({:.0} bytes/document)",
            report.added,
            build,
            report.added as f64 / build,
            bytes as f64 / 1048576.0,
            bytes as f64 / report.added.max(1) as f64
        );
    }
    let started = Instant::now();
    let current = index.is_current(&store).unwrap();
    println!(
        "start-up check (is the index current?): {} in {:.1} ms",
        current,
        started.elapsed().as_secs_f64() * 1000.0
    );
    let started = Instant::now();
    let unchanged = index
        .sync(&store, &SourceProfiles::from_config(&config))
        .unwrap();
    println!(
        "sync with nothing to do: {:.2} s ({} unchanged)",
        started.elapsed().as_secs_f64(),
        unchanged.unchanged
    );

    // Queries: text + 3 filters + all facets, and a few other shapes.
    let texts = [
        "diabetes",
        "cancer registry",
        "asthma",
        "genome sequencing",
        "stroke",
        "kreft",
        "covid",
        "depression",
        "biobank",
        "cohort study",
        "dementia",
        "children",
    ];
    let countries = ["NO", "SE", "FI", "DK", "NL", "DE"];
    let filtered = move |i: usize| -> Vec<(String, String)> {
        vec![
            ("q".into(), texts[i % texts.len()].into()),
            ("country".into(), countries[i % countries.len()].into()),
            ("age_from".into(), "0".into()),
            ("age_to".into(), "17".into()),
            ("min_individuals".into(), "100".into()),
        ]
    };
    // (label, parameters, whether what searches keep (document sets of
    // query parts, stored summaries, labels) is emptied before each query:
    // a search whose words, filters and hits were never seen since the
    // last reload).
    let cases: Vec<(&str, ParamsFor, bool)> = vec![
        ("text + 3 filters + all facets", Box::new(filtered), false),
        ("  the same, parts never seen", Box::new(filtered), true),
        (
            "text + 3 filters, unrepeated",
            Box::new(move |i| {
                // Age bounds and thresholds that change with i: most
                // filters are new to the cache, the words are not.
                vec![
                    ("q".into(), texts[i % texts.len()].into()),
                    ("country".into(), countries[i % countries.len()].into()),
                    ("age_from".into(), (i % 19).to_string()),
                    ("age_to".into(), (20 + i % 61).to_string()),
                    ("min_individuals".into(), (i % 997).to_string()),
                ]
            }),
            false,
        ),
        (
            "text only + all facets",
            Box::new(move |i| vec![("q".into(), texts[i % texts.len()].into())]),
            false,
        ),
        (
            "disease chapter filter + facets",
            Box::new(|i| {
                vec![(
                    "disease".into(),
                    ["IV", "II", "IX", "E11", "C50"][i % 5].into(),
                )]
            }),
            false,
        ),
        (
            "misspelled (fuzzy retry)",
            Box::new(|i| {
                vec![(
                    "q".into(),
                    ["diabtes", "astma", "depresion", "demntia"][i % 4].into(),
                )]
            }),
            false,
        ),
    ];
    println!(
        "{:<34} {:>8} {:>9} {:>9} {:>9} {:>10}",
        "query", "runs", "p50 ms", "p99 ms", "max ms", "mean hits"
    );
    for (label, make, cold) in &cases {
        let mut latencies = Vec::with_capacity(queries);
        let mut hits = 0usize;
        for i in 0..queries {
            let params = make(i);
            let query =
                SearchQuery::from_params(params.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                    .unwrap();
            if *cold {
                index.clear_search_caches();
            }
            let started = Instant::now();
            let results = index.search(&query).unwrap();
            latencies.push(started.elapsed().as_secs_f64() * 1000.0);
            hits += results.total;
        }
        latencies.sort_by(|a, b| a.total_cmp(b));
        let pct =
            |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
        println!(
            "{:<34} {:>8} {:>9.2} {:>9.2} {:>9.2} {:>10.0}",
            label,
            queries,
            pct(0.50),
            pct(0.99),
            latencies[latencies.len() - 1],
            hits as f64 / queries as f64
        );
    }
    println!("({})", load_average());
    println!(
        "load test: katalog serve --config {} --data-dir {} --bind 127.0.0.1:8088, then e.g.\n  wrk -t2 -c16 -d20s 'http://127.0.0.1:8088/api/search?q=diabetes&country=NO&age_from=0&age_to=17&min_individuals=100'",
        config_path.display(),
        serve_dir.display()
    );
}

/// Request parameters of the i-th query of a case.
type ParamsFor = Box<dyn Fn(usize) -> Vec<(String, String)>>;

fn default_generator() -> PathBuf {
    let shared = std::env::var_os("KATALOG_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    shared.join("bench/gen_catalogue.py")
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

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| {
                    let path = e.path();
                    if path.is_dir() {
                        dir_size(&path)
                    } else {
                        e.metadata().map(|m| m.len()).unwrap_or(0)
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

fn load_average() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let parts: Vec<&str> = text.split_whitespace().take(3).collect();
    format!(
        "load average {} on {} cores",
        parts.join(" "),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    )
}
