//! The `katalog` command line: a thin layer over the library.

use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use katalog::config::Config;
use katalog::harvest::{harvest_source_with, RunOptions, SourceReport};
use katalog::index::{SearchIndex, SearchQuery, SearchResults, SourceProfiles, Vocabulary};
use katalog::profiles::Profiles;
use katalog::serve::harvester::{Harvester, SnapshotTarget};
use katalog::serve::sparql::{prepare, write_results, ResultSink};
use katalog::serve::worker::QueryWorker;
use katalog::serve::{self, AppState};
use katalog::store::{CatalogStore, RunOutcome};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "katalog",
    version,
    about = "FAIR metadata catalogue and harvester for health and genomic datasets",
    long_about = "Harvests DCAT-AP / HealthDCAT-AP national catalogues into an embedded \
Oxigraph store, one named graph per record, and serves them over SPARQL 1.1.\n\n\
With no --config (and no ./katalog.toml), katalog harvests the national catalogues in fixtures/."
)]
struct Cli {
    /// Data directory holding the store [default: ./katalog-data, or [storage] dir]
    #[arg(long, global = true, env = "KATALOG_DATA", value_name = "DIR")]
    data_dir: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct ConfigArg {
    /// Configuration file [default: ./katalog.toml if present, else the built-in fixtures]
    #[arg(long, env = "KATALOG_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Args)]
struct SearchArgs {
    /// The query text (may be empty with filters)
    #[arg(default_value = "")]
    query: String,
    /// Country code, NO or NOR (repeatable: any of them)
    #[arg(long, value_name = "CODE")]
    country: Vec<String>,
    /// ICD-10 (E11, E11.9, E10-E14, IV) or Orphanet (ORPHA:558) code, with everything below it (repeatable)
    #[arg(long, value_name = "CODE")]
    disease: Vec<String>,
    /// Publisher IRI (repeatable)
    #[arg(long, value_name = "IRI")]
    publisher: Vec<String>,
    /// Data theme code, e.g. HEAL (repeatable)
    #[arg(long, value_name = "CODE")]
    theme: Vec<String>,
    /// HealthDCAT-AP health category code, e.g. PHDR (repeatable)
    #[arg(long, value_name = "CODE")]
    health_category: Vec<String>,
    /// HealthDCAT-AP health theme code, e.g. CANCER_DISEASE (repeatable)
    #[arg(long, value_name = "CODE")]
    health_theme: Vec<String>,
    /// Access right code: PUBLIC, RESTRICTED, NON_PUBLIC (repeatable)
    #[arg(long, value_name = "CODE")]
    access: Vec<String>,
    /// File type code, e.g. CSV (repeatable)
    #[arg(long, value_name = "CODE")]
    format: Vec<String>,
    /// Population ages overlapping from this age
    #[arg(long, value_name = "YEARS")]
    age_from: Option<String>,
    /// Population ages overlapping up to this age
    #[arg(long, value_name = "YEARS")]
    age_to: Option<String>,
    /// At least this many unique individuals
    #[arg(long, value_name = "N")]
    min_individuals: Option<String>,
    /// Modified after this date (YYYY, YYYY-MM or YYYY-MM-DD)
    #[arg(long, value_name = "DATE")]
    modified_after: Option<String>,
    /// relevance, modified or title
    #[arg(long, default_value = "relevance")]
    sort: String,
    /// Page (from 1)
    #[arg(long, default_value = "1")]
    page: String,
    /// Hits per page (at most 100)
    #[arg(long, default_value = "20")]
    size: String,
    /// Language of titles and labels
    #[arg(long, default_value = "en")]
    lang: String,
    /// Print the JSON the HTTP API returns
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    config: ConfigArg,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the SPARQL endpoint (harvesting the configured sources first if the store is new)
    Serve {
        #[command(flatten)]
        config: ConfigArg,
        /// Address to listen on [default: [server] bind, 127.0.0.1:8080]
        #[arg(long, value_name = "ADDR")]
        bind: Option<String>,
    },
    /// Harvest the configured sources once and print a summary per source
    Harvest {
        #[command(flatten)]
        config: ConfigArg,
        /// Harvest only this source (repeatable)
        #[arg(long = "source", value_name = "NAME")]
        sources: Vec<String>,
        /// Let these runs remove more than harvest.max_delete_share of a
        /// source's records (the mass-delete guard); requires --source
        #[arg(long, requires = "sources")]
        allow_mass_delete: bool,
        /// Read every source whole, also those with modified_since = true:
        /// records a source no longer lists are tombstoned now, not at the
        /// next scheduled full run (full_every)
        #[arg(long)]
        full: bool,
    },
    /// Validate RDF documents against a profile or a shapes graph
    ///
    /// Exit status: 0 conforms (warnings allowed), 1 violations, 2 could not validate.
    Validate {
        /// Documents to check (paths or http(s) URLs), in any RDF syntax
        #[arg(required = true, value_name = "FILE|URL")]
        inputs: Vec<String>,
        /// Built-in profile: dcat-ap-3 (default), healthdcat-ap, dcat-ap-no, gdi
        #[arg(long, conflicts_with = "shapes")]
        profile: Option<String>,
        /// Validate against exactly these shapes graphs (paths or URLs) instead of a profile
        #[arg(long, num_args = 1.., value_name = "FILE|URL")]
        shapes: Vec<String>,
        /// Report format
        #[arg(long, default_value = "text", value_parser = ["text", "json", "turtle", "jsonld"])]
        format: String,
    },
    /// Evaluate one SPARQL query for `katalog serve` (internal)
    #[command(hide = true)]
    SparqlWorker {
        #[arg(long)]
        store: PathBuf,
    },
    /// Search the published datasets (the index `katalog serve` and `katalog harvest` keep)
    ///
    /// QUERY: plain words (all must match), "quoted phrases", -excluded words,
    /// title:word, disease:E11, country:NO.
    Search(Box<SearchArgs>),
    /// Rebuild the search index from the store, from scratch
    Reindex {
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Run a SPARQL query against the store
    Sparql {
        /// The query (SELECT, ASK, CONSTRUCT or DESCRIBE)
        query: String,
        /// Output: json, csv or tsv for SELECT/ASK; ttl or nt for CONSTRUCT/DESCRIBE
        /// [default: tsv for SELECT/ASK, ttl for CONSTRUCT/DESCRIBE]
        #[arg(long, value_parser = ["json", "csv", "tsv", "xml", "ttl", "nt", "rdfxml", "jsonld"])]
        format: Option<String>,
        #[command(flatten)]
        config: ConfigArg,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::SparqlWorker { store } = &cli.command {
        let code = katalog::serve::worker::worker_main(store);
        return ExitCode::from(u8::try_from(code).unwrap_or(1));
    }
    init_logging();
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("katalog=info,warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn run(cli: Cli) -> Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    match cli.command {
        Command::Serve { config, bind } => {
            let config = load_config(&config)?;
            let dir = data_dir(cli.data_dir.as_deref(), &config);
            let started = std::time::Instant::now();
            let store = open_store(&dir)?;
            tracing::debug!(
                ms = started.elapsed().as_millis() as u64,
                "start-up: store open"
            );
            runtime.block_on(serve_command(config, store, bind, &dir))
        }
        Command::SparqlWorker { .. } => Ok(ExitCode::from(2)),
        Command::Validate {
            inputs,
            profile,
            shapes,
            format,
        } => runtime.block_on(validate_command(
            &inputs,
            profile.as_deref(),
            &shapes,
            &format,
        )),
        Command::Harvest {
            config,
            sources,
            allow_mass_delete,
            full,
        } => {
            let config = load_config(&config)?;
            let dir = data_dir(cli.data_dir.as_deref(), &config);
            let store = open_store(&dir)?;
            runtime.block_on(harvest_command(
                &config,
                &store,
                &dir,
                &sources,
                RunOptions {
                    allow_mass_delete,
                    full,
                    ..RunOptions::default()
                },
            ))
        }
        Command::Reindex { config } => {
            let config = load_config(&config)?;
            let dir = data_dir(cli.data_dir.as_deref(), &config);
            let store = open_store(&dir)?;
            let index = open_search(&dir)?;
            let started = std::time::Instant::now();
            let report = index.rebuild(&store, &SourceProfiles::from_config(&config))?;
            println!(
                "search index rebuilt: {} documents in {:.2} s ({})",
                report.added,
                started.elapsed().as_secs_f64(),
                index.location()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Search(args) => {
            let SearchArgs {
                query,
                country,
                disease,
                publisher,
                theme,
                health_category,
                health_theme,
                access,
                format,
                age_from,
                age_to,
                min_individuals,
                modified_after,
                sort,
                page,
                size,
                lang,
                json,
                config,
            } = *args;
            let config = load_config(&config)?;
            let dir = SearchIndex::dir(&data_dir(cli.data_dir.as_deref(), &config));
            let vocab = Arc::new(Vocabulary::builtin()?);
            let index = SearchIndex::open_existing(&dir, vocab)?;
            let mut params: Vec<(&str, String)> = vec![
                ("q", query),
                ("sort", sort),
                ("page", page),
                ("size", size),
                ("lang", lang),
            ];
            for (name, values) in [
                ("country", country),
                ("disease", disease),
                ("publisher", publisher),
                ("theme", theme),
                ("health_category", health_category),
                ("health_theme", health_theme),
                ("access", access),
                ("format", format),
            ] {
                params.extend(values.into_iter().map(|v| (name, v)));
            }
            for (name, value) in [
                ("age_from", age_from),
                ("age_to", age_to),
                ("min_individuals", min_individuals),
                ("modified_after", modified_after),
            ] {
                params.extend(value.map(|v| (name, v)));
            }
            let query = SearchQuery::from_params(params.iter().map(|(k, v)| (*k, v.as_str())))
                .map_err(|e| anyhow!("--{}", e.to_string().replace('_', "-")))?;
            let results = index.search(&query)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&results)?);
            } else {
                print_search(&results)?;
            }
            Ok(if results.total > 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Sparql {
            query,
            format,
            config,
        } => {
            let config = load_config(&config)?;
            let dir = data_dir(cli.data_dir.as_deref(), &config).join("store");
            if !dir.exists() {
                bail!(
                    "no store at {}: run `katalog harvest` (or `katalog serve`) first",
                    dir.display()
                );
            }
            let store = CatalogStore::open_read_only(&dir)?;
            sparql_command(&store, &query, format.as_deref())
        }
    }
}

fn load_config(arg: &ConfigArg) -> Result<Config> {
    let config = match &arg.config {
        Some(path) => Config::load(path)?,
        None if Path::new("katalog.toml").is_file() => Config::load(Path::new("katalog.toml"))?,
        None => Config::builtin_default()?,
    };
    tracing::debug!(origin = %config.origin, sources = config.sources.len(), "configuration loaded");
    Ok(config)
}

fn data_dir(flag: Option<&Path>, config: &Config) -> PathBuf {
    flag.map(Path::to_path_buf)
        .or_else(|| config.storage.dir.as_ref().map(|d| config.base_dir.join(d)))
        .unwrap_or_else(|| PathBuf::from("katalog-data"))
}

fn open_store(data_dir: &Path) -> Result<CatalogStore> {
    let path = data_dir.join("store");
    let store = CatalogStore::open(&path).with_context(|| {
        format!(
            "is another katalog using {}? Stop it, or pass --data-dir",
            data_dir.display()
        )
    })?;
    let repaired = store.repair()?;
    if repaired > 0 {
        tracing::warn!(
            graphs = repaired,
            "removed the leftovers of an interrupted harvest"
        );
    }
    Ok(store)
}

/// Opens (or creates) the search index under the data directory.
fn open_search(data_dir: &Path) -> Result<Arc<SearchIndex>> {
    let vocab = Arc::new(Vocabulary::builtin()?);
    Ok(Arc::new(SearchIndex::open(
        &SearchIndex::dir(data_dir),
        vocab,
    )?))
}

/// Brings the search index in step with the store, logging what changed.
fn sync_search(index: &SearchIndex, store: &CatalogStore, config: &Config) -> Result<()> {
    let started = std::time::Instant::now();
    let report = index
        .sync(store, &SourceProfiles::from_config(config))
        .context("cannot update the search index")?;
    if report.changed() {
        tracing::info!(
            added = report.added,
            replaced = report.replaced,
            deleted = report.deleted,
            rebuilt = report.rebuilt,
            ms = started.elapsed().as_millis() as u64,
            "search index updated"
        );
    }
    Ok(())
}

fn print_search(results: &SearchResults) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{} dataset(s){} in {:.1} ms",
        results.total,
        if results.fuzzy {
            " (allowing misspellings)"
        } else {
            ""
        },
        results.took_ms
    )?;
    if results.hits.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "{:<20} {:<7} {:<60} {:<30} diseases",
        "id", "country", "title", "publisher"
    )?;
    for hit in &results.hits {
        let cut = |s: &str, n: usize| -> String {
            if s.chars().count() > n {
                format!("{}…", s.chars().take(n - 1).collect::<String>())
            } else {
                s.to_string()
            }
        };
        let countries: Vec<&str> = hit.country.iter().map(|c| c.value.as_str()).collect();
        let diseases: Vec<&str> = hit
            .health
            .diseases
            .iter()
            .map(|d| d.value.as_str())
            .collect();
        writeln!(
            out,
            "{:<20} {:<7} {:<60} {:<30} {}",
            hit.id,
            countries.join(","),
            cut(hit.title.as_deref().unwrap_or("(untitled)"), 60),
            cut(hit.publisher.as_ref().map_or("", |p| p.label.as_str()), 30),
            diseases.join(" ")
        )?;
    }
    Ok(())
}

async fn serve_command(
    config: Config,
    store: CatalogStore,
    bind: Option<String>,
    data_dir: &Path,
) -> Result<ExitCode> {
    let bind = bind.unwrap_or_else(|| config.server.bind.clone());
    let profiles = Arc::new(Profiles::default());
    let config = Arc::new(config);
    let harvester = Harvester::new(config.clone(), store.clone(), profiles.clone());
    if !store.has_runs()? && !config.sources.is_empty() {
        tracing::info!(
            sources = config.sources.len(),
            "new store: harvesting the configured sources before serving"
        );
        let mut runs = Vec::new();
        for source in config.sources.iter().filter(|s| s.is_harvested()) {
            if let Ok(claim) = harvester.claim(&source.name) {
                let harvester = harvester.clone();
                runs.push(tokio::spawn(async move {
                    harvester.run(claim, RunOptions::default()).await
                }));
            }
        }
        for run in runs {
            if let Ok(report) = run.await {
                log_report(&report);
            }
        }
    }
    // Source priorities may have changed with the configuration, and a run
    // rolled forward at start-up did not resolve duplicates: resolve them now.
    {
        let priorities: std::collections::HashMap<String, i64> = config
            .sources
            .iter()
            .map(|s| (s.name.clone(), s.priority))
            .collect();
        let store = store.clone();
        // Only when the priorities changed since the last resolution (or a
        // run was rolled forward): runs and pushes resolve around what they change.
        let resolution =
            tokio::task::spawn_blocking(move || store.resolve_duplicates_if_stale(&priorities))
                .await??;
        if let Some(resolution) = resolution {
            tracing::info!(
                groups = resolution.groups,
                superseded = resolution.superseded,
                updated = resolution.updated,
                "cross-source duplicates resolved"
            );
        }
    }
    // The index must reflect the store before search answers: after a crash,
    // a harvest run without it, or new vocabularies, it is brought in step here.
    let started = std::time::Instant::now();
    let search = open_search(data_dir)?;
    if !search.is_current(&store)? {
        tracing::info!("the search index differs from the store: updating it");
        sync_search(&search, &store, &config)?;
    }
    tracing::debug!(
        ms = started.elapsed().as_millis() as u64,
        "start-up: search index open"
    );
    let started = std::time::Instant::now();
    let listener = tokio::net::TcpListener::bind(&bind)
        .await
        .with_context(|| format!("cannot listen on {bind}"))?;
    let address = listener.local_addr()?;
    let snapshots = data_dir.join("snapshots");
    let snapshot = store
        .snapshot(&snapshots)
        .context("cannot write the snapshot SPARQL queries read")?;
    tracing::debug!(
        ms = started.elapsed().as_millis() as u64,
        "start-up: SPARQL snapshot written"
    );
    let worker = std::env::current_exe()
        .map(|executable| QueryWorker::new(executable, snapshot))
        .map_err(|e| tracing::warn!("SPARQL queries run in threads: {e}"))
        .ok();
    if let Some(worker) = &worker {
        harvester.publish_snapshots(SnapshotTarget {
            dir: snapshots,
            worker: worker.clone(),
        });
    }
    harvester.publish_search(search.clone());
    harvester.start_schedules();
    let mut state = AppState::new(store, config);
    state.profiles = profiles;
    state.query_worker = worker;
    state.harvester = Some(harvester);
    eprintln!("katalog is serving on http://{address}/ (SPARQL endpoint: http://{address}/sparql)");
    state.data_dir = Some(data_dir.to_path_buf());
    state.search = Some(search);
    serve::serve(listener, state).await?;
    Ok(ExitCode::SUCCESS)
}

fn log_report(report: &SourceReport) {
    // The counts are logged by the run itself ("run finished").
    if let Some(error) = &report.run.error {
        tracing::error!(source = %report.source, run = %report.run.id, "{error}");
    }
}

async fn harvest_command(
    config: &Config,
    store: &CatalogStore,
    data_dir: &Path,
    names: &[String],
    requested: RunOptions,
) -> Result<ExitCode> {
    let profiles = Profiles::default();
    let mut selected = Vec::new();
    for name in names {
        let source = config.source(name).ok_or_else(|| {
            let known: Vec<&str> = config.sources.iter().map(|s| s.name.as_str()).collect();
            anyhow!(
                "no source named {name:?} in {}; configured: {}",
                config.origin,
                known.join(", ")
            )
        })?;
        if !source.is_harvested() {
            bail!(
                "source {name:?} is of kind push: it is not harvested; its records are published with PUT /api/records/{{id}}"
            );
        }
        selected.push(source);
    }
    if names.is_empty() {
        selected = config.sources.iter().filter(|s| s.is_harvested()).collect();
    }
    if selected.is_empty() {
        bail!("{} configures no [[source]] to harvest", config.origin);
    }

    // Spinners only on a terminal; elsewhere the runs' structured logs say it.
    let progress = if std::io::stderr().is_terminal() {
        MultiProgress::new()
    } else {
        MultiProgress::with_draw_target(indicatif::ProgressDrawTarget::hidden())
    };
    let style = ProgressStyle::with_template("{spinner} {prefix:<12} {msg} [{elapsed}]")
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    let mut reports = Vec::new();
    for source in selected {
        let bar = progress.add(ProgressBar::new_spinner());
        bar.set_style(style.clone());
        bar.set_prefix(source.name.clone());
        bar.set_message(format!("harvesting {}", config.location(source)));
        bar.enable_steady_tick(Duration::from_millis(120));
        let stage = bar.clone();
        let options = RunOptions {
            progress: Some(Arc::new(move |message: String| stage.set_message(message))),
            ..requested.clone()
        };
        let report = harvest_source_with(config, store, &profiles, source, &options).await;
        let counts = &report.run.counts;
        let incremental = report
            .run
            .modified_since
            .map(|since| {
                format!(
                    ", incremental: modified since {}",
                    since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                )
            })
            .unwrap_or_default();
        bar.finish_with_message(format!(
            "{} (new {}, changed {}, unchanged {}, deleted {}{incremental})",
            report.run.outcome.as_str(),
            counts.new,
            counts.changed,
            counts.unchanged,
            counts.deleted
        ));
        reports.push(report);
    }
    let _ = progress.clear();
    sync_search(open_search(data_dir)?.as_ref(), store, config)?;
    store.flush()?;
    print_summary(&reports)?;
    if reports.iter().any(SourceReport::failed) {
        Ok(ExitCode::from(1))
    } else {
        Ok(ExitCode::SUCCESS)
    }
}

fn print_summary(reports: &[SourceReport]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{:<12} {:<10} {:>6} {:>8} {:>10} {:>8} {:>7} {:>11} {:>9} {:>8} {:>6}",
        "source",
        "outcome",
        "new",
        "changed",
        "unchanged",
        "deleted",
        "failed",
        "quarantined",
        "triples",
        "seconds",
        "reused"
    )?;
    for report in reports {
        let run = &report.run;
        let seconds = (run.ended - run.started).num_milliseconds() as f64 / 1000.0;
        writeln!(
            out,
            "{:<12} {:<10} {:>6} {:>8} {:>10} {:>8} {:>7} {:>11} {:>9} {:>8.2} {:>6}",
            report.source,
            run.outcome.as_str(),
            run.counts.new,
            run.counts.changed,
            run.counts.unchanged,
            run.counts.deleted,
            run.counts.failed,
            run.counts.quarantined,
            run.triples,
            seconds,
            run.validation.as_ref().map_or(0, |v| v.reused)
        )?;
    }
    for report in reports {
        match (report.run.outcome, &report.run.error) {
            (RunOutcome::Failed, Some(error)) => writeln!(
                out,
                "\nerror: {error}\n  (the records harvested before from '{}' were kept)",
                report.source
            )?,
            (RunOutcome::Guarded, Some(error)) => writeln!(out, "\nrefused: {error}")?,
            _ => {}
        }
        if let (Some(since), RunOutcome::Success | RunOutcome::Unchanged) =
            (report.run.modified_since, report.run.outcome)
        {
            writeln!(
                out,
                "\n{}: incremental run (records modified since {}); records it did not see were kept, \
                 deletions are found by the next full run (full_every, or katalog harvest --full)",
                report.source,
                since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            )?;
        }
    }
    Ok(())
}

/// Writes query results to stdout.
struct Stdout<'a>(std::io::StdoutLock<'a>);

impl Write for Stdout<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

impl ResultSink for Stdout<'_> {
    fn set_content_type(&mut self, _: &'static str) {}
}

fn sparql_command(store: &CatalogStore, query: &str, format: Option<&str>) -> Result<ExitCode> {
    let prepared = prepare(query, &[], &[], Default::default())?;
    let results = prepared
        .on_store(store.oxigraph())
        .execute()
        .map_err(|e| anyhow!("query evaluation failed: {e}"))?;
    let format = format.or(match &results {
        oxigraph::sparql::QueryResults::Graph(_) => Some("ttl"),
        _ => Some("tsv"),
    });
    let boolean = matches!(results, oxigraph::sparql::QueryResults::Boolean(_));
    let mut out = Stdout(std::io::stdout().lock());
    write_results(results, "", format, &mut out)?;
    if boolean && format != Some("json") && format != Some("xml") {
        writeln!(out)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

async fn validate_command(
    inputs: &[String],
    profile: Option<&str>,
    shapes: &[String],
    format: &str,
) -> Result<ExitCode> {
    let settings = katalog::config::HarvestConfig::default();
    let profile = if shapes.is_empty() {
        let name = profile.unwrap_or(katalog::profiles::DEFAULT_PROFILE);
        katalog::profiles::compile(name)?
    } else {
        let mut graph = oxrdf::Graph::new();
        for location in shapes {
            let (_, triples) = katalog::harvest::load_document(location, &settings)
                .await
                .with_context(|| format!("cannot read the shapes graph {location}"))?;
            for triple in &triples {
                graph.insert(triple);
            }
        }
        let profile = katalog::profiles::Profile::from_shapes("--shapes", &graph);
        for warning in profile.shapes.warnings() {
            eprintln!("warning: shapes: {warning}");
        }
        profile
    };
    let format = katalog::steward::ReportFormat::from_name(format)
        .with_context(|| format!("unknown report format {format}"))?;
    let mut conforms = true;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    for input in inputs {
        // Each record's part of the report is written as its wave of
        // records finishes, so results never pile up in memory.
        let summary = if shapes.is_empty() {
            // Parsed straight into the interned form the records are split from.
            let (location, document) = katalog::steward::read_interned(input, &settings)
                .await
                .with_context(|| format!("cannot validate {input}"))?;
            let mut writer = katalog::steward::ReportWriter::new(&mut out, format, &location)?;
            katalog::steward::validate_interned_to(document, &profile, &mut writer)?;
            writer.finish()?
        } else {
            // The whole document as one graph, parsed straight into its compact form.
            let (location, data) = katalog::steward::read_data_graph(input, &settings)
                .await
                .with_context(|| format!("cannot validate {input}"))?;
            let mut writer = katalog::steward::ReportWriter::new(&mut out, format, &location)?;
            katalog::steward::validate_graph_to(&data, &profile, &mut writer)?;
            writer.finish()?
        };
        conforms &= summary.conforms();
    }
    out.flush()?;
    Ok(if conforms {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
