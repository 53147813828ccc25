//! Configuration: defaults in code, then `vigie.toml` (optional), then `VIGIE_*`
//! environment variables. Works with no file at all. A bad value stops the program
//! with one line naming the setting.

use std::net::SocketAddr;

use serde::Deserialize;
use vigie_store::DbUrl;

/// What the sources give, before validation (no `Debug`: it holds secrets).
#[derive(Deserialize)]
struct Raw {
    database_url: String,
    migrate_database_url: String,
    listen: String,
    timezone: String,
    departements: String,
    behind_tls: bool,
    log_format: String,
    session_idle_minutes: i64,
    session_max_hours: i64,
    trusted_proxies: String,
    public_url: String,
    instance_key_file: String,
    soffice: String,
    pdf_workers: i64,
    pdf_timeout_seconds: i64,
    instance_key: String,
    audit_anchor_dir: String,
    document_max_mo: i64,
    clamav: String,
    clamav_timeout_seconds: i64,
}

/// The validated settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: DbUrl,
    /// The owner role's URL (`VIGIE_MIGRATE_DATABASE_URL`), for `vigie migrate` and
    /// `vigie audit purger` on PostgreSQL; `None` when unset (one role does everything).
    pub migrate_database_url: Option<DbUrl>,
    pub listen: SocketAddr,
    pub timezone: chrono_tz::Tz,
    /// Département(s) served (INSEE codes), first in commune suggestions.
    pub departements: Vec<String>,
    pub behind_tls: bool,
    pub json_logs: bool,
    pub session_idle_minutes: i64,
    pub session_max_hours: i64,
    /// Reverse proxies whose `X-Forwarded-For` gives the client's address.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The address users type (`VIGIE_PUBLIC_URL`); `None` when unset (any `Host`).
    pub public_url: Option<vigie_web::public_url::PublicUrl>,
    /// Where the instance key comes from (`VIGIE_INSTANCE_KEY_FILE` or `VIGIE_INSTANCE_KEY`).
    pub instance_key: KeySource,
    /// The directory of the audit chain's anchors (`VIGIE_AUDIT_ANCHOR_DIR`).
    pub audit_anchor_dir: std::path::PathBuf,
    /// LibreOffice for letters in PDF (`VIGIE_SOFFICE`, `VIGIE_PDF_WORKERS`,
    /// `VIGIE_PDF_TIMEOUT_SECONDS`).
    pub pdf: vigie_letters::PdfSettings,
    /// Uploaded documents (`VIGIE_DOCUMENT_MAX_MO`, `VIGIE_CLAMAV`,
    /// `VIGIE_CLAMAV_TIMEOUT_SECONDS`).
    pub uploads: vigie_web::documents::upload::UploadSettings,
}

/// Where the instance key comes from. Its `Debug` never shows a key.
#[derive(Clone, PartialEq, Eq)]
pub enum KeySource {
    /// None configured.
    None,
    File(std::path::PathBuf),
    /// The ring's text itself, from the environment.
    Inline(String),
}

impl std::fmt::Debug for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::None => f.write_str("None"),
            Self::File(p) => write!(f, "File({})", p.display()),
            Self::Inline(_) => f.write_str("Inline(***)"),
        }
    }
}

/// Reads the configuration from `file` (if it exists) and the environment.
pub fn load(file: &str) -> Result<Settings, String> {
    let raw = read_raw(file)?;
    let database_url: DbUrl = raw.database_url.parse()?;
    let migrate_database_url = migrate_url(&raw.migrate_database_url, &database_url)?;
    let listen: SocketAddr = raw.listen.parse().map_err(|_| {
        format!(
            "VIGIE_LISTEN : adresse invalide « {} » (attendu : IP:port, ex. 127.0.0.1:8080)",
            raw.listen
        )
    })?;
    let timezone: chrono_tz::Tz = raw
        .timezone
        .parse()
        .map_err(|_| format!("VIGIE_TIMEZONE : fuseau horaire inconnu « {} » (ex. Europe/Paris, America/Cayenne, Indian/Reunion)", raw.timezone))?;
    let departements = parse_departements(&raw.departements)?;
    let json_logs = match raw.log_format.as_str() {
        "text" => false,
        "json" => true,
        other => {
            return Err(format!(
                "VIGIE_LOG_FORMAT : « {other} » inconnu (text ou json)"
            ));
        }
    };
    if !(1..=24 * 60).contains(&raw.session_idle_minutes) {
        return Err("VIGIE_SESSION_IDLE_MINUTES : entre 1 et 1440".into());
    }
    if !(1..=72).contains(&raw.session_max_hours) {
        return Err("VIGIE_SESSION_MAX_HOURS : entre 1 et 72".into());
    }
    let trusted_proxies = raw
        .trusted_proxies
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|a| {
            a.parse().map_err(|_| {
                format!("VIGIE_TRUSTED_PROXIES : adresse IP invalide « {a} » (ex. 127.0.0.1 ou 127.0.0.1,::1)")
            })
        })
        .collect::<Result<Vec<std::net::IpAddr>, String>>()?;
    let public_url = match raw.public_url.trim() {
        "" => None,
        u => Some(vigie_web::public_url::PublicUrl::parse(u)?),
    };
    let instance_key = match (raw.instance_key_file.trim(), raw.instance_key.trim()) {
        ("", "") => KeySource::None,
        (f, "") => KeySource::File(f.into()),
        ("", k) => KeySource::Inline(k.to_owned()),
        _ => {
            return Err(
                "VIGIE_INSTANCE_KEY_FILE et VIGIE_INSTANCE_KEY sont toutes deux définies : gardez-en une seule"
                    .into(),
            );
        }
    };
    if raw.audit_anchor_dir.trim().is_empty() {
        return Err("VIGIE_AUDIT_ANCHOR_DIR : dossier des ancres du journal d'audit requis (ex. /var/lib/vigie/ancres)".into());
    }
    if !(1..=16).contains(&raw.pdf_workers) {
        return Err("VIGIE_PDF_WORKERS : entre 1 et 16 conversions PDF à la fois".into());
    }
    if !(5..=600).contains(&raw.pdf_timeout_seconds) {
        return Err("VIGIE_PDF_TIMEOUT_SECONDS : entre 5 et 600 secondes".into());
    }
    let pdf = vigie_letters::PdfSettings {
        program: match raw.soffice.trim() {
            "" => None,
            p => Some(p.into()),
        },
        workers: usize::try_from(raw.pdf_workers).unwrap_or(2),
        timeout: std::time::Duration::from_secs(
            u64::try_from(raw.pdf_timeout_seconds).unwrap_or(60),
        ),
        work_dir: std::env::temp_dir().join("vigie-pdf"),
    };
    let uploads = uploads(&raw)?;
    Ok(Settings {
        uploads,
        pdf,
        instance_key,
        audit_anchor_dir: raw.audit_anchor_dir.trim().into(),
        public_url,
        trusted_proxies,
        database_url,
        migrate_database_url,
        listen,
        timezone,
        departements,
        behind_tls: raw.behind_tls,
        json_logs,
        session_idle_minutes: raw.session_idle_minutes,
        session_max_hours: raw.session_max_hours,
    })
}

/// The raw settings: the defaults, then `file` (if it exists), then the environment.
fn read_raw(file: &str) -> Result<Raw, String> {
    config::Config::builder()
        .set_default("database_url", "sqlite://data/vigie.db")
        .and_then(|b| b.set_default("migrate_database_url", ""))
        .and_then(|b| b.set_default("listen", "127.0.0.1:8080"))
        .and_then(|b| b.set_default("timezone", "Europe/Paris"))
        .and_then(|b| b.set_default("departements", "18"))
        .and_then(|b| b.set_default("behind_tls", false))
        .and_then(|b| b.set_default("log_format", "text"))
        .and_then(|b| b.set_default("session_idle_minutes", 30))
        .and_then(|b| b.set_default("session_max_hours", 12))
        .and_then(|b| b.set_default("trusted_proxies", ""))
        .and_then(|b| b.set_default("public_url", ""))
        .and_then(|b| b.set_default("instance_key_file", ""))
        .and_then(|b| b.set_default("instance_key", ""))
        .and_then(|b| b.set_default("soffice", ""))
        .and_then(|b| b.set_default("pdf_workers", 2))
        .and_then(|b| b.set_default("pdf_timeout_seconds", 60))
        .and_then(|b| b.set_default("audit_anchor_dir", "data/ancres"))
        .and_then(|b| b.set_default("document_max_mo", 20))
        .and_then(|b| b.set_default("clamav", ""))
        .and_then(|b| b.set_default("clamav_timeout_seconds", 30))
        .map_err(|e| format!("configuration : {e}"))?
        .add_source(config::File::new(file, config::FileFormat::Toml).required(false))
        .add_source(config::Environment::with_prefix("VIGIE").try_parsing(true))
        .build()
        .and_then(|c| c.try_deserialize())
        .map_err(|e| format!("configuration invalide ({file} ou VIGIE_*) : {e}"))
}

/// The upload settings: the size limit (1 Mo to what the store accepts) and the optional
/// ClamAV daemon.
fn uploads(raw: &Raw) -> Result<vigie_web::documents::upload::UploadSettings, String> {
    let ceiling = vigie_store::documents::MAX_SIZE / (1024 * 1024);
    if !(1..=i64::try_from(ceiling).unwrap_or(50)).contains(&raw.document_max_mo) {
        return Err(format!(
            "VIGIE_DOCUMENT_MAX_MO : taille maximale d'un document déposé, entre 1 et {ceiling} Mo"
        ));
    }
    if !(1..=600).contains(&raw.clamav_timeout_seconds) {
        return Err("VIGIE_CLAMAV_TIMEOUT_SECONDS : entre 1 et 600 secondes".into());
    }
    let clamav = match raw.clamav.trim() {
        "" => None,
        a => Some(
            vigie_files::clamav::Address::parse(a).map_err(|e| format!("VIGIE_CLAMAV : {e}"))?,
        ),
    };
    Ok(vigie_web::documents::upload::UploadSettings {
        max_size: usize::try_from(raw.document_max_mo).unwrap_or(20) * 1024 * 1024,
        clamav,
        clamav_timeout: std::time::Duration::from_secs(
            u64::try_from(raw.clamav_timeout_seconds).unwrap_or(30),
        ),
    })
}

/// `VIGIE_MIGRATE_DATABASE_URL` (empty: none): the same database as `database_url`.
fn migrate_url(migrate_database_url: &str, database_url: &DbUrl) -> Result<Option<DbUrl>, String> {
    Ok(match migrate_database_url.trim() {
        "" => None,
        u => {
            let m: DbUrl = u.parse().map_err(|e: String| {
                e.replacen("VIGIE_DATABASE_URL", "VIGIE_MIGRATE_DATABASE_URL", 1)
            })?;
            if !vigie_store::grants::same_database(database_url, &m) {
                return Err("VIGIE_MIGRATE_DATABASE_URL : doit désigner la même base PostgreSQL (serveur, port, nom de base) que VIGIE_DATABASE_URL, avec le rôle propriétaire (sans objet sur SQLite)".into());
            }
            Some(m)
        }
    })
}

/// `VIGIE_DEPARTEMENTS`: codes separated by commas (ex. 18 or 2A,2B), upper-cased.
fn parse_departements(raw: &str) -> Result<Vec<String>, String> {
    let departements: Vec<String> = raw
        .split(',')
        .map(|s| s.trim().to_uppercase())
        .filter(|s| !s.is_empty())
        .collect();
    if departements.is_empty()
        || departements.iter().any(|d| {
            !(d.len() == 2 || d.len() == 3)
                || !d
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == 'A' || c == 'B')
        })
    {
        return Err(format!(
            "VIGIE_DEPARTEMENTS : codes de département attendus, séparés par des virgules (ex. 18 ou 2A,2B) ; reçu « {raw} »"
        ));
    }
    Ok(departements)
}

/// What `vigie serve` and `vigie check` say when `VIGIE_PUBLIC_URL` is unset.
pub const PUBLIC_URL_UNSET: &str = "VIGIE_PUBLIC_URL non définie : toute adresse (en-tête Host) est servie et la protection CSRF compare l'origine à l'adresse demandée. En production, définissez l'adresse que tapent les utilisateurs, ex. VIGIE_PUBLIC_URL=https://vigie.cd18.fr";

/// Says which public URL is served, or what its absence means: on standard output for
/// `vigie check` (a report), as a warning on standard error for `vigie serve`.
pub fn announce_public_url(s: &Settings, report: bool) {
    match (&s.public_url, report) {
        (Some(u), _) => println!("Adresse publique : {}", u.origin()),
        (None, true) => println!("Adresse publique : ATTENTION — {PUBLIC_URL_UNSET}"),
        (None, false) => eprintln!("Attention : {PUBLIC_URL_UNSET}"),
    }
}

/// The settings an archive keeps (`vigie backup`): everything but secrets — no database URL
/// (it may hold a password), no instance key; the backend's kind only.
pub fn saved(s: &Settings) -> serde_json::Value {
    serde_json::json!({
        "base": if s.database_url.sqlite_path().is_some() { "sqlite" } else { "postgresql" },
        "listen": s.listen.to_string(),
        "timezone": s.timezone.name(),
        "departements": s.departements,
        "behind_tls": s.behind_tls,
        "log_format": if s.json_logs { "json" } else { "text" },
        "session_idle_minutes": s.session_idle_minutes,
        "session_max_hours": s.session_max_hours,
        "trusted_proxies": s.trusted_proxies.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "public_url": s.public_url.as_ref().map(|u| u.origin().to_string()),
        "audit_anchor_dir": s.audit_anchor_dir.display().to_string(),
        "instance_key_file": match &s.instance_key {
            KeySource::File(p) => Some(p.display().to_string()),
            _ => None,
        },
        "soffice": s.pdf.program.as_ref().map(|p| p.display().to_string()),
        "pdf_workers": s.pdf.workers,
        "pdf_timeout_seconds": s.pdf.timeout.as_secs(),
        "document_max_mo": s.uploads.max_megabytes(),
        "clamav": s.uploads.clamav.as_ref().map(ToString::to_string),
        "clamav_timeout_seconds": s.uploads.clamav_timeout.as_secs(),
    })
}
