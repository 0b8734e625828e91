//! Redis over TLS (`rediss://`), against a real `redis-server` with TLS on a loopback port,
//! started by the test with a certificate authority the test makes with `openssl`.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use secrecy::SecretString;
use uuid::Uuid;

use crate::helpers::{LEARNER1, PASSWORD, assert_error, spawn_app_with};

/// A TLS-only Redis in a temporary directory; stopped and removed when dropped.
struct TlsRedis {
    dir: PathBuf,
    port: u16,
    server: Child,
}

impl Drop for TlsRedis {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn run(dir: &Path, program: &str, args: &[&str]) {
    let status = Command::new(program)
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap_or_else(|err| panic!("{program} runs: {err}"));
    assert!(status.success(), "{program} {args:?} failed");
}

impl TlsRedis {
    fn start() -> Self {
        let dir = std::env::temp_dir().join(format!("govskills-redis-tls-{}", Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        // A certificate authority, and a server certificate for 127.0.0.1 signed by it.
        run(
            &dir,
            "openssl",
            &[
                &["req", "-x509"][..],
                &ec,
                &[
                    "-keyout",
                    "ca.key",
                    "-out",
                    "ca.pem",
                    "-days",
                    "1",
                    "-subj",
                    "/CN=GovSkills test CA",
                ],
            ]
            .concat(),
        );
        run(
            &dir,
            "openssl",
            &[
                &["req"][..],
                &ec,
                &[
                    "-keyout",
                    "server.key",
                    "-out",
                    "server.csr",
                    "-subj",
                    "/CN=127.0.0.1",
                ],
            ]
            .concat(),
        );
        std::fs::write(
            dir.join("server.ext"),
            "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
        )
        .expect("written");
        run(
            &dir,
            "openssl",
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "server.pem",
                "-days",
                "1",
                "-extfile",
                "server.ext",
            ],
        );

        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let server = Command::new("redis-server")
            .args([
                "--port",
                "0",
                "--bind",
                "127.0.0.1",
                "--tls-port",
                &port.to_string(),
                "--tls-cert-file",
                "server.pem",
                "--tls-key-file",
                "server.key",
                "--tls-ca-cert-file",
                "ca.pem",
                "--tls-auth-clients",
                "no",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                ".",
            ])
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts (it is installed where the tests run)");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "redis-server did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { dir, port, server }
    }

    fn url(&self) -> SecretString {
        SecretString::from(format!("rediss://127.0.0.1:{}", self.port))
    }
}

#[tokio::test]
async fn sessions_live_in_a_redis_reached_over_tls() {
    let redis = TlsRedis::start();
    let app = spawn_app_with(|config| {
        config.redis_url = Some(redis.url());
        config.redis_ca_file = Some(redis.dir.join("ca.pem"));
        config.redis_key_prefix = format!("govskills-test:{}:", Uuid::new_v4().simple());
    })
    .await;

    let token = app.login(LEARNER1, PASSWORD).await;
    assert_eq!(app.me(&token).await["email"], LEARNER1);
    let ready = app
        .client
        .get(app.url("/readyz"))
        .send()
        .await
        .expect("answers");
    assert_eq!(ready.status(), 200);
}

#[tokio::test]
async fn a_redis_certificate_from_an_unknown_authority_is_refused_never_anonymous() {
    let redis = TlsRedis::start();
    let app = spawn_app_with(|config| {
        config.redis_url = Some(redis.url());
        config.redis_key_prefix = format!("govskills-test:{}:", Uuid::new_v4().simple());
    })
    .await;

    assert_error(
        &app.try_login(LEARNER1, PASSWORD).await,
        "UNAVAILABLE",
        None,
    );
    let ready = app
        .client
        .get(app.url("/readyz"))
        .send()
        .await
        .expect("answers");
    assert_eq!(ready.status(), 503);
}
