//! Configuration: one typed struct, read from flags and `GOVSKILLS_*` environment variables.
//! `govskills --help` prints this as the configuration reference.

use std::{path::PathBuf, time::Duration};

use anyhow::{Context as _, bail};
use clap::{Args, ValueEnum};
use govskills_domain::credentials::IssuerKey;
use secrecy::{ExposeSecret, SecretString};

/// The reports' minimum group size in production when `GOVSKILLS_REPORT_MIN_GROUP_SIZE` is unset.
pub const DEFAULT_PRODUCTION_MIN_GROUP_SIZE: u32 = 5;

fn secret(raw: &str) -> Result<SecretString, std::convert::Infallible> {
    Ok(SecretString::from(raw.to_owned()))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Environment {
    /// GraphiQL, introspection and field suggestions on; SQLite and in-process sessions allowed.
    Development,
    /// PostgreSQL and Redis required; GraphiQL, introspection and suggestions off; `Secure` cookies.
    Production,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Every setting of the service. Secrets (URLs that may carry passwords) never print.
#[derive(Clone, Debug, Args)]
pub struct Config {
    /// Database: `sqlite://FILE?mode=rwc` or `postgres://USER:PASSWORD@HOST/DB`.
    #[arg(
        long,
        env = "GOVSKILLS_DATABASE_URL",
        default_value = "sqlite://govskills.db?mode=rwc",
        hide_default_value = false,
        value_parser = secret,
        hide_env_values = true,
        global = true
    )]
    pub database_url: SecretString,

    /// Optional read replica (a PostgreSQL standby of the primary), e.g.
    /// `postgres://USER:PASSWORD@replica/DB`: the catalogue and the HR reports read there, and
    /// nothing that must read its own writes does (sign-in, sessions, every mutation, a
    /// learner's own pages). The replica may lag the primary by a few seconds: a course
    /// published a moment ago can be missing from the catalogue, and a result from the report
    /// for that long (see deploy/README.md). Unset: everything reads from the primary.
    #[arg(
        long,
        env = "GOVSKILLS_DATABASE_READ_URL",
        value_parser = secret,
        hide_env_values = true,
        global = true
    )]
    pub database_read_url: Option<SecretString>,

    /// Most database connections in the pool.
    #[arg(
        long,
        env = "GOVSKILLS_DATABASE_MAX_CONNECTIONS",
        default_value_t = 16,
        global = true
    )]
    pub database_max_connections: u32,

    /// Redis for sessions and login throttling, e.g. `redis://127.0.0.1:6379`, or
    /// `rediss://host:6380` for Redis over TLS (the server's certificate is checked against the
    /// system's certificate authorities, or `GOVSKILLS_REDIS_CA_FILE`). Unset: an in-process
    /// store, which is neither shared between replicas nor kept across restarts.
    #[arg(
        long,
        env = "GOVSKILLS_REDIS_URL",
        value_parser = secret,
        hide_env_values = true,
        global = true
    )]
    pub redis_url: Option<SecretString>,

    /// The key that seals identity providers' client secrets in the database: 32 random bytes,
    /// base64-encoded (`openssl rand -base64 32`). Required in production before a provider
    /// can be configured; without it (development) secrets are stored as given.
    #[arg(
        long,
        env = "GOVSKILLS_SECRET_KEY",
        value_parser = secret,
        hide_env_values = true,
        global = true
    )]
    pub secret_key: Option<SecretString>,

    /// The certificate authorities (PEM) to trust for a `rediss://` Redis instead of the
    /// system's: for a Redis whose certificate an internal CA signed.
    #[arg(long, env = "GOVSKILLS_REDIS_CA_FILE", global = true)]
    pub redis_ca_file: Option<PathBuf>,

    /// Prefix of every Redis key, so several deployments (or test runs) can share one Redis.
    #[arg(
        long,
        env = "GOVSKILLS_REDIS_KEY_PREFIX",
        default_value = "govskills:",
        global = true
    )]
    pub redis_key_prefix: String,

    /// Address and port to serve on; port 0 picks a free port.
    #[arg(
        long,
        env = "GOVSKILLS_LISTEN",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub listen: String,

    /// `development` or `production`.
    #[arg(
        long = "env",
        env = "GOVSKILLS_ENV",
        value_enum,
        default_value_t = Environment::Development,
        global = true
    )]
    pub environment: Environment,

    /// Base URL used in verification links and QR codes. Default: `http://` + the listen address.
    #[arg(long, env = "GOVSKILLS_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,

    /// Log format: `pretty` or `json`. The level comes from `RUST_LOG` (default `info`).
    #[arg(
        long,
        env = "GOVSKILLS_LOG_FORMAT",
        value_enum,
        default_value_t = LogFormat::Pretty,
        global = true
    )]
    pub log_format: LogFormat,

    /// Web client origins allowed to call the API, comma-separated. Default: none.
    #[arg(
        long,
        env = "GOVSKILLS_CORS_ORIGINS",
        value_delimiter = ',',
        global = true
    )]
    pub cors_origins: Vec<String>,

    /// Take the client address for login throttling from the last `X-Forwarded-For` entry
    /// (set this only behind a proxy or load balancer that appends it); else the TCP peer.
    #[arg(
        long,
        env = "GOVSKILLS_TRUST_FORWARDED_FOR",
        default_value_t = false,
        global = true
    )]
    pub trust_forwarded_for: bool,

    /// `serve` does not apply pending migrations at start; `govskills migrate` (a Kubernetes Job,
    /// once per release) does. Set this where several replicas start at once.
    #[arg(
        long,
        env = "GOVSKILLS_SKIP_MIGRATIONS",
        default_value_t = false,
        global = true
    )]
    pub skip_migrations: bool,
    /// Milliseconds a DataLoader collects keys before it queries. Longer windows batch large
    /// pages into fewer statements when the machine is busy, at that cost in latency per level
    /// of nesting; shorter ones answer small queries sooner.
    #[arg(
        long,
        env = "GOVSKILLS_DATALOADER_WINDOW_MS",
        default_value_t = 1,
        global = true
    )]
    pub dataloader_window_ms: u64,

    /// The certificate issuer's signing keys: a file holding one or two PEM private keys, an
    /// RSA key (3072 bits recommended; `openssl genpkey -algorithm rsa -pkeyopt
    /// rsa_keygen_bits:3072`) for `RS256` and/or an Ed25519 key (`openssl genpkey -algorithm
    /// ed25519`) for `EdDSA`, or `govskills generate-issuer-key` output. Required in production
    /// (this or `GOVSKILLS_ISSUER_KEY`); in development one key of each kind is generated on
    /// first start and kept in the database.
    #[arg(long, env = "GOVSKILLS_ISSUER_KEY_FILE", global = true)]
    pub issuer_key_file: Option<PathBuf>,

    /// The certificate issuer's signing keys as PEM text (see `GOVSKILLS_ISSUER_KEY_FILE`), for
    /// platforms that pass secrets as variables.
    #[arg(
        long,
        env = "GOVSKILLS_ISSUER_KEY",
        value_parser = secret,
        hide_env_values = true,
        global = true
    )]
    pub issuer_key: Option<SecretString>,

    /// Certificate verifications (verify page, credential downloads, `verifyCertificate`)
    /// allowed per client address per minute.
    #[arg(
        long,
        env = "GOVSKILLS_VERIFY_RATE_LIMIT",
        default_value_t = 60,
        global = true
    )]
    pub verify_rate_limit: u32,

    /// Mebibytes of catalogue answers each server keeps, to give again to people with the
    /// same view of the catalogue until a course, its parts or an owner's name change
    /// (`crate::http::answers`); 0 keeps none.
    #[arg(
        long,
        env = "GOVSKILLS_CATALOGUE_CACHE_MB",
        default_value_t = 16,
        global = true
    )]
    pub catalogue_cache_mb: u64,

    /// A session ends after this many seconds without a request (sliding).
    #[arg(
        long,
        env = "GOVSKILLS_SESSION_IDLE_SECS",
        default_value_t = 30 * 60,
        global = true
    )]
    pub session_idle_secs: u64,

    /// A session ends this many seconds after sign-in, however active.
    #[arg(
        long,
        env = "GOVSKILLS_SESSION_LIFETIME_SECS",
        default_value_t = 12 * 60 * 60,
        global = true
    )]
    pub session_lifetime_secs: u64,

    /// Privacy for staff councils: the platform's default minimum group size of the HR reports
    /// (an authority may set its own with `setReportPrivacy`). A group of fewer active staff
    /// shows no figures, only that they are suppressed, with complementary suppression so that
    /// none can be worked out from the rest. Unset: 5 in production, 0 (off) in development.
    /// Production refuses less than 3: an authority may go lower only through
    /// `setReportPrivacy`, with a recorded reason.
    #[arg(long, env = "GOVSKILLS_REPORT_MIN_GROUP_SIZE", global = true)]
    pub report_min_group_size: Option<u32>,

    /// The SMTP relay notifications are emailed through: `smtp://host:25`,
    /// `smtp://user:password@host:587?tls=required` (STARTTLS) or `smtps://user:password@host:465`
    /// (TLS). Unset: notifications stay in the app.
    #[arg(
        long,
        env = "GOVSKILLS_SMTP_URL",
        value_parser = secret,
        hide_env_values = true,
        global = true
    )]
    pub smtp_url: Option<SecretString>,

    /// The sender of notification emails, e.g. `GovSkills <training@ministry.example>`; required
    /// with `GOVSKILLS_SMTP_URL`.
    #[arg(long, env = "GOVSKILLS_MAIL_FROM", global = true)]
    pub mail_from: Option<String>,

    /// Do not run the background worker in this process (run `govskills worker` elsewhere).
    #[arg(long, env = "GOVSKILLS_NO_WORKERS", global = true)]
    pub no_workers: bool,

    /// How often the worker looks for due jobs when it found none, in milliseconds.
    #[arg(
        long,
        env = "GOVSKILLS_WORKER_POLL_MS",
        default_value_t = 1000,
        global = true
    )]
    pub worker_poll_ms: u64,

    /// How often the worker scans for notifications that are due (reminders, expiries), in
    /// seconds.
    #[arg(
        long,
        env = "GOVSKILLS_NOTIFICATION_SCAN_SECS",
        default_value_t = 60,
        global = true
    )]
    pub notification_scan_secs: u64,

    /// Moves the clock background work goes by (reminders, expiries) this many days ahead, to
    /// see a week of reminders without waiting a week. Development only: refused in production.
    #[arg(
        long,
        env = "GOVSKILLS_CLOCK_OFFSET_DAYS",
        default_value_t = 0,
        global = true
    )]
    pub clock_offset_days: i64,

    /// Where visitors send feedback about the accessibility of the public pages, named on the
    /// accessibility statement (`/accessibility`) as the Web Accessibility Directive requires: an
    /// email address or an `https://` URL (a contact form). Required in production; development
    /// shows a placeholder.
    #[arg(long, env = "GOVSKILLS_ACCESSIBILITY_CONTACT", global = true)]
    pub accessibility_contact: Option<String>,

    /// The page of the enforcement body the accessibility statement names, for visitors whose
    /// feedback was not answered to their satisfaction (in Germany, for example, the federal or
    /// state arbitration body). Required in production; development shows a placeholder.
    #[arg(long, env = "GOVSKILLS_ACCESSIBILITY_ENFORCEMENT_URL", global = true)]
    pub accessibility_enforcement_url: Option<String>,
}

impl Config {
    /// The clock background work goes by (see `GOVSKILLS_CLOCK_OFFSET_DAYS`).
    pub fn clock(&self) -> govskills_domain::clock::Clock {
        govskills_domain::clock::Clock::with_offset(chrono::Duration::days(self.clock_offset_days))
    }

    /// The defaults, as if no flag or variable were given (for tests and tools).
    pub fn defaults() -> Self {
        use clap::FromArgMatches as _;
        let command = <Self as Args>::augment_args(clap::Command::new("govskills"));
        let matches = command.get_matches_from(["govskills"]);
        #[expect(clippy::unwrap_used, reason = "the defaults always parse")]
        Self::from_arg_matches(&matches).unwrap()
    }

    pub fn is_production(&self) -> bool {
        self.environment == Environment::Production
    }

    /// The platform's default minimum group size of the reports: `GOVSKILLS_REPORT_MIN_GROUP_SIZE`,
    /// else [`DEFAULT_PRODUCTION_MIN_GROUP_SIZE`] in production and 0 (off) in development.
    pub fn report_min_group_size(&self) -> u32 {
        self.report_min_group_size
            .unwrap_or(if self.is_production() {
                DEFAULT_PRODUCTION_MIN_GROUP_SIZE
            } else {
                0
            })
    }

    pub fn session_idle(&self) -> Duration {
        Duration::from_secs(self.session_idle_secs)
    }

    pub fn session_lifetime(&self) -> Duration {
        Duration::from_secs(self.session_lifetime_secs)
    }

    pub fn public_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen))
    }

    /// The key of `GOVSKILLS_SECRET_KEY`, parsed; `None` when unset.
    pub fn secret_key(&self) -> anyhow::Result<Option<govskills_domain::identity::SecretKey>> {
        self.secret_key
            .as_ref()
            .map(|key| {
                govskills_domain::identity::SecretKey::parse(key.expose_secret())
                    .map_err(|why| anyhow::anyhow!("GOVSKILLS_SECRET_KEY is invalid: {why}"))
            })
            .transpose()
    }

    /// The certificate authorities of `GOVSKILLS_REDIS_CA_FILE`, read; `None` when unset.
    pub fn redis_ca(&self) -> anyhow::Result<Option<Vec<u8>>> {
        self.redis_ca_file
            .as_ref()
            .map(|path| {
                std::fs::read(path).with_context(|| {
                    format!(
                        "failed to read the Redis CA file {} (GOVSKILLS_REDIS_CA_FILE)",
                        path.display()
                    )
                })
            })
            .transpose()
    }

    /// The configured issuer keys, read and parsed (one per algorithm at most); empty when none
    /// is configured (development then generates them and keeps them in the database).
    pub fn configured_issuer_keys(&self) -> anyhow::Result<Vec<IssuerKey>> {
        let pem = match (&self.issuer_key_file, &self.issuer_key) {
            (Some(_), Some(_)) => {
                bail!("set either GOVSKILLS_ISSUER_KEY_FILE or GOVSKILLS_ISSUER_KEY, not both")
            }
            (Some(path), None) => {
                SecretString::from(std::fs::read_to_string(path).with_context(|| {
                    format!(
                        "failed to read the issuer key file {} (GOVSKILLS_ISSUER_KEY_FILE)",
                        path.display()
                    )
                })?)
            }
            (None, Some(pem)) => pem.clone(),
            (None, None) => return Ok(Vec::new()),
        };
        IssuerKey::all_from_pem(pem.expose_secret())
            .context("the configured issuer key cannot be used")
    }

    /// What serving needs beyond [`Config::validate`]: in production Redis (sessions and
    /// throttles shared across replicas) and a configured issuer key; sane session timeouts and
    /// verification limit; and any configured key readable (so a wrong key stops the start,
    /// not the first issuance). `migrate` and `create-admin` serve nothing, sign nothing and
    /// ask for none of it.
    pub fn validate_serve(&self) -> anyhow::Result<()> {
        self.validate()?;
        if self.is_production() && self.redis_url.is_none() {
            bail!(
                "GOVSKILLS_ENV=production needs Redis for sessions shared across replicas: set GOVSKILLS_REDIS_URL"
            );
        }
        if self.verify_rate_limit == 0 {
            bail!("GOVSKILLS_VERIFY_RATE_LIMIT must be at least 1");
        }
        if self.session_idle_secs == 0 || self.session_lifetime_secs == 0 {
            bail!("session timeouts must be at least one second");
        }
        if self.session_idle_secs > self.session_lifetime_secs {
            bail!(
                "GOVSKILLS_SESSION_IDLE_SECS ({}) must not exceed GOVSKILLS_SESSION_LIFETIME_SECS ({})",
                self.session_idle_secs,
                self.session_lifetime_secs
            );
        }
        if self.is_production() && self.issuer_key_file.is_none() && self.issuer_key.is_none() {
            bail!(
                "GOVSKILLS_ENV=production needs the certificate issuer's signing key: set GOVSKILLS_ISSUER_KEY_FILE (or GOVSKILLS_ISSUER_KEY) to an RSA and/or an Ed25519 PEM private key, e.g. from `govskills generate-issuer-key`"
            );
        }
        self.configured_issuer_keys()?;
        if self.is_production() && self.clock_offset_days != 0 {
            bail!("GOVSKILLS_CLOCK_OFFSET_DAYS is for development only; unset it in production");
        }
        let floor = govskills_domain::privacy::policy::MIN_GROUP_SIZE_FLOOR;
        if self.is_production() && self.report_min_group_size() < floor {
            bail!(
                "GOVSKILLS_REPORT_MIN_GROUP_SIZE is {}: production needs at least {floor} (leave it \
                 unset for {DEFAULT_PRODUCTION_MIN_GROUP_SIZE}); an authority may go lower only \
                 through `setReportPrivacy`, with a recorded reason",
                self.report_min_group_size()
            );
        }
        if self.worker_poll_ms == 0 || self.notification_scan_secs == 0 {
            bail!(
                "GOVSKILLS_WORKER_POLL_MS and GOVSKILLS_NOTIFICATION_SCAN_SECS must be at least 1"
            );
        }
        Ok(())
    }

    pub fn uses_postgres(&self) -> bool {
        let url = self.database_url.expose_secret();
        url.starts_with("postgres://") || url.starts_with("postgresql://")
    }

    /// What every command that opens the database needs (`migrate`, `create-admin`,
    /// `seed-scale`, and `serve` through [`Config::validate_serve`]): PostgreSQL in production.
    /// Refuses settings that cannot be right, with a message that says what to change.
    pub fn validate(&self) -> anyhow::Result<()> {
        if self.is_production() && !self.uses_postgres() {
            bail!(
                "GOVSKILLS_ENV=production needs PostgreSQL: set GOVSKILLS_DATABASE_URL to a postgres:// URL"
            );
        }
        if let Some(read) = &self.database_read_url {
            let read = read.expose_secret();
            if !self.uses_postgres()
                || !(read.starts_with("postgres://") || read.starts_with("postgresql://"))
            {
                bail!(
                    "GOVSKILLS_DATABASE_READ_URL is a PostgreSQL replica of a PostgreSQL primary: \
                     both it and GOVSKILLS_DATABASE_URL must be postgres:// URLs"
                );
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use govskills_domain::credentials::Algorithm;

    use super::*;

    #[test]
    fn defaults_are_the_embedded_development_setup() {
        let config = Config::defaults();
        assert_eq!(
            config.database_url.expose_secret(),
            "sqlite://govskills.db?mode=rwc"
        );
        assert!(config.redis_url.is_none());
        assert_eq!(config.listen, "127.0.0.1:8080");
        assert_eq!(config.environment, Environment::Development);
        assert_eq!(config.public_url(), "http://127.0.0.1:8080");
        assert!(!config.skip_migrations);
        config.validate().expect("the defaults are valid");
    }

    #[test]
    fn production_needs_postgres_and_redis() {
        let mut config = Config::defaults();
        config.environment = Environment::Production;
        let err = config.validate().expect_err("SQLite refused").to_string();
        assert!(err.contains("PostgreSQL"), "{err}");
        config.database_url = SecretString::from("postgres://db/govskills".to_owned());
        config
            .validate()
            .expect("migrations need neither Redis nor an issuer key");
        let err = config
            .validate_serve()
            .expect_err("serving without Redis is refused")
            .to_string();
        assert!(err.contains("GOVSKILLS_REDIS_URL"), "{err}");
        config.redis_url = Some(SecretString::from("redis://cache".to_owned()));
        let err = config
            .validate_serve()
            .expect_err("serving without an issuer key is refused")
            .to_string();
        assert!(err.contains("GOVSKILLS_ISSUER_KEY_FILE"), "{err}");
        let pem = IssuerKey::generate(Algorithm::EdDsa)
            .expect("random")
            .to_pem()
            .to_owned();
        config.issuer_key = Some(SecretString::from(pem));
        config
            .validate_serve()
            .expect("complete production settings are valid");
    }

    #[test]
    fn a_read_replica_is_a_postgres_replica_of_a_postgres_primary() {
        let mut config = Config::defaults();
        config.database_read_url = Some(SecretString::from("postgres://replica/x".to_owned()));
        let err = config.validate().expect_err("SQLite primary").to_string();
        assert!(err.contains("GOVSKILLS_DATABASE_READ_URL"), "{err}");
        config.database_url = SecretString::from("postgres://primary/x".to_owned());
        config.validate().expect("both PostgreSQL");
        config.database_read_url = Some(SecretString::from("sqlite://r.db".to_owned()));
        let err = config.validate().expect_err("SQLite replica").to_string();
        assert!(err.contains("postgres://"), "{err}");
    }

    #[test]
    fn the_minimum_group_size_is_5_in_production_unless_set_and_never_below_3() {
        let mut config = Config::defaults();
        assert_eq!(config.report_min_group_size, None);
        assert_eq!(config.report_min_group_size(), 0, "off in development");
        config.report_min_group_size = Some(2);
        assert_eq!(config.report_min_group_size(), 2);

        config.environment = Environment::Production;
        config.database_url = SecretString::from("postgres://db/govskills".to_owned());
        config.redis_url = Some(SecretString::from("redis://cache".to_owned()));
        config.issuer_key = Some(SecretString::from(
            IssuerKey::generate(Algorithm::EdDsa)
                .expect("random")
                .to_pem()
                .to_owned(),
        ));
        let err = config
            .validate_serve()
            .expect_err("below 3 is refused in production")
            .to_string();
        assert!(
            err.contains("GOVSKILLS_REPORT_MIN_GROUP_SIZE is 2"),
            "{err}"
        );
        assert!(err.contains("setReportPrivacy"), "{err}");
        config.report_min_group_size = Some(0);
        assert!(
            config.validate_serve().is_err(),
            "off is refused in production"
        );
        config.report_min_group_size = Some(3);
        config.validate_serve().expect("3 will do");
        config.report_min_group_size = None;
        assert_eq!(config.report_min_group_size(), 5);
        config.validate_serve().expect("the default will do");

        let parse = |args: &[&str]| {
            use clap::FromArgMatches as _;
            let command = <Config as Args>::augment_args(clap::Command::new("govskills"));
            Config::from_arg_matches(&command.get_matches_from(args)).expect("parses")
        };
        let production = parse(&["govskills", "--env", "production"]);
        assert_eq!(production.report_min_group_size(), 5);
        let explicit = parse(&[
            "govskills",
            "--env",
            "production",
            "--report-min-group-size",
            "8",
        ]);
        assert_eq!(explicit.report_min_group_size(), 8);
    }

    #[test]
    fn the_issuer_key_comes_from_a_file_or_a_variable_not_both() {
        let key = IssuerKey::generate(Algorithm::EdDsa).expect("random");
        let pem = key.to_pem().to_owned();
        let file = std::env::temp_dir().join(format!("govskills-key-{}.pem", uuid::Uuid::new_v4()));
        std::fs::write(&file, &pem).expect("written");
        let mut config = Config::defaults();
        assert!(config.configured_issuer_keys().expect("none").is_empty());
        config.issuer_key_file = Some(file.clone());
        let read = config.configured_issuer_keys().expect("reads");
        assert_eq!(
            read.iter().map(IssuerKey::kid).collect::<Vec<_>>(),
            [key.kid()]
        );
        config.issuer_key = Some(SecretString::from(pem.clone()));
        assert!(config.validate_serve().is_err(), "both set is refused");
        config.issuer_key_file = None;
        assert!(
            !format!("{config:?}").contains(&pem),
            "the key never prints"
        );
        config.issuer_key = Some(SecretString::from(
            "-----BEGIN PRIVATE KEY-----\nxx".to_owned(),
        ));
        let err = config.validate_serve().expect_err("garbage refused");
        assert!(format!("{err:#}").contains("PEM"), "{err:#}");
        let _ = std::fs::remove_file(file);
    }

    #[test]
    fn secrets_do_not_print() {
        let mut config = Config::defaults();
        config.database_url = SecretString::from("postgres://u:hunter2@db/x".to_owned());
        assert!(!format!("{config:?}").contains("hunter2"));
    }
}
