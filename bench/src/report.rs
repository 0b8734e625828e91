//! The pure parts: the loopback check, a histogram summarised into a row, the table and the
//! Prometheus counter parser.

use hdrhistogram::Histogram;
use serde::Serialize;
use url::{Host, Url};

/// Refuses anything but a loopback address: the benchmark is a load generator, and it may only
/// load a server on this machine.
pub fn require_loopback(base: &str) -> anyhow::Result<Url> {
    let url = Url::parse(base).map_err(|err| anyhow::anyhow!("not a URL ({base}): {err}"))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        anyhow::bail!("only http(s) targets are allowed, not {}", url.scheme());
    }
    let loopback = match url.host() {
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if !loopback {
        anyhow::bail!(
            "only loopback targets are allowed (127.0.0.0/8, ::1, localhost), not {}",
            url.host_str().unwrap_or("no host")
        );
    }
    Ok(url)
}

/// A new latency histogram: 1 µs to 10 min, 3 significant figures.
pub fn histogram() -> Histogram<u64> {
    #[expect(clippy::unwrap_used, reason = "constant, valid bounds")]
    Histogram::new_with_bounds(1, 600_000_000, 3).unwrap()
}

/// One line of the table: a kind of request of a journey.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub name: String,
    pub requests: u64,
    pub errors: u64,
    pub throughput: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// SQL statements the server ran per request during the journey (all its requests, all
    /// kinds), when the server exposes `db_statements_total`.
    pub statements_per_request: Option<f64>,
}

#[expect(
    clippy::cast_precision_loss,
    reason = "microsecond latencies and counts are far below 2^52"
)]
fn ms(micros: u64) -> f64 {
    micros as f64 / 1000.0
}

impl Row {
    /// Summarises `histogram` (microseconds) over `seconds` of measurement.
    #[expect(
        clippy::cast_precision_loss,
        reason = "request counts are far below 2^52"
    )]
    pub fn new(name: &str, histogram: &Histogram<u64>, errors: u64, seconds: f64) -> Self {
        let requests = histogram.len();
        let empty = requests == 0;
        let at = |q: f64| {
            if empty {
                0.0
            } else {
                ms(histogram.value_at_quantile(q))
            }
        };
        Self {
            name: name.to_owned(),
            requests,
            errors,
            throughput: if seconds > 0.0 {
                requests as f64 / seconds
            } else {
                0.0
            },
            p50_ms: at(0.50),
            p95_ms: at(0.95),
            p99_ms: at(0.99),
            max_ms: if empty { 0.0 } else { ms(histogram.max()) },
            statements_per_request: None,
        }
    }
}

/// The table, in Markdown so it can be pasted into docs/PERFORMANCE.md as it is.
pub fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| journey | requests | req/s | p50 ms | p95 ms | p99 ms | max ms | errors | SQL/req |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for row in rows {
        let statements = row
            .statements_per_request
            .map_or_else(|| "-".to_owned(), |s| format!("{s:.1}"));
        out.push_str(&format!(
            "| {} | {} | {:.1} | {:.2} | {:.2} | {:.2} | {:.2} | {} | {} |\n",
            row.name,
            row.requests,
            row.throughput,
            row.p50_ms,
            row.p95_ms,
            row.p99_ms,
            row.max_ms,
            row.errors,
            statements,
        ));
    }
    out
}

/// The value of an unlabelled counter in a Prometheus text exposition.
pub fn prometheus_counter(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            let (metric, value) = line.split_once(' ')?;
            (metric == name).then(|| value.trim().parse().ok())?
        })
}

/// `VmHWM` (peak resident set) of `/proc/PID/status`, in KiB.
pub fn peak_rss_kib(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_targets_are_accepted() {
        for ok in [
            "http://127.0.0.1:18080",
            "http://127.0.0.2:80/",
            "http://localhost:8080",
            "http://[::1]:8080",
        ] {
            assert!(require_loopback(ok).is_ok(), "{ok}");
        }
        for refused in [
            "http://10.0.0.1:8080",
            "http://example.org",
            "http://[2001:db8::1]/",
            "http://localhost.example.org",
            "ftp://127.0.0.1/",
            "not a url",
        ] {
            assert!(require_loopback(refused).is_err(), "{refused}");
        }
    }

    #[test]
    fn a_row_reports_percentiles_in_milliseconds() {
        let mut h = histogram();
        for micros in 1..=1000u64 {
            h.record(micros * 1000).expect("in range");
        }
        let row = Row::new("catalogue", &h, 2, 2.0);
        assert_eq!(row.requests, 1000);
        assert_eq!(row.errors, 2);
        assert!((row.throughput - 500.0).abs() < 1e-9);
        assert!((row.p50_ms - 500.0).abs() < 1.0, "{}", row.p50_ms);
        assert!((row.p95_ms - 950.0).abs() < 1.0, "{}", row.p95_ms);
        assert!((row.p99_ms - 990.0).abs() < 1.0, "{}", row.p99_ms);
        assert!((row.max_ms - 1000.0).abs() < 1.0, "{}", row.max_ms);
    }

    #[test]
    fn an_empty_row_has_zeros_not_a_panic() {
        let row = Row::new("nothing", &histogram(), 0, 0.0);
        assert_eq!(row.requests, 0);
        assert!(row.p99_ms.abs() < f64::EPSILON && row.throughput.abs() < f64::EPSILON);
    }

    #[test]
    fn the_table_is_markdown_with_one_line_per_row() {
        let mut h = histogram();
        h.record(1500).expect("in range");
        let mut row = Row::new("me", &h, 0, 1.0);
        row.statements_per_request = Some(3.0);
        let text = table(&[row, Row::new("login", &h, 1, 1.0)]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[0].starts_with("| journey | requests | req/s | p50 ms"));
        assert_eq!(
            lines[2],
            "| me | 1 | 1.0 | 1.50 | 1.50 | 1.50 | 1.50 | 0 | 3.0 |"
        );
        assert!(lines[3].ends_with("| 1 | - |"), "{}", lines[3]);
    }

    #[test]
    fn counters_and_peak_rss_are_read_from_their_texts() {
        let metrics = "# TYPE db_statements_total counter\ndb_statements_total 1234\n\
                       http_requests_total{operation=\"me\",status=\"200\"} 5\n";
        assert_eq!(
            prometheus_counter(metrics, "db_statements_total"),
            Some(1234.0)
        );
        assert_eq!(prometheus_counter(metrics, "db_statements"), None);
        let status =
            "Name:\tgovskills\nVmPeak:\t  999 kB\nVmHWM:\t   51234 kB\nVmRSS:\t 40000 kB\n";
        assert_eq!(peak_rss_kib(status), Some(51234));
        assert_eq!(peak_rss_kib("Name: x\n"), None);
    }
}
