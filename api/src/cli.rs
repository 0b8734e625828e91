//! The command line: `serve` (the default), `migrate`, `create-admin`, `export-schema`,
//! `seed-scale`, `generate-issuer-key`, `verify-credential`, `revoke-key`.

use std::{
    io::{BufRead as _, IsTerminal as _, Read as _},
    path::PathBuf,
};

use anyhow::{Context as _, bail};
use clap::{Args, Parser, Subcommand};
use govskills_domain::{
    accounts, certificates,
    credentials::{self, Algorithm, IssuerSource},
    demo, org, scale,
    types::Name,
};
use uuid::Uuid;

use crate::{
    config::Config,
    graphql,
    startup::{Application, connect_database, migrate},
};

/// GovSkills: digital-skills training for public-sector staff, as one GraphQL service.
///
/// Every option is also an environment variable (shown in brackets).
#[derive(Debug, Parser)]
#[command(name = "govskills", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (the default when no command is given).
    Serve(ServeArgs),
    /// Run only the background worker (notifications, email): for a deployment whose serving
    /// replicas run with `--no-workers`. Applies pending migrations first, as `serve` does,
    /// unless `GOVSKILLS_SKIP_MIGRATIONS`.
    Worker,
    /// Apply pending database migrations, then exit.
    Migrate,
    /// Apply every authority's retention policy once (what the worker does daily), print what
    /// was removed, then exit: for a cron job where no worker runs. Safe to repeat.
    Purge,
    /// Create a platform administrator. The password is read from standard input when it is
    /// not a terminal, else prompted for; it is never a flag.
    CreateAdmin {
        /// The administrator's sign-in email.
        #[arg(long)]
        email: String,
        /// The name shown for the administrator.
        #[arg(long, default_value = "Platform administrator")]
        display_name: String,
        /// The org unit the account belongs to; default: a top-level unit named
        /// "Platform administration", created when missing.
        #[arg(long)]
        org_unit_id: Option<Uuid>,
    },
    /// Print the GraphQL schema (SDL) to standard output.
    ExportSchema,
    /// Fill the database with a generated organisation of N staff (org tree, job roles,
    /// competence results, assignments) for measuring reports at scale. Refused in production.
    SeedScale {
        /// How many staff to generate.
        #[arg(long)]
        staff: u32,
        /// The name of the new top-level org unit; default: "Scale ministry (N staff)".
        #[arg(long)]
        name: Option<String>,
        /// Seed of the generator: the same seed gives the same organisation.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
    /// Print new issuer signing keys as PKCS#8 PEM (for GOVSKILLS_ISSUER_KEY_FILE or
    /// GOVSKILLS_ISSUER_KEY): by default an RSA key for RS256 and an Ed25519 key for EdDSA, one
    /// after the other; their key ids go to standard error.
    GenerateIssuerKey {
        /// Only a key for this algorithm.
        #[arg(long, value_enum)]
        algorithm: Option<KeyAlgorithm>,
    },
    /// Check a downloaded certificate credential (a VC-JWT): its signature against the issuer's
    /// public keys, its dates, and that it was not altered; then, when the issuer's status list
    /// can be reached, whether it was revoked. Without a network the answer says the status was
    /// not checked.
    VerifyCredential {
        /// File holding the credential as downloaded from `/credentials/{code}` (`-` reads
        /// standard input).
        file: PathBuf,
        /// The issuer's key set: a file saved from `/.well-known/jwks.json` (or an issuer
        /// profile's `/jwks.json`), or that URL.
        #[arg(long)]
        jwks: String,
        /// Do not fetch the status list: check the signature and dates only.
        #[arg(long)]
        offline: bool,
    },
    /// Revoke every still-valid certificate signed by a compromised issuer key, and re-issue
    /// under the configured (new) key each one whose holder still meets its criteria; audited.
    /// Rotate first: the configured key must be the newest one, and not KID.
    RevokeKey {
        /// The compromised key's id (`kid`), as `/.well-known/jwks.json` and the credentials'
        /// JWS headers name it.
        kid: String,
        /// Why, for the record and for the certificates' revocation reason.
        #[arg(long)]
        reason: String,
    },
}

/// A signature algorithm of issuer keys.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum KeyAlgorithm {
    /// RSA (3072 bits) with SHA-256: what every Open Badges 3.0 verifier supports.
    Rs256,
    /// Ed25519.
    Eddsa,
}

#[derive(Debug, Default, Args)]
pub struct ServeArgs {
    /// Load a demo organisation and accounts (refused in production) and print their logins.
    #[arg(long)]
    pub demo: bool,
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = cli.config;
    match cli.command.unwrap_or(Command::Serve(ServeArgs::default())) {
        Command::Serve(args) => serve(&config, args.demo).await,
        Command::Worker => run_worker(&config).await,
        Command::Purge => {
            config.validate()?;
            let db = connect_database(&config).await?;
            let purged = crate::worker::purge(&db, config.clock().now()).await?;
            for (kind, removed) in purged.kinds() {
                println!("{kind}: {removed}");
            }
            Ok(())
        }
        Command::Migrate => {
            config.validate()?;
            let db = connect_database(&config).await?;
            migrate(&db).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::CreateAdmin {
            email,
            display_name,
            org_unit_id,
        } => create_admin(&config, email, display_name, org_unit_id).await,
        Command::ExportSchema => {
            print!("{}", graphql::sdl());
            Ok(())
        }
        Command::SeedScale { staff, name, seed } => seed_scale(&config, staff, name, seed).await,
        Command::VerifyCredential {
            file,
            jwks,
            offline,
        } => verify_credential(&file, &jwks, offline).await,
        Command::RevokeKey { kid, reason } => revoke_key(&config, &kid, &reason).await,
        Command::GenerateIssuerKey { algorithm } => {
            let algorithms = match algorithm {
                Some(KeyAlgorithm::Rs256) => vec![Algorithm::Rs256],
                Some(KeyAlgorithm::Eddsa) => vec![Algorithm::EdDsa],
                None => Algorithm::ALL.to_vec(),
            };
            for algorithm in algorithms {
                let key = credentials::IssuerKey::generate(algorithm)?;
                print!("{}", key.to_pem());
                eprintln!("{algorithm} key id (kid): {}", key.kid());
            }
            Ok(())
        }
    }
}

async fn verify_credential(
    file: &std::path::Path,
    jwks: &str,
    offline: bool,
) -> anyhow::Result<()> {
    let token = if file.as_os_str() == "-" {
        let mut token = String::new();
        std::io::stdin()
            .read_to_string(&mut token)
            .context("failed to read the credential from standard input")?;
        token
    } else {
        std::fs::read_to_string(file)
            .with_context(|| format!("failed to read the credential {}", file.display()))?
    };
    let jwks_text = if jwks.starts_with("http://") || jwks.starts_with("https://") {
        fetch(jwks).await?
    } else {
        std::fs::read_to_string(jwks)
            .with_context(|| format!("failed to read the key set {jwks}"))?
    };
    let jwks: credentials::Jwks = serde_json::from_str(&jwks_text)
        .context("the key set is not a JWKS ({\"keys\": [...]})")?;
    let now = chrono::Utc::now();
    let verified =
        credentials::verify(&token, &jwks, now).context("the credential does NOT verify")?;
    let vc = &verified.credential;
    let text = |value: &serde_json::Value| value.as_str().unwrap_or("?").to_owned();
    println!(
        "The credential verifies: signed by {} key {}, not altered, within its dates.",
        verified.algorithm, verified.kid
    );
    println!("  certificate: {}", text(&vc["name"]));
    let names = vc["credentialSubject"]["identifier"].as_array().cloned();
    let name = names
        .unwrap_or_default()
        .into_iter()
        .find(|identifier| identifier["identityType"] == "name")
        .map_or_else(
            || "?".to_owned(),
            |identifier| text(&identifier["identityHash"]),
        );
    println!("  holder:      {name}");
    println!(
        "  issuer:      {} ({})",
        text(&vc["issuer"]["name"]),
        text(&vc["issuer"]["id"])
    );
    println!("  valid from:  {}", verified.valid_from.to_rfc3339());
    match verified.valid_until {
        Some(until) => println!("  valid until: {}", until.to_rfc3339()),
        None => println!("  valid until: (no expiry)"),
    }
    let Some((list_url, position)) = verified.status_entry() else {
        println!(
            "  status:      not published (issued before status lists); see {}",
            text(&vc["id"]).replacen("/credentials/", "/verify/", 1)
        );
        return Ok(());
    };
    if offline {
        println!("  status:      signature valid, status not checked (offline)");
        return Ok(());
    }
    let list = match fetch(&list_url).await {
        Ok(list) => list,
        Err(err) => {
            println!("  status:      signature valid, status not checked (offline): {err:#}");
            return Ok(());
        }
    };
    let list = credentials::verify_status_list(&list, &jwks, &vc["issuer"]["id"], now)
        .context("the issuer's status list does NOT verify")?;
    match credentials::status::bit_is_set(&list, position) {
        Some(false) => {
            println!("  status:      not revoked (checked against {list_url})");
            Ok(())
        }
        Some(true) => bail!(
            "the credential was REVOKED by its issuer (status list {list_url}, entry {position})"
        ),
        None => bail!("the status list {list_url} has no entry {position}"),
    }
}

/// `govskills worker`: the background worker alone, until SIGINT or SIGTERM.
async fn run_worker(config: &Config) -> anyhow::Result<()> {
    config.validate_serve()?;
    crate::startup::install_tls_provider();
    let db = connect_database(config).await?;
    if !config.skip_migrations {
        migrate(&db).await?;
    }
    let worker = crate::startup::worker(
        config,
        db.clone(),
        &config.public_url(),
        std::sync::Arc::new(config.clock()),
    )?;
    tracing::info!("GovSkills worker running");
    worker.run(crate::startup::shutdown_signal()).await;
    db.close()
        .await
        .context("failed to close the database pool")?;
    Ok(())
}

async fn serve(config: &Config, with_demo: bool) -> anyhow::Result<()> {
    if with_demo && config.is_production() {
        bail!("--demo is refused in production: demo accounts have a published password");
    }
    let app = Application::build(config).await?;
    if with_demo {
        let seeded = demo::seed(app.db())
            .await
            .context("failed to load the demo data")?;
        println!("Demo accounts (password: {}):", demo::PASSWORD);
        for account in &seeded.accounts {
            println!("  {:<32} {}", account.email, account.description);
        }
        let course = demo::seed_course(app.db())
            .await
            .context("failed to load the demo course")?;
        println!("Demo course (published, DigComp 1.1 and 1.2, with a final test): {course}");
        println!("Demo placement test: {}", demo::PLACEMENT_TEST_TITLE);
        let certificate = demo::seed_certificate(app.db())
            .await
            .context("failed to load the demo certificate template")?;
        println!(
            "Demo certificate (earned by completing the demo course and passing its final test): {certificate}"
        );
        let issuer = app
            .issuer()
            .get(app.db())
            .await
            .context("failed to load the certificate issuer's key")?;
        demo::seed_story(app.db(), issuer)
            .await
            .context("failed to load what the demo people have done")?;
        println!(
            "Demo story: learner1 (Caseworker) is assigned the demo course, due in 30 days, one \
             lesson done; learner2 (Data analyst, uses AI systems) is a week overdue and has \
             rated themselves"
        );
    }
    let host = config
        .listen
        .rsplit_once(':')
        .map_or(config.listen.as_str(), |(host, _)| host);
    tracing::info!(port = app.port(), "GovSkills is listening");
    println!("GraphQL:  http://{host}:{}/graphql", app.port());
    if !config.is_production() {
        println!("GraphiQL: http://{host}:{}/graphiql", app.port());
    }
    app.run_until_stopped().await
}

async fn create_admin(
    config: &Config,
    email: String,
    display_name: String,
    org_unit_id: Option<Uuid>,
) -> anyhow::Result<()> {
    config.validate()?;
    let password = read_password()?;
    let db = connect_database(config).await?;
    migrate(&db).await?;
    let org_unit_id = match org_unit_id {
        Some(id) => id,
        None => {
            let name = Name::parse("Platform administration", "name")?;
            org::find_or_create_authority(&db, name).await?.id
        }
    };
    let user = accounts::provision(
        &db,
        accounts::NewUser {
            email,
            display_name,
            password,
            org_unit_id,
        },
        &[accounts::GrantRequest {
            role: govskills_domain::types::Role::Admin,
            org_unit_id: None,
        }],
    )
    .await
    .map_err(|err| anyhow::anyhow!("{err}"))?;
    println!(
        "Created platform administrator {} ({})",
        user.email, user.id
    );
    Ok(())
}

async fn seed_scale(
    config: &Config,
    staff: u32,
    name: Option<String>,
    seed: u64,
) -> anyhow::Result<()> {
    if config.is_production() {
        bail!("seed-scale is refused in production: it writes made-up staff");
    }
    config.validate()?;
    let db = connect_database(config).await?;
    migrate(&db).await?;
    let name = name.unwrap_or_else(|| format!("Scale ministry ({staff} staff)"));
    let started = std::time::Instant::now();
    let issuer = IssuerSource::new(config.configured_issuer_keys()?, &config.public_url());
    let issuer = issuer
        .get(&db)
        .await
        .context("failed to load the certificate issuer's key")?;
    let generated = scale::generate(&db, issuer, &name, staff, seed)
        .await
        .context("failed to generate the organisation")?;
    println!(
        "Generated \"{name}\" ({}) in {:.1} s: {} units, {} staff, {} competence results, \
         {} assignments, {} certificates",
        generated.authority.id,
        started.elapsed().as_secs_f64(),
        generated.units,
        generated.staff,
        generated.results,
        generated.enrollments,
        generated.certificates,
    );
    println!(
        "HR officer for it: {} (password: {})",
        generated.hr_email,
        scale::PASSWORD
    );
    Ok(())
}

/// `revoke-key`: revokes what a compromised key signed and re-issues under the configured key,
/// loaded as `serve` and `seed-scale` load it (which records it, and retires the keys before
/// it).
async fn revoke_key(config: &Config, kid: &str, reason: &str) -> anyhow::Result<()> {
    config.validate()?;
    let db = connect_database(config).await?;
    // Where a Job migrates (every replica in compose and Kubernetes), the operator's shell does
    // not either: the schema is the Job's business.
    if !config.skip_migrations {
        migrate(&db).await?;
    }
    let issuer = IssuerSource::new(config.configured_issuer_keys()?, &config.public_url());
    let done = certificates::revoke_signed_by(
        &db,
        certificates::KeyRevoker::Operator,
        kid,
        reason,
        &issuer,
    )
    .await
    .map_err(anyhow::Error::new)
    .with_context(|| format!("failed to revoke the certificates of key {kid}"))?;
    println!(
        "Revoked {} certificate(s) signed by key {}; re-issued {} (under key {}).",
        done.revoked,
        done.kid,
        done.reissued,
        done.current_kid
            .as_deref()
            .unwrap_or("of each authority's algorithm")
    );
    Ok(())
}

/// Fetches a key set or a status list from the issuer.
async fn fetch(url: &str) -> anyhow::Result<String> {
    crate::startup::install_tls_provider();
    let response = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .context("failed to set up the HTTP client")?
        .get(url)
        .send()
        .await
        .with_context(|| format!("failed to fetch {url}"))?
        .error_for_status()
        .with_context(|| format!("{url} could not be fetched"))?;
    response
        .text()
        .await
        .with_context(|| format!("failed to read {url}"))
}

fn read_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password (12 to 128 characters): ")
            .context("failed to read the password")?;
        let second = rpassword::prompt_password("Repeat password: ")
            .context("failed to read the password")?;
        if first != second {
            bail!("the passwords do not match");
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("failed to read the password from standard input")?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}
