//! Test support, for tests only (feature `testing`): a real, private `clamd` (package
//! `clamav-daemon`), started in a temporary directory with ONE local signature (the EICAR test
//! string), because the official signatures cannot be downloaded in tests.
//!
//! Without `clamd` installed, [`PrivateClamd::start_or_skip`] prints one line and returns `None`
//! (the test passes) — except when `CI=true` (the CI installs `clamav-daemon`): then it panics.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::clamav::{self, Address};

/// The signature's name in the custom database (clamd reports it with `.UNOFFICIAL`).
pub const SIGNATURE: &str = "Vigie.Test.EICAR";

/// The private daemon refuses streams above this many bytes (`StreamMaxLength`).
pub const STREAM_MAX: usize = 4 * 1024 * 1024;

/// How long [`PrivateClamd::start_or_skip`] waits for the daemon to answer PING.
const READY_LIMIT: Duration = Duration::from_secs(30);

/// The 68-byte EICAR anti-virus test string, assembled at run time so that this source file (and
/// the binaries) do not hold it whole and are not themselves flagged by a workstation's antivirus.
pub fn eicar() -> Vec<u8> {
    let first = r"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD";
    let second = "-ANTIVIRUS-TEST-FILE!$H+H*";
    let eicar = [first.as_bytes(), second.as_bytes()].concat();
    assert_eq!(eicar.len(), 68);
    eicar
}

/// A private clamd, killed when dropped (also when a test panics).
#[derive(Debug)]
pub struct PrivateClamd {
    child: Child,
    dir: tempfile::TempDir,
    socket: PathBuf,
    ready_after: Duration,
}

impl Drop for PrivateClamd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl PrivateClamd {
    /// Starts a private clamd with the one-signature database and waits until it answers PING
    /// (bounded: 30 s; panics with clamd's output beyond, or if it stops).
    ///
    /// When clamd is not installed: prints `clamav: ignoré (<test>) — clamav-daemon n'est pas
    /// installé (apt-get install clamav-daemon)` on stderr and returns `None`; but when the
    /// environment variable `CI` is `true`, panics (the CI installs it).
    pub async fn start_or_skip(test: &str) -> Option<PrivateClamd> {
        let Some(binary) = find_clamd() else {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!(
                    "clamav ({test}) : clamd est introuvable alors que CI=true \
                     (apt-get install clamav-daemon)"
                );
            }
            say(&format!(
                "clamav: ignoré ({test}) — clamav-daemon n'est pas installé \
                 (apt-get install clamav-daemon)"
            ));
            return None;
        };
        let mut clamd = Self::spawn(&binary);
        clamd.wait_ready(READY_LIMIT).await;
        Some(clamd)
    }

    /// The daemon's local socket.
    pub fn address(&self) -> Address {
        Address::Unix(self.socket.clone())
    }

    /// How long the daemon took to answer PING after being started.
    pub fn ready_after(&self) -> Duration {
        self.ready_after
    }

    /// What clamd printed and logged, for a failure message.
    pub fn output(&self) -> String {
        let read = |name: &str| std::fs::read_to_string(self.dir.path().join(name));
        format!(
            "--- clamd.out ---\n{}\n--- clamd.log ---\n{}",
            read("clamd.out").unwrap_or_default(),
            read("clamd.log").unwrap_or_default()
        )
    }

    /// Writes the configuration and the one-signature database, starts clamd in the foreground.
    fn spawn(binary: &Path) -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let root = dir.path();
        let socket = root.join("clamd.sock");
        let db = root.join("db");
        std::fs::create_dir(&db).expect("clamd database directory");
        let hex = eicar().iter().fold(String::new(), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        });
        // Extended signature: name:target type (0 = any file):offset (* = anywhere):hex.
        std::fs::write(db.join("vigie.ndb"), format!("{SIGNATURE}:0:*:{hex}\n"))
            .expect("clamd signature database");
        let conf = root.join("clamd.conf");
        std::fs::write(&conf, config(root, &socket, &db)).expect("clamd.conf");
        let out = std::fs::File::create(root.join("clamd.out")).expect("clamd.out");
        let child = Command::new(binary)
            .arg(format!("--config-file={}", conf.display()))
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("clamd.out"))
            .stderr(out)
            .spawn()
            .expect("clamd should start");
        Self {
            child,
            dir,
            socket,
            ready_after: Duration::ZERO,
        }
    }

    /// Waits until clamd answers PING (bounded); records how long it took.
    async fn wait_ready(&mut self, limit: Duration) {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("clamd status") {
                panic!("clamd s'est arrêté ({status}) :\n{}", self.output());
            }
            let address = self.address();
            if clamav::ping(&address, Duration::from_secs(1)).await.is_ok() {
                self.ready_after = started.elapsed();
                return;
            }
            if started.elapsed() > limit {
                panic!("clamd pas prêt après {limit:?} :\n{}", self.output());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// `/usr/sbin/clamd`, or `clamd` on the `PATH`.
fn find_clamd() -> Option<PathBuf> {
    let standard = PathBuf::from("/usr/sbin/clamd");
    if standard.is_file() {
        return Some(standard);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("clamd"))
        .find(|candidate| candidate.is_file())
}

/// clamd.conf for a private daemon: foreground, local socket only (no TCP), everything in `root`.
/// Run as root, clamd keeps running as root when `User` is not set (nothing else is needed).
fn config(root: &Path, socket: &Path, db: &Path) -> String {
    format!(
        "Foreground yes\n\
         LocalSocket {socket}\n\
         DatabaseDirectory {db}\n\
         PidFile {pid}\n\
         TemporaryDirectory {tmp}\n\
         LogFile {log}\n\
         LogSyslog no\n\
         StreamMaxLength {max}\n",
        socket = socket.display(),
        db = db.display(),
        pid = root.join("clamd.pid").display(),
        tmp = root.display(),
        log = root.join("clamd.log").display(),
        max = STREAM_MAX,
    )
}

/// One line on stderr, written directly so that the test harness does not capture it: it shows
/// in the CI log even when the test passes.
fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}
