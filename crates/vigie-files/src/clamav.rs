//! The optional antivirus check: a ClamAV daemon (`clamd`) asked over its socket, with the
//! `INSTREAM` command, before an uploaded file is stored.
//!
//! The daemon's address is a setting (`VIGIE_CLAMAV`) read once at start-up with
//! [`Address::parse`]; [`scan`] sends the file's bytes and returns a [`Verdict`]; [`ping`] is for
//! the health check. Everything is bounded by a timeout: a daemon that does not answer in time is
//! [`ScanError::Unreachable`], and the caller refuses the file (it is never stored unchecked when
//! the check is configured).
//!
//! [`ScanError`]'s `Display` is the French sentence shown to the agent; [`ScanError::detail`] is
//! the internal detail (socket path, I/O error, daemon reply) for the logs only.
//!
//! The protocol (clamd(8)): the `z` prefix means the command and the reply end with a NUL byte.
//! `zINSTREAM\0`, then chunks (`u32` big-endian length, then the bytes), then a zero-length chunk;
//! the reply is `stream: OK`, `stream: <signature> FOUND`, or a line ending in `ERROR` (for example
//! `INSTREAM size limit exceeded. ERROR` beyond the daemon's `StreamMaxLength`).

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::str::FromStr;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Size of the chunks sent to the daemon (far below clamd's limits).
const CHUNK: usize = 64 * 1024;

/// A reply longer than this is not a clamd reply: stop reading.
const MAX_REPLY: usize = 4096;

/// At most this many characters of a signature name are kept (it may be shown to the agent).
const MAX_SIGNATURE: usize = 200;

/// The forms [`Address::parse`] accepts, quoted in its error.
const EXPECTED: &str = "formes attendues : « unix:/run/clamav/clamd.ctl » (ou un chemin absolu \
     « /run/clamav/clamd.ctl ») pour la socket locale du démon clamd, ou « tcp:127.0.0.1:3310 » \
     (ou « hôte:port ») pour une connexion réseau";

/// Where the ClamAV daemon listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    /// A local (Unix domain) socket, e.g. `/run/clamav/clamd.ctl` (Debian's default).
    Unix(PathBuf),
    /// A TCP address, `host:port` (clamd's `TCPSocket`/`TCPAddr`), e.g. `127.0.0.1:3310`.
    Tcp(String),
}

/// Why the `VIGIE_CLAMAV` setting is not an address; `Display` is French and says what is expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("adresse de l'antivirus (ClamAV) invalide « {value} » : {reason} ; {EXPECTED}.")]
pub struct AddressError {
    value: String,
    reason: &'static str,
}

impl Address {
    /// Reads the setting: `unix:/path` or a bare absolute path is a local socket; `tcp:host:port`
    /// or `host:port` is a TCP address (IPv6 between brackets: `[::1]:3310`).
    pub fn parse(value: &str) -> Result<Self, AddressError> {
        let trimmed = value.trim();
        let error = |reason| AddressError {
            value: value.to_owned(),
            reason,
        };
        if trimmed.is_empty() {
            return Err(error("la valeur est vide"));
        }
        if let Some(path) = trimmed.strip_prefix("unix:") {
            return unix_path(path).map_err(error);
        }
        if let Some(host_port) = trimmed.strip_prefix("tcp:") {
            return tcp_address(host_port).map_err(error);
        }
        if trimmed.starts_with('/') {
            return unix_path(trimmed).map_err(error);
        }
        if !trimmed.contains(':') {
            return Err(error(
                "ni chemin absolu ni « hôte:port » (un chemin de socket doit commencer par « / »)",
            ));
        }
        tcp_address(trimmed).map_err(error)
    }
}

fn unix_path(path: &str) -> Result<Address, &'static str> {
    if path.is_empty() {
        return Err("le chemin de la socket manque après « unix: »");
    }
    if !path.starts_with('/') {
        return Err("le chemin de la socket doit être absolu (commencer par « / »)");
    }
    Ok(Address::Unix(PathBuf::from(path)))
}

fn tcp_address(host_port: &str) -> Result<Address, &'static str> {
    let Some((host, port)) = host_port.rsplit_once(':') else {
        return Err("le port manque (« hôte:port »)");
    };
    if host.is_empty() || host == "[]" {
        return Err("l'hôte manque (« hôte:port »)");
    }
    if host.chars().any(|c| c.is_whitespace() || c == '/') {
        return Err("l'hôte contient un caractère interdit (espace ou « / »)");
    }
    let bracketed = host.starts_with('[') && host.ends_with(']');
    if host.contains(':') && !bracketed {
        return Err("une adresse IPv6 s'écrit entre crochets, par exemple « [::1]:3310 »");
    }
    match port.parse::<u16>() {
        Ok(p) if p > 0 => Ok(Address::Tcp(host_port.to_owned())),
        _ => Err("le port doit être un nombre entre 1 et 65535"),
    }
}

impl FromStr for Address {
    type Err = AddressError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Self::parse(value)
    }
}

impl fmt::Display for Address {
    /// The canonical form, which [`Address::parse`] reads back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unix(path) => write!(f, "unix:{}", path.display()),
            Self::Tcp(host_port) => write!(f, "tcp:{host_port}"),
        }
    }
}

/// What the daemon said about a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// No signature matched.
    Clean,
    /// A signature matched; its name as the daemon gave it (e.g. `Eicar-Test-Signature`; a local
    /// signature gets ClamAV's `.UNOFFICIAL` suffix).
    Infected { signature: String },
}

impl Verdict {
    /// Whether the file may be stored.
    pub fn is_clean(&self) -> bool {
        matches!(self, Self::Clean)
    }

    /// The French sentence shown to the agent when the file is refused, `None` when it is clean.
    pub fn refusal(&self) -> Option<String> {
        match self {
            Self::Clean => None,
            Self::Infected { signature } => Some(format!(
                "Le fichier contient un virus ({signature}) : il n'a pas été enregistré."
            )),
        }
    }
}

/// Why the file could not be checked. `Display` is the French sentence for the agent;
/// [`ScanError::detail`] is the internal detail for the logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScanError {
    /// No connection, connection lost, or no reply within the timeout.
    #[error("L'antivirus (ClamAV) ne répond pas : le fichier n'a pas été enregistré.")]
    Unreachable(String),
    /// The daemon answered, but with an error (`… ERROR`) or something that is not a verdict.
    #[error("{}", daemon_message(.0))]
    Daemon(String),
}

impl ScanError {
    /// The internal detail (address, I/O error, the daemon's reply): for the logs, not the agent.
    pub fn detail(&self) -> &str {
        match self {
            Self::Unreachable(detail) | Self::Daemon(detail) => detail,
        }
    }
}

fn daemon_message(detail: &str) -> &'static str {
    if detail.contains("size limit exceeded") {
        "Le fichier est trop volumineux pour être analysé par l'antivirus (ClamAV) : \
         il n'a pas été enregistré."
    } else {
        "L'antivirus (ClamAV) n'a pas pu analyser le fichier : il n'a pas été enregistré."
    }
}

/// Sends `bytes` to the daemon (`INSTREAM`) and reads its verdict, the whole exchange (connection
/// included) within `timeout`.
pub async fn scan(
    address: &Address,
    bytes: &[u8],
    timeout: Duration,
) -> Result<Verdict, ScanError> {
    let reply = exchange(address, Request::Instream(bytes), timeout).await?;
    parse_scan_reply(&reply)
}

/// Asks the daemon whether it is alive (`PING` → `PONG`), within `timeout`: for the health check.
pub async fn ping(address: &Address, timeout: Duration) -> Result<(), ScanError> {
    let reply = exchange(address, Request::Ping, timeout).await?;
    if reply == "PONG" {
        Ok(())
    } else {
        Err(ScanError::Daemon(format!(
            "réponse inattendue de {address} à PING : {reply:?}"
        )))
    }
}

/// What is sent to the daemon.
#[derive(Debug, Clone, Copy)]
enum Request<'a> {
    Ping,
    Instream(&'a [u8]),
}

/// Connects, sends the request and returns the reply (without its final NUL), within `timeout`.
async fn exchange(
    address: &Address,
    request: Request<'_>,
    timeout: Duration,
) -> Result<String, ScanError> {
    match tokio::time::timeout(timeout, connect_and_talk(address, request)).await {
        Ok(result) => result,
        Err(_) => Err(ScanError::Unreachable(format!(
            "pas de réponse de {address} en {} ms",
            timeout.as_millis()
        ))),
    }
}

async fn connect_and_talk(address: &Address, request: Request<'_>) -> Result<String, ScanError> {
    let unreachable = |e: io::Error| ScanError::Unreachable(format!("connexion à {address} : {e}"));
    let lost = |e: io::Error| ScanError::Unreachable(format!("échange avec {address} : {e}"));
    match address {
        #[cfg(unix)]
        Address::Unix(path) => {
            let stream = tokio::net::UnixStream::connect(path)
                .await
                .map_err(unreachable)?;
            talk(stream, request).await.map_err(lost)
        }
        #[cfg(not(unix))]
        Address::Unix(_) => Err(ScanError::Unreachable(format!(
            "{address} : pas de socket Unix sur ce système"
        ))),
        Address::Tcp(host_port) => {
            let stream = tokio::net::TcpStream::connect(host_port.as_str())
                .await
                .map_err(unreachable)?;
            // The chunk headers are small writes: do not let Nagle hold them back.
            stream.set_nodelay(true).map_err(unreachable)?;
            talk(stream, request).await.map_err(lost)
        }
    }
}

/// Sends the request and reads the reply. When the daemon stops reading early (size limit
/// exceeded), the write fails (broken pipe) but the daemon has written its reply first: read it.
async fn talk<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    request: Request<'_>,
) -> io::Result<String> {
    let sent = send(&mut stream, request).await;
    let reply = read_reply(&mut stream).await;
    match (sent, reply) {
        (_, Ok(reply)) => Ok(reply),
        (Err(e), Err(_)) | (Ok(()), Err(e)) => Err(e),
    }
}

async fn send<S: AsyncWrite + Unpin>(stream: &mut S, request: Request<'_>) -> io::Result<()> {
    match request {
        Request::Ping => write_all(stream, b"zPING\0").await?,
        Request::Instream(bytes) => {
            write_all(stream, b"zINSTREAM\0").await?;
            let mut frame = Vec::with_capacity(4 + CHUNK.min(bytes.len()));
            for chunk in bytes.chunks(CHUNK) {
                frame.clear();
                // A chunk is at most CHUNK (64 KiB) long: the length fits in a u32.
                frame.extend_from_slice(&(chunk.len() as u32).to_be_bytes());
                frame.extend_from_slice(chunk);
                write_all(stream, &frame).await?;
            }
            write_all(stream, &0u32.to_be_bytes()).await?;
        }
    }
    poll_fn(|cx| Pin::new(&mut *stream).poll_flush(cx)).await
}

/// Reads up to the NUL that ends a `z` reply (or the end of the stream), trimmed.
async fn read_reply<S: AsyncRead + Unpin>(stream: &mut S) -> io::Result<String> {
    let mut reply = Vec::new();
    let mut buf = [0u8; 512];
    loop {
        let n = read_some(stream, &mut buf).await?;
        if n == 0 {
            break;
        }
        reply.extend_from_slice(&buf[..n]);
        if reply.contains(&0) || reply.len() > MAX_REPLY {
            break;
        }
    }
    if reply.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "connexion fermée sans réponse",
        ));
    }
    let end = reply.iter().position(|&b| b == 0).unwrap_or(reply.len());
    Ok(String::from_utf8_lossy(&reply[..end]).trim().to_owned())
}

// `tokio`'s `io-util` feature (AsyncWriteExt/AsyncReadExt) is not enabled for this crate: the two
// operations needed, on the traits themselves.

async fn write_all<S: AsyncWrite + Unpin>(stream: &mut S, mut bytes: &[u8]) -> io::Result<()> {
    while !bytes.is_empty() {
        let n = poll_fn(|cx| Pin::new(&mut *stream).poll_write(cx, bytes)).await?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        bytes = &bytes[n..];
    }
    Ok(())
}

async fn read_some<S: AsyncRead + Unpin>(stream: &mut S, buf: &mut [u8]) -> io::Result<usize> {
    let mut read = ReadBuf::new(buf);
    poll_fn(|cx| Pin::new(&mut *stream).poll_read(cx, &mut read)).await?;
    Ok(read.filled().len())
}

/// Reads the reply to `INSTREAM`.
fn parse_scan_reply(reply: &str) -> Result<Verdict, ScanError> {
    let reply = reply.trim_end_matches('\0').trim();
    if reply.ends_with("ERROR") {
        return Err(ScanError::Daemon(format!("erreur du démon : {reply}")));
    }
    let unexpected = || ScanError::Daemon(format!("réponse inattendue à INSTREAM : {reply:?}"));
    let body = reply.strip_prefix("stream:").ok_or_else(unexpected)?.trim();
    if body == "OK" {
        return Ok(Verdict::Clean);
    }
    let name = body.strip_suffix("FOUND").ok_or_else(unexpected)?.trim();
    let signature: String = name
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_SIGNATURE)
        .collect();
    if signature.is_empty() {
        return Err(unexpected());
    }
    Ok(Verdict::Infected { signature })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp(s: &str) -> Address {
        Address::Tcp(s.to_owned())
    }

    fn unix(s: &str) -> Address {
        Address::Unix(PathBuf::from(s))
    }

    #[test]
    fn addresses_accepted() {
        let cases = [
            ("unix:/run/clamav/clamd.ctl", unix("/run/clamav/clamd.ctl")),
            ("/run/clamav/clamd.ctl", unix("/run/clamav/clamd.ctl")),
            ("  /tmp/c.sock \n", unix("/tmp/c.sock")),
            ("tcp:127.0.0.1:3310", tcp("127.0.0.1:3310")),
            ("127.0.0.1:3310", tcp("127.0.0.1:3310")),
            (
                "clamav.interne.example:3310",
                tcp("clamav.interne.example:3310"),
            ),
            ("tcp:[::1]:3310", tcp("[::1]:3310")),
            ("localhost:65535", tcp("localhost:65535")),
        ];
        for (input, expected) in cases {
            assert_eq!(Address::parse(input), Ok(expected.clone()), "{input:?}");
            assert_eq!(input.parse::<Address>(), Ok(expected.clone()));
            // The canonical form reads back to the same address.
            assert_eq!(Address::parse(&expected.to_string()), Ok(expected));
        }
    }

    #[test]
    fn addresses_refused_with_what_is_expected() {
        let cases = [
            ("", "vide"),
            ("   ", "vide"),
            ("clamd.ctl", "chemin absolu"),
            ("unix:", "chemin de la socket manque"),
            ("unix:run/clamd.ctl", "doit être absolu"),
            ("tcp:127.0.0.1", "port manque"),
            ("tcp::3310", "hôte manque"),
            ("127.0.0.1:0", "entre 1 et 65535"),
            ("127.0.0.1:70000", "entre 1 et 65535"),
            ("127.0.0.1:port", "entre 1 et 65535"),
            ("::1:3310", "crochets"),
            ("http://clamav:3310", "caractère interdit"),
            ("clam av:3310", "caractère interdit"),
        ];
        for (input, reason) in cases {
            let message = Address::parse(input).expect_err(input).to_string();
            assert!(message.contains(reason), "{input:?} → {message}");
            assert!(message.contains(&format!("« {input} »")), "{message}");
            assert!(message.contains("unix:/run/clamav/clamd.ctl"), "{message}");
            assert!(message.contains("tcp:127.0.0.1:3310"), "{message}");
        }
    }

    #[test]
    fn scan_replies() {
        assert_eq!(parse_scan_reply("stream: OK"), Ok(Verdict::Clean));
        assert_eq!(parse_scan_reply("stream: OK\0"), Ok(Verdict::Clean));
        assert_eq!(
            parse_scan_reply("stream: Eicar-Test-Signature FOUND"),
            Ok(Verdict::Infected {
                signature: "Eicar-Test-Signature".to_owned()
            })
        );
        assert_eq!(
            parse_scan_reply("stream: Vigie.Test.EICAR.UNOFFICIAL FOUND\0"),
            Ok(Verdict::Infected {
                signature: "Vigie.Test.EICAR.UNOFFICIAL".to_owned()
            })
        );
    }

    #[test]
    fn scan_errors_and_unexpected_replies() {
        let size = parse_scan_reply("INSTREAM size limit exceeded. ERROR").unwrap_err();
        assert!(matches!(size, ScanError::Daemon(_)));
        assert!(
            size.detail()
                .contains("INSTREAM size limit exceeded. ERROR")
        );
        assert!(size.to_string().contains("trop volumineux"), "{size}");

        for reply in [
            "stream: Can't allocate memory ERROR",
            "UNKNOWN COMMAND",
            "",
            "stream:",
            "stream: FOUND",
            "stream: \u{7}\u{1b} FOUND",
            "PONG",
        ] {
            let error = parse_scan_reply(reply).expect_err(reply);
            assert!(matches!(error, ScanError::Daemon(_)), "{reply:?}");
            assert_eq!(
                error.to_string(),
                "L'antivirus (ClamAV) n'a pas pu analyser le fichier : il n'a pas été enregistré."
            );
        }
    }

    #[test]
    fn signature_names_are_cleaned_and_bounded() {
        let long = format!("stream: {} FOUND", "A".repeat(1000));
        let Ok(Verdict::Infected { signature }) = parse_scan_reply(&long) else {
            panic!("infected expected");
        };
        assert_eq!(signature.len(), MAX_SIGNATURE);
        let Ok(Verdict::Infected { signature }) = parse_scan_reply("stream: Bad\u{1b}[31m FOUND")
        else {
            panic!("infected expected");
        };
        assert_eq!(signature, "Bad[31m");
    }

    #[test]
    fn messages_in_french() {
        let infected = Verdict::Infected {
            signature: "Eicar-Test-Signature".to_owned(),
        };
        assert!(!infected.is_clean());
        assert_eq!(
            infected.refusal().as_deref(),
            Some(
                "Le fichier contient un virus (Eicar-Test-Signature) : il n'a pas été enregistré."
            )
        );
        assert!(Verdict::Clean.is_clean());
        assert_eq!(Verdict::Clean.refusal(), None);
        let down = ScanError::Unreachable("connexion à unix:/x : No such file".to_owned());
        assert_eq!(
            down.to_string(),
            "L'antivirus (ClamAV) ne répond pas : le fichier n'a pas été enregistré."
        );
        assert_eq!(down.detail(), "connexion à unix:/x : No such file");
    }

    /// A fake daemon on the other end of a socket pair: reads the framed stream, checks it,
    /// answers `reply`.
    async fn fake_daemon(mut peer: tokio::net::UnixStream, reply: &'static [u8]) -> Vec<u8> {
        let mut received = Vec::new();
        let mut buf = vec![0u8; 8192];
        loop {
            let n = read_some(&mut peer, &mut buf).await.unwrap();
            received.extend_from_slice(&buf[..n]);
            if n == 0 || received.ends_with(&[0, 0, 0, 0]) && received.len() > 10 {
                break;
            }
        }
        write_all(&mut peer, reply).await.unwrap();
        received
    }

    #[tokio::test]
    async fn instream_framing() {
        let bytes: Vec<u8> = (0..CHUNK * 2 + 10).map(|i| (i % 251) as u8 + 1).collect();
        let (ours, theirs) = tokio::net::UnixStream::pair().unwrap();
        let daemon = tokio::spawn(fake_daemon(theirs, b"stream: OK\0"));
        let reply = talk(ours, Request::Instream(&bytes)).await.unwrap();
        assert_eq!(reply, "stream: OK");
        let received = daemon.await.unwrap();

        let rest = received
            .strip_prefix(b"zINSTREAM\0")
            .expect("command first");
        let (mut rest, mut lengths, mut data) = (rest, Vec::new(), Vec::new());
        loop {
            let len = u32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
            lengths.push(len);
            data.extend_from_slice(&rest[4..4 + len]);
            rest = &rest[4 + len..];
            if len == 0 {
                break;
            }
        }
        assert!(rest.is_empty());
        assert_eq!(lengths, [CHUNK, CHUNK, 10, 0]);
        assert_eq!(data, bytes);
    }

    #[tokio::test]
    async fn silent_daemon_times_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("silent.sock");
        let listener = tokio::net::UnixListener::bind(&path).unwrap();
        let _keep = tokio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            // Accept and never answer.
            tokio::time::sleep(Duration::from_secs(60)).await;
            drop(stream);
        });
        let address = Address::Unix(path);
        let error = ping(&address, Duration::from_millis(200))
            .await
            .unwrap_err();
        assert!(matches!(error, ScanError::Unreachable(_)), "{error:?}");
        assert!(error.detail().contains("200 ms"), "{}", error.detail());
    }
}
