//! TLS to PostgreSQL with `sslmode=verify-full`: a throw-away PostgreSQL server with a
//! certificate signed by a test CA, started for this test (as the `postgres` system user).
//! Verified: the right CA connects and migrates; a wrong CA or a host name that the
//! certificate does not name is refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use vigie_store::testing::now;
use vigie_store::{DbUrl, Store};

fn sh(cmd: &mut Command) {
    let out = cmd.output().expect("command runs");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn pg_bin() -> Option<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("bin"))
        .collect();
    v.sort();
    v.pop().filter(|p| p.join("initdb").exists())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Stops the server even when the test fails.
struct Server {
    bin: PathBuf,
    data: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join("pg_ctl"))
            .args(["-D"])
            .arg(&self.data)
            .args(["-m", "immediate", "stop"])
            .output();
    }
}

fn certs(dir: &Path, name: &str, san: &str) {
    let p = |f: &str| dir.join(f).display().to_string();
    sh(Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            &format!("/CN={name} CA"),
        ])
        .args([
            "-keyout",
            &p(&format!("{name}-ca.key")),
            "-out",
            &p(&format!("{name}-ca.crt")),
        ]));
    sh(Command::new("openssl").args([
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        &p(&format!("{name}.key")),
        "-out",
        &p(&format!("{name}.csr")),
    ]));
    std::fs::write(
        dir.join(format!("{name}.ext")),
        format!("subjectAltName={san}\n"),
    )
    .unwrap();
    sh(Command::new("openssl")
        .args([
            "x509",
            "-req",
            "-days",
            "2",
            "-in",
            &p(&format!("{name}.csr")),
        ])
        .args([
            "-CA",
            &p(&format!("{name}-ca.crt")),
            "-CAkey",
            &p(&format!("{name}-ca.key")),
            "-CAcreateserial",
            "-out",
            &p(&format!("{name}.crt")),
            "-extfile",
            &p(&format!("{name}.ext")),
        ]));
}

#[tokio::test]
async fn postgres_over_tls_with_verify_full() {
    let (Some(bin), true) = (pg_bin(), is_root()) else {
        eprintln!(
            "test TLS ignoré : il faut les binaires PostgreSQL et les droits root pour lancer un serveur de test"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    certs(d, "server", "DNS:localhost");
    certs(d, "other", "DNS:localhost");
    let data = d.join("data");
    sh(Command::new("chown").arg("-R").arg("postgres").arg(d));
    sh(Command::new("chmod").arg("600").arg(d.join("server.key")));
    sh(Command::new("runuser")
        .args(["-u", "postgres", "--"])
        .arg(bin.join("initdb"))
        .arg("-D")
        .arg(&data)
        .args(["-A", "trust", "-U", "postgres", "--no-sync"]));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let opts = format!(
        "-p {port} -k {} -c listen_addresses=127.0.0.1 -c ssl=on -c ssl_cert_file={} -c ssl_key_file={} -c fsync=off",
        d.display(),
        d.join("server.crt").display(),
        d.join("server.key").display()
    );
    let _server = Server {
        bin: bin.clone(),
        data: data.clone(),
    };
    sh(Command::new("runuser")
        .args(["-u", "postgres", "--"])
        .arg(bin.join("pg_ctl"))
        .arg("-D")
        .arg(&data)
        .args(["-o", &opts, "-w", "-l"])
        .arg(d.join("pg.log"))
        .arg("start"));

    let url = |host: &str, ca: &str| -> DbUrl {
        format!(
            "postgres://postgres@{host}:{port}/postgres?sslmode=verify-full&sslrootcert={}",
            d.join(ca).display()
        )
        .parse()
        .unwrap()
    };
    // The right CA and the name in the certificate: connects, migrates, and the session is encrypted.
    let store = Store::connect(&url("localhost", "server-ca.crt"), chrono_tz::Europe::Paris)
        .await
        .unwrap();
    store.migrate(now()).await.unwrap();
    assert_eq!(
        store.schema_version().await.unwrap(),
        vigie_store::migrate::latest_version()
    );
    assert!(
        vigie_store::testing::is_tls(&store).await,
        "the connection uses TLS"
    );
    store.close().await;
    // A certificate from another CA is refused.
    let e = Store::connect(&url("localhost", "other-ca.crt"), chrono_tz::Europe::Paris)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("inaccessible"), "{e}");
    // A host name the certificate does not name is refused.
    let e = Store::connect(&url("127.0.0.1", "server-ca.crt"), chrono_tz::Europe::Paris)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("inaccessible"), "{e}");
}
