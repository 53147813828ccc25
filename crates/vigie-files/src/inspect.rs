//! Checks of a file an agent uploads to a dossier, before it is stored.
//!
//! [`inspect`] reads the type FROM THE CONTENT — never from the extension or the type the browser
//! declares — and either accepts it as one [`Kind`] or refuses it with a [`Refusal`], whose
//! `Display` is a French sentence for the agent and whose [`Refusal::code`] goes to the audit
//! trail. [`stored_name`] gives the name the file is stored under.
//!
//! Order of the checks: size; programs (Windows, Linux, macOS, Java, WebAssembly, Android,
//! `#!` scripts) and OLE2 compound files (legacy Office, password-protected Office, MSI); PDF;
//! ZIP (DOCX and ODT only, checked for macros and decompression bombs); images; e-mails (whose
//! attachments are inspected in turn); plain text (not markup); anything else is refused.

mod archive;
mod mail;
mod name;
mod refusal;
mod text;

pub use name::stored_name;
pub use refusal::Refusal;

/// How large a file may be, and how much a DOCX or ODT may unpack to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// The largest file accepted, in bytes (20 MiB by default).
    pub max_size: usize,
    /// The most bytes the entries of a DOCX or ODT may decompress to, all together (200 MiB by
    /// default). For an e-mail, the budget is shared by all its attachments.
    pub max_unpacked: u64,
    /// The most entries a DOCX or ODT may hold (5000 by default).
    pub max_entries: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_size: 20 * 1024 * 1024,
            max_unpacked: 200 * 1024 * 1024,
            max_entries: 5000,
        }
    }
}

/// The kinds of files a dossier accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Pdf,
    Jpeg,
    Png,
    Tiff,
    Gif,
    Webp,
    Heif,
    Docx,
    Odt,
    Text,
    Eml,
}

impl Kind {
    /// Every kind, in the order they are listed to agents.
    pub const ALL: [Kind; 11] = [
        Kind::Pdf,
        Kind::Jpeg,
        Kind::Png,
        Kind::Tiff,
        Kind::Gif,
        Kind::Webp,
        Kind::Heif,
        Kind::Docx,
        Kind::Odt,
        Kind::Text,
        Kind::Eml,
    ];

    /// The media type the file is served with (for text, see [`Inspected::content_type`]).
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Tiff => "image/tiff",
            Self::Gif => "image/gif",
            Self::Webp => "image/webp",
            Self::Heif => "image/heic",
            Self::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Self::Odt => "application/vnd.oasis.opendocument.text",
            Self::Text => "text/plain",
            Self::Eml => "message/rfc822",
        }
    }

    /// The extension the stored name gets, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Pdf => "pdf",
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::Tiff => "tiff",
            Self::Gif => "gif",
            Self::Webp => "webp",
            Self::Heif => "heic",
            Self::Docx => "docx",
            Self::Odt => "odt",
            Self::Text => "txt",
            Self::Eml => "eml",
        }
    }

    /// The French name agents read.
    pub fn label(self) -> &'static str {
        match self {
            Self::Pdf => "PDF",
            Self::Jpeg => "Image JPEG",
            Self::Png => "Image PNG",
            Self::Tiff => "Image TIFF",
            Self::Gif => "Image GIF",
            Self::Webp => "Image WebP",
            Self::Heif => "Image HEIC",
            Self::Docx => "Document Word (DOCX)",
            Self::Odt => "Document OpenDocument (ODT)",
            Self::Text => "Texte",
            Self::Eml => "Courriel (EML)",
        }
    }
}

/// An accepted file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspected {
    pub kind: Kind,
    /// For text: the encoding it is in, "utf-8" or "windows-1252".
    pub charset: Option<&'static str>,
    /// For an e-mail: its attachments (attached messages included, as [`Kind::Eml`]), each
    /// checked like an upload, in order.
    pub attachments: Vec<Attachment>,
}

impl Inspected {
    /// The `Content-Type` to serve the file with: the media type, and the charset of a text.
    pub fn content_type(&self) -> String {
        match self.charset {
            Some(charset) => format!("{}; charset={charset}", self.kind.media_type()),
            None => self.kind.media_type().to_owned(),
        }
    }
}

/// An attachment of an accepted e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// Its file name, cleaned (path parts and risky characters removed), or « sans nom n° N ».
    pub name: String,
    pub kind: Kind,
}

/// Inspects an uploaded file: its kind, read from the content, or why it is refused.
pub fn inspect(bytes: &[u8], limits: &Limits) -> Result<Inspected, Refusal> {
    let mut budget = Budget {
        left: limits.max_unpacked,
        max_unpacked: limits.max_unpacked,
        max_entries: limits.max_entries,
    };
    inspect_at(bytes, limits, &mut budget, 0)
}

/// How many decompressed bytes are left for the ZIP entries of one upload (an e-mail's
/// attachments share it, so that many small bombs cannot add up).
#[derive(Debug)]
struct Budget {
    left: u64,
    max_unpacked: u64,
    max_entries: usize,
}

impl Budget {
    fn spend(&mut self, bytes: u64) -> Result<(), Refusal> {
        self.left = self.left.checked_sub(bytes).ok_or_else(|| self.refusal())?;
        Ok(())
    }

    fn refusal(&self) -> Refusal {
        Refusal::ArchiveTooLarge {
            max_unpacked: self.max_unpacked,
            max_entries: self.max_entries,
        }
    }
}

/// [`inspect`] of a file found `depth` levels deep among an e-mail's attachments.
fn inspect_at(
    bytes: &[u8],
    limits: &Limits,
    budget: &mut Budget,
    depth: usize,
) -> Result<Inspected, Refusal> {
    if bytes.is_empty() {
        return Err(Refusal::Empty);
    }
    if bytes.len() > limits.max_size {
        return Err(Refusal::TooLarge {
            max_size: limits.max_size,
        });
    }
    refuse_programs(bytes)?;
    let accepted = |kind| Inspected {
        kind,
        charset: None,
        attachments: Vec::new(),
    };
    if bytes.starts_with(b"%PDF-") {
        return check_pdf(bytes).map(|()| accepted(Kind::Pdf));
    }
    if archive::is_zip(bytes) {
        return archive::inspect(bytes, limits, budget).map(accepted);
    }
    if let Some(kind) = image_kind(bytes) {
        return Ok(accepted(kind));
    }
    if has_pdf_header(bytes) {
        return check_pdf(bytes).map(|()| accepted(Kind::Pdf));
    }
    if mail::looks_like_mail(bytes) {
        let attachments = mail::inspect(bytes, limits, budget, depth)?;
        return Ok(Inspected {
            attachments,
            ..accepted(Kind::Eml)
        });
    }
    if let Some(charset) = text::charset(bytes) {
        text::check_plain(bytes)?;
        return Ok(Inspected {
            charset: Some(charset.name()),
            ..accepted(Kind::Text)
        });
    }
    Err(unknown(bytes))
}

/// Refuses programs and scripts, and OLE2 compound files (legacy Office documents, Office
/// documents protected by a password, MSI installers).
fn refuse_programs(bytes: &[u8]) -> Result<(), Refusal> {
    const OLE2: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";
    let program = infer::app::is_exe(bytes) // MZ: Windows programs and libraries
        || bytes.starts_with(b"\x7FELF")
        || infer::app::is_mach(bytes)
        || bytes.starts_with(b"\xCA\xFE\xBA\xBE") // Java class or universal Mach-O
        || bytes.starts_with(b"\0asm")
        || bytes.starts_with(b"dex\n")
        || bytes.starts_with(b"dey\n");
    if program {
        Err(Refusal::Executable)
    } else if bytes.starts_with(b"#!") {
        Err(Refusal::Script)
    } else if bytes.starts_with(OLE2) {
        Err(Refusal::LegacyOfficeOrProtected)
    } else {
        Ok(())
    }
}

/// `%PDF-` within the first 1024 bytes, where PDF readers look for it.
fn has_pdf_header(bytes: &[u8]) -> bool {
    bytes[..bytes.len().min(1024)]
        .windows(5)
        .any(|w| w == b"%PDF-")
}

/// Refuses an encrypted PDF: an `/Encrypt` key in its trailer or cross-reference stream
/// dictionary (neither is ever compressed), the token followed by a PDF delimiter so that
/// `/EncryptMetadata` does not count.
fn check_pdf(bytes: &[u8]) -> Result<(), Refusal> {
    const TOKEN: &[u8] = b"/Encrypt";
    let encrypted = bytes.windows(TOKEN.len() + 1).any(|w| {
        w.starts_with(TOKEN)
            && matches!(
                w[TOKEN.len()],
                b'\0' | b'\t' | b'\n' | b'\x0C' | b'\r' | b' ' | b'/' | b'<' | b'0'..=b'9'
            )
    });
    if encrypted {
        Err(Refusal::EncryptedPdf)
    } else {
        Ok(())
    }
}

/// The accepted image formats, from their signatures.
fn image_kind(bytes: &[u8]) -> Option<Kind> {
    let tiff = bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*");
    let heif_brand = bytes.get(4..8) == Some(b"ftyp")
        && matches!(
            bytes.get(8..12),
            Some(b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"hevx" | b"hevm" | b"hevs")
        );
    if infer::image::is_jpeg(bytes) {
        Some(Kind::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1A\n") {
        Some(Kind::Png)
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some(Kind::Gif)
    } else if tiff && !infer::image::is_cr2(bytes) {
        Some(Kind::Tiff)
    } else if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        Some(Kind::Webp)
    } else if heif_brand || infer::image::is_heif(bytes) {
        Some(Kind::Heif)
    } else {
        None
    }
}

/// The refusal of a file of no accepted kind, saying what it seems to be when infer knows.
fn unknown(bytes: &[u8]) -> Refusal {
    use infer::MatcherType;
    let detected = match infer::get(bytes).map(|t| t.matcher_type()) {
        Some(MatcherType::Archive) => return Refusal::Archive,
        Some(MatcherType::App) => Some("fichier binaire d'application"),
        Some(MatcherType::Audio) => Some("fichier audio"),
        Some(MatcherType::Video) => Some("vidéo"),
        Some(MatcherType::Image) => Some("image d'un format non accepté"),
        Some(MatcherType::Font) => Some("police de caractères"),
        Some(MatcherType::Book) => Some("livre numérique"),
        Some(MatcherType::Doc) => Some("document d'un format non accepté"),
        Some(MatcherType::Text | MatcherType::Custom) | None => None,
    };
    Refusal::NotAccepted { detected }
}
