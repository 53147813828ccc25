//! The ClamAV check against a real, private `clamd` (package `clamav-daemon`), started for the
//! test by [`vigie_files::testing::PrivateClamd`] with ONE local signature (the EICAR test
//! string), because the official signatures cannot be downloaded here.
//!
//! Without `clamd` installed, the daemon test prints one line and passes — except when `CI=true`
//! (the CI installs `clamav-daemon`): then it fails.

use std::io::Write as _;
use std::time::Duration;

use vigie_files::clamav::{self, Address, ScanError, Verdict};
use vigie_files::testing::{PrivateClamd, SIGNATURE, STREAM_MAX, eicar};

const TIMEOUT: Duration = Duration::from_secs(20);

/// Text that matches no signature, `len` bytes long.
fn clean_text(len: usize) -> Vec<u8> {
    let line = "Compte rendu de visite à domicile : l'enfant va bien, rien à signaler.\n";
    line.bytes().cycle().take(len).collect()
}

#[tokio::test]
async fn private_clamd() {
    let Some(clamd) = PrivateClamd::start_or_skip("private_clamd").await else {
        return;
    };
    // Written directly so that the test harness does not capture it: it shows in the CI log.
    let _ = writeln!(
        std::io::stderr(),
        "clamav: clamd prêt en {:?}",
        clamd.ready_after()
    );
    let address = clamd.address();

    clamav::ping(&address, TIMEOUT).await.expect("PING → PONG");

    let verdict = clamav::scan(&address, &eicar(), TIMEOUT).await.unwrap();
    let Verdict::Infected { signature } = &verdict else {
        panic!("EICAR not detected: {verdict:?}\n{}", clamd.output());
    };
    assert!(signature.contains(SIGNATURE), "{signature}");
    let refusal = verdict.refusal().unwrap();
    assert!(refusal.starts_with("Le fichier contient un virus (Vigie.Test.EICAR"));

    let verdict = clamav::scan(&address, &clean_text(2000), TIMEOUT).await;
    assert_eq!(verdict, Ok(Verdict::Clean));

    let verdict = clamav::scan(&address, b"", TIMEOUT).await;
    assert_eq!(verdict, Ok(Verdict::Clean));

    // 3 MB: 46 chunks of 64 KiB and a last, shorter one.
    let verdict = clamav::scan(&address, &clean_text(3_000_000), TIMEOUT).await;
    assert_eq!(verdict, Ok(Verdict::Clean));

    // The test string across the boundary of the first two chunks: clamd scans the whole stream.
    let mut straddling = clean_text(64 * 1024 - 30);
    straddling.extend_from_slice(&eicar());
    straddling.extend_from_slice(&clean_text(100_000));
    let verdict = clamav::scan(&address, &straddling, TIMEOUT).await.unwrap();
    assert!(!verdict.is_clean(), "{verdict:?}");

    // Beyond StreamMaxLength, clamd stops reading and answers an error.
    let error = clamav::scan(&address, &clean_text(STREAM_MAX + 1_000_000), TIMEOUT)
        .await
        .unwrap_err();
    assert!(matches!(error, ScanError::Daemon(_)), "{error:?}");
    assert!(error.detail().contains("size limit exceeded"), "{error:?}");
    assert!(error.to_string().contains("trop volumineux"), "{error}");

    // Still serving after that.
    let verdict = clamav::scan(&address, &clean_text(10), TIMEOUT).await;
    assert_eq!(verdict, Ok(Verdict::Clean));
}

#[tokio::test]
async fn missing_socket_is_unreachable() {
    let dir = tempfile::tempdir().unwrap();
    let address = Address::Unix(dir.path().join("absent.sock"));
    let error = clamav::scan(&address, b"bonjour", TIMEOUT)
        .await
        .unwrap_err();
    assert!(matches!(error, ScanError::Unreachable(_)), "{error:?}");
    assert_eq!(
        error.to_string(),
        "L'antivirus (ClamAV) ne répond pas : le fichier n'a pas été enregistré."
    );
    assert!(error.detail().contains("absent.sock"), "{}", error.detail());
    let error = clamav::ping(&address, TIMEOUT).await.unwrap_err();
    assert!(matches!(error, ScanError::Unreachable(_)), "{error:?}");
}

#[tokio::test]
async fn refused_tcp_connection_is_unreachable() {
    // A port that was free a moment ago: nothing listens there.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let address = Address::parse(&format!("tcp:127.0.0.1:{port}")).unwrap();
    let error = clamav::scan(&address, b"bonjour", TIMEOUT)
        .await
        .unwrap_err();
    assert!(matches!(error, ScanError::Unreachable(_)), "{error:?}");
    assert!(
        error.detail().contains(&port.to_string()),
        "{}",
        error.detail()
    );
}
