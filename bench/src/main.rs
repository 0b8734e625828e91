//! `govskills-bench`: a load generator for a GovSkills server running on this machine.
//!
//! It prepares its own data through the API (the demo accounts of `serve --demo`, learners it
//! creates as the demo admin, a certificate it earns, and optionally a `seed-scale` organisation
//! for the HR reports), runs each journey for a warm-up and then for a fixed duration or number
//! of iterations at a given concurrency, and prints latency percentiles (HDR histogram),
//! throughput, errors and the SQL statements per request (from the server's
//! `db_statements_total`). See docs/PERFORMANCE.md for the procedure and the figures.

mod client;
mod journeys;
mod report;

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context as _, bail};
use clap::Parser;
use serde::Serialize;

use crate::{
    client::Client,
    journeys::{Fixture, Journey, Needs, Recorder},
    report::Row,
};

/// Load benchmark of a running GovSkills (loopback targets only).
#[derive(Debug, Parser)]
#[command(name = "govskills-bench", version, about)]
struct Args {
    /// Base URL of a server started with `serve --demo` on loopback.
    #[arg(default_value = "http://127.0.0.1:18080")]
    url: String,
    /// Concurrent workers (each one request at a time).
    #[arg(long, short, default_value_t = 8)]
    concurrency: usize,
    /// Seconds each journey is measured (ignored with --iterations).
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Iterations of each journey instead of a duration (an attempt is several requests).
    #[arg(long)]
    iterations: Option<u64>,
    /// Seconds of warm-up before each journey's measurement (not recorded).
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,
    /// Journeys to run, in order.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "catalogue,dashboard,attempt,verify,login"
    )]
    journeys: Vec<Journey>,
    /// Generate the organisation for the `reports` journey first: runs `govskills seed-scale
    /// --staff N` (the `govskills` beside this binary, or --govskills) with this process's
    /// environment, so GOVSKILLS_DATABASE_URL must name the served database.
    #[arg(long, conflicts_with_all = ["reports_unit", "reports_hr"])]
    seed_staff: Option<u32>,
    /// The `govskills` binary for --seed-staff.
    #[arg(long)]
    govskills: Option<std::path::PathBuf>,
    /// Org unit of a `seed-scale` organisation for the `reports` journey.
    #[arg(long, requires = "reports_hr")]
    reports_unit: Option<String>,
    /// Its HR officer's email (as printed by `seed-scale`).
    #[arg(long, requires = "reports_unit")]
    reports_hr: Option<String>,
    /// Also measure the catalogue alone and then while a login storm runs next to it.
    #[arg(long)]
    storm: bool,
    /// Concurrent login workers of the storm.
    #[arg(long, default_value_t = 4)]
    storm_concurrency: usize,
    /// The server's process id: report its peak resident memory (VmHWM) at the end.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Print JSON on standard output (the table goes to standard error).
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Output {
    target: String,
    concurrency: usize,
    duration_secs: Option<f64>,
    iterations: Option<u64>,
    warmup_secs: f64,
    rows: Vec<Row>,
    storm: Vec<Row>,
    server_peak_rss_kib: Option<u64>,
    server_rss_kib: Option<u64>,
}

/// When workers stop.
#[derive(Clone)]
enum Stop {
    At(Instant),
    Budget(Arc<AtomicU64>),
}

impl Stop {
    fn next(&self) -> bool {
        match self {
            Self::At(deadline) => Instant::now() < *deadline,
            Self::Budget(left) => left
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
                .is_ok(),
        }
    }
}

/// Runs `govskills seed-scale --staff N` and reads the authority's id and the HR login from
/// what it prints.
fn seed(govskills: Option<&std::path::Path>, staff: u32) -> anyhow::Result<(String, String)> {
    let program = match govskills {
        Some(path) => path.to_owned(),
        None => std::env::current_exe()?.with_file_name("govskills"),
    };
    eprintln!(
        "generating {staff} staff with {} seed-scale ...",
        program.display()
    );
    let output = std::process::Command::new(&program)
        .args(["seed-scale", "--staff", &staff.to_string()])
        .args(["--name", &format!("Bench ministry {}", std::process::id())])
        .output()
        .map_err(|err| anyhow::anyhow!("cannot run {}: {err}", program.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "seed-scale failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    parse_seed_output(&stdout)
}

/// The authority id (`Generated "NAME" (ID) ...`) and HR email (`HR officer for it: EMAIL ...`).
fn parse_seed_output(stdout: &str) -> anyhow::Result<(String, String)> {
    let unit = stdout
        .lines()
        .find(|line| line.starts_with("Generated "))
        .and_then(|line| line.split_once("\" (")?.1.split_once(')'))
        .map(|(id, _)| id.to_owned());
    let hr = stdout
        .lines()
        .find_map(|line| line.strip_prefix("HR officer for it: "))
        .and_then(|rest| rest.split_whitespace().next())
        .map(str::to_owned);
    unit.zip(hr)
        .ok_or_else(|| anyhow::anyhow!("unexpected seed-scale output: {stdout}"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = Args::parse();
    let base = report::require_loopback(&args.url)?;
    if let Some(staff) = args.seed_staff {
        let (unit, hr) = seed(args.govskills.as_deref(), staff)?;
        args.reports_unit = Some(unit);
        args.reports_hr = Some(hr);
    }
    if args.concurrency == 0 || args.storm_concurrency == 0 {
        bail!("concurrency must be at least 1");
    }
    if args.journeys.contains(&Journey::Reports) && args.reports_unit.is_none() {
        bail!(
            "the reports journey needs --seed-staff N, or --reports-unit and --reports-hr (from `govskills seed-scale`)"
        );
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = Client::new(base.clone(), args.concurrency + args.storm_concurrency)?;

    let wants = |j| args.journeys.contains(&j);
    let needs = Needs {
        learners: if wants(Journey::Attempt)
            || wants(Journey::Verify)
            || wants(Journey::Login)
            || args.storm
        {
            args.concurrency.max(args.storm_concurrency)
        } else {
            0
        },
        attempt: wants(Journey::Attempt),
        verify: wants(Journey::Verify),
        reports: args
            .reports_unit
            .clone()
            .zip(args.reports_hr.clone())
            .filter(|_| wants(Journey::Reports)),
    };
    eprintln!("preparing data against {base} ...");
    let fixture = Arc::new(Fixture::prepare(&client, &needs).await?);

    let mut rows = Vec::new();
    for &journey in &args.journeys {
        eprintln!(
            "{}: warm-up {} s, then measuring ...",
            journey.name(),
            args.warmup
        );
        let measured = measure(&client, &fixture, &args, journey).await?;
        rows.extend(measured);
    }
    let mut storm = Vec::new();
    if args.storm {
        eprintln!("argon2 stall check: catalogue alone, then with a login storm ...");
        storm = login_storm(&client, &fixture, &args).await;
    }
    let status = args
        .server_pid
        .map(|pid| std::fs::read_to_string(format!("/proc/{pid}/status")))
        .transpose()
        .context("cannot read the server's /proc status (--server-pid)")?;
    let output = Output {
        target: base.to_string(),
        concurrency: args.concurrency,
        duration_secs: args.iterations.is_none().then_some(args.duration),
        iterations: args.iterations,
        warmup_secs: args.warmup,
        rows,
        storm,
        server_peak_rss_kib: status.as_deref().and_then(report::peak_rss_kib),
        server_rss_kib: status.as_deref().and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        }),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&output)?);
        // The table as well, on standard error, for the person watching.
        eprint!("{}", report::table(&output.rows));
        if !output.storm.is_empty() {
            eprint!("\n{}", report::table(&output.storm));
        }
    } else {
        print!("{}", report::table(&output.rows));
        if !output.storm.is_empty() {
            println!("\nargon2 stall check (catalogue p99 alone vs during a login storm):\n");
            print!("{}", report::table(&output.storm));
        }
        if let Some(peak) = output.server_peak_rss_kib {
            println!(
                "\nserver peak RSS (VmHWM): {:.1} MiB; RSS now: {:.1} MiB",
                kib_to_mib(peak),
                kib_to_mib(output.server_rss_kib.unwrap_or_default())
            );
        }
    }
    Ok(())
}

#[expect(
    clippy::cast_precision_loss,
    reason = "memory sizes are far below 2^52 KiB"
)]
fn kib_to_mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// Runs `concurrency` workers of `journey` (numbered from `first_worker`) until `stop`.
async fn run_workers(
    client: &Client,
    fixture: &Arc<Fixture>,
    journey: Journey,
    concurrency: usize,
    first_worker: usize,
    stop: &Stop,
) -> Recorder {
    let mut tasks = Vec::with_capacity(concurrency);
    for worker in first_worker..first_worker + concurrency {
        let (client, fixture, stop) = (client.clone(), Arc::clone(fixture), stop.clone());
        tasks.push(tokio::spawn(async move {
            let mut recorder = Recorder::default();
            while stop.next() {
                journeys::iterate(journey, &client, &fixture, worker, &mut recorder).await;
            }
            recorder
        }));
    }
    let mut all = Recorder::default();
    for task in tasks {
        if let Ok(recorder) = task.await {
            all.merge(recorder);
        }
    }
    all
}

fn rows(recorder: &Recorder, seconds: f64, prefix: &str) -> Vec<Row> {
    recorder
        .order
        .iter()
        .filter_map(|label| {
            let (histogram, errors) = recorder.by_label.get(label)?;
            Some(Row::new(
                &format!("{prefix}{label}"),
                histogram,
                *errors,
                seconds,
            ))
        })
        .collect()
}

async fn statements(client: &Client) -> Option<f64> {
    let text = client.metrics().await.ok()?;
    report::prometheus_counter(&text, "db_statements_total")
}

async fn measure(
    client: &Client,
    fixture: &Arc<Fixture>,
    args: &Args,
    journey: Journey,
) -> anyhow::Result<Vec<Row>> {
    if args.warmup > 0.0 {
        let stop = Stop::At(Instant::now() + Duration::from_secs_f64(args.warmup));
        run_workers(client, fixture, journey, args.concurrency, 0, &stop).await;
    }
    let stop = match args.iterations {
        Some(n) => Stop::Budget(Arc::new(AtomicU64::new(n))),
        None => Stop::At(Instant::now() + Duration::from_secs_f64(args.duration)),
    };
    let before = statements(client).await;
    let started = Instant::now();
    let recorder = run_workers(client, fixture, journey, args.concurrency, 0, &stop).await;
    let seconds = started.elapsed().as_secs_f64();
    let after = statements(client).await;
    let mut rows = rows(&recorder, seconds, "");
    #[expect(
        clippy::cast_precision_loss,
        reason = "request counts are far below 2^52"
    )]
    let per_request = before
        .zip(after)
        .filter(|_| recorder.requests() > 0)
        .map(|(b, a)| (a - b) / recorder.requests() as f64);
    for row in &mut rows {
        row.statements_per_request = per_request;
    }
    Ok(rows)
}

/// The catalogue alone, then the catalogue while `storm_concurrency` workers sign in without
/// pause, each for the measurement duration.
async fn login_storm(client: &Client, fixture: &Arc<Fixture>, args: &Args) -> Vec<Row> {
    let length = Duration::from_secs_f64(args.duration);
    let stop = Stop::At(Instant::now() + length);
    let started = Instant::now();
    let alone = run_workers(
        client,
        fixture,
        Journey::Catalogue,
        args.concurrency,
        0,
        &stop,
    )
    .await;
    let mut out = rows(&alone, started.elapsed().as_secs_f64(), "alone: ");

    let stop = Stop::At(Instant::now() + length);
    let started = Instant::now();
    let (catalogue, logins) = tokio::join!(
        run_workers(
            client,
            fixture,
            Journey::Catalogue,
            args.concurrency,
            0,
            &stop
        ),
        run_workers(
            client,
            fixture,
            Journey::Login,
            args.storm_concurrency,
            0,
            &stop
        ),
    );
    let seconds = started.elapsed().as_secs_f64();
    out.extend(rows(&catalogue, seconds, "during login storm: "));
    out.extend(rows(&logins, seconds, "storm: "));
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn seed_scale_output_gives_the_unit_and_the_hr_login() {
        let out = "Generated \"Bench ministry 7\" (04633920-ea28-4b1f-b4f9-d47b20d2758e) in 1.0 s: 1 units\nHR officer for it: hr-04633920@scale.govskills.test (password: x)\n";
        let (unit, hr) = super::parse_seed_output(out).expect("parsed");
        assert_eq!(unit, "04633920-ea28-4b1f-b4f9-d47b20d2758e");
        assert_eq!(hr, "hr-04633920@scale.govskills.test");
        assert!(super::parse_seed_output("nothing").is_err());
    }
}
