//! ZIP-based files: DOCX and ODT are accepted once checked for macros and for decompression
//! bombs; every other ZIP (XLSX, PPTX, ODS, JAR, APK, a plain archive…) is refused.

use std::io::{Cursor, Read};

use zip::ZipArchive;

use super::{Budget, Kind, Limits, Refusal};

/// The first entry of an ODF package names its type.
const ODT_MIMETYPE: &str = "application/vnd.oasis.opendocument.text";

/// The most of `[Content_Types].xml` or `mimetype` kept to look into (the rest is still read
/// and counted).
const KEEP_PART: usize = 1024 * 1024;

/// Whether `bytes` start like a ZIP archive (a local file header, or the end record of an empty
/// archive, or the marker of a split one).
pub(super) fn is_zip(bytes: &[u8]) -> bool {
    [b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"]
        .iter()
        .any(|magic| bytes.starts_with(*magic))
}

/// Checks a ZIP archive: `Ok(Docx | Odt)` or the refusal.
pub(super) fn inspect(bytes: &[u8], limits: &Limits, budget: &mut Budget) -> Result<Kind, Refusal> {
    let mut archive = ZipArchive::new(Cursor::new(bytes)).map_err(|_| Refusal::Damaged)?;
    let too_large = budget.refusal();
    if archive.len() > limits.max_entries {
        return Err(too_large);
    }
    let mut names = Vec::with_capacity(archive.len());
    let mut declared: u64 = 0;
    for index in 0..archive.len() {
        let entry = archive.by_index_data(index).map_err(|_| Refusal::Damaged)?;
        let name = entry.name().map_err(|_| Refusal::Damaged)?;
        names.push(name.to_ascii_lowercase());
        declared = declared.saturating_add(entry.size());
    }
    if declared > budget.left {
        return Err(too_large);
    }
    let kind = classify(&names, &mut archive)?;
    refuse_macro_names(&names, kind)?;
    let content_types = unpack_all(&mut archive, budget)?;
    if kind == Kind::Docx && contains_ignore_case(&content_types, b"macroenabled") {
        return Err(Refusal::Macro);
    }
    Ok(kind)
}

/// Tells a DOCX or an ODT from the other ZIP-based formats, which are refused.
fn classify(names: &[String], archive: &mut ZipArchive<Cursor<&[u8]>>) -> Result<Kind, Refusal> {
    let has = |name: &str| names.iter().any(|n| n == name);
    let under = |folder: &str| names.iter().any(|n| n.starts_with(folder));
    let not_accepted = |what| {
        Err(Refusal::NotAccepted {
            detected: Some(what),
        })
    };
    if has("classes.dex")
        || has("androidmanifest.xml")
        || has("meta-inf/manifest.mf")
        || names.iter().any(|n| n.ends_with(".class"))
    {
        return Err(Refusal::Executable);
    }
    if has("[content_types].xml") {
        return if has("word/document.xml") {
            Ok(Kind::Docx)
        } else if under("xl/") {
            not_accepted("classeur Excel, XLSX")
        } else if under("ppt/") {
            not_accepted("présentation PowerPoint, PPTX")
        } else {
            not_accepted("document Office d'un autre type")
        };
    }
    if names.first().is_some_and(|n| n == "mimetype") {
        let mimetype = read_small(archive, 0)?;
        let mimetype = String::from_utf8_lossy(&mimetype);
        let mimetype = mimetype.trim();
        return if mimetype == ODT_MIMETYPE {
            Ok(Kind::Odt)
        } else if mimetype.starts_with("application/vnd.oasis.opendocument.spreadsheet") {
            not_accepted("classeur OpenDocument, ODS")
        } else if mimetype.starts_with("application/vnd.oasis.opendocument.presentation") {
            not_accepted("présentation OpenDocument, ODP")
        } else if mimetype == "application/epub+zip" {
            not_accepted("livre numérique, EPUB")
        } else {
            not_accepted("document OpenDocument d'un autre type")
        };
    }
    Err(Refusal::Archive)
}

/// Macros seen from the entry names: a VBA project anywhere in a DOCX, Basic or script folders
/// in an ODT.
fn refuse_macro_names(names: &[String], kind: Kind) -> Result<(), Refusal> {
    let file_name = |n: &String| n.rsplit('/').next().unwrap_or_default().to_owned();
    let found = match kind {
        Kind::Docx => names
            .iter()
            .map(file_name)
            .any(|f| f == "vbaproject.bin" || f == "vbadata.xml"),
        _ => names
            .iter()
            .any(|n| n.starts_with("basic/") || n.starts_with("scripts/")),
    };
    if found { Err(Refusal::Macro) } else { Ok(()) }
}

/// Decompresses every entry through a bounded reader: the real bytes are counted against the
/// budget (declared sizes can lie) and an entry that fails to decompress refuses the file.
/// Returns the beginning of `[Content_Types].xml` (empty when there is none).
fn unpack_all(
    archive: &mut ZipArchive<Cursor<&[u8]>>,
    budget: &mut Budget,
) -> Result<Vec<u8>, Refusal> {
    let mut content_types = Vec::new();
    let mut buffer = vec![0_u8; 64 * 1024];
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).map_err(|_| Refusal::Damaged)?;
        let keep = entry
            .name()
            .is_ok_and(|n| n.eq_ignore_ascii_case("[Content_Types].xml"));
        loop {
            let read = entry.read(&mut buffer).map_err(|_| Refusal::Damaged)?;
            if read == 0 {
                break;
            }
            budget.spend(read as u64)?;
            if keep && content_types.len() < KEEP_PART {
                content_types.extend_from_slice(&buffer[..read]);
            }
        }
    }
    Ok(content_types)
}

/// The first [`KEEP_PART`] bytes of a small entry (the ODF `mimetype`); its bytes are counted
/// again by [`unpack_all`], which is harmless.
fn read_small(archive: &mut ZipArchive<Cursor<&[u8]>>, index: usize) -> Result<Vec<u8>, Refusal> {
    let entry = archive.by_index(index).map_err(|_| Refusal::Damaged)?;
    let mut kept = Vec::new();
    entry
        .take(KEEP_PART as u64)
        .read_to_end(&mut kept)
        .map_err(|_| Refusal::Damaged)?;
    Ok(kept)
}

fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use zip::write::{SimpleFileOptions, ZipWriter};

    use super::*;

    fn budget(left: u64) -> Budget {
        Budget {
            left,
            max_unpacked: left,
            max_entries: 10,
        }
    }

    /// The bounded reader counts real bytes: reached here without the check of declared sizes,
    /// as when an archive lies about them.
    #[test]
    fn decompression_stops_once_the_budget_is_spent() {
        let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
        let options = SimpleFileOptions::default();
        for name in ["a.bin", "b.bin"] {
            writer.start_file(name, options).expect("start entry");
            writer.write_all(&[0_u8; 3000]).expect("write entry");
        }
        let bytes = writer.finish().expect("finish zip").into_inner();
        let mut archive = ZipArchive::new(Cursor::new(bytes.as_slice())).expect("zip");
        let mut small = budget(5000);
        assert!(matches!(
            unpack_all(&mut archive, &mut small),
            Err(Refusal::ArchiveTooLarge { .. })
        ));
        let mut enough = budget(6000);
        assert!(unpack_all(&mut archive, &mut enough).is_ok());
        assert_eq!(enough.left, 0);
    }
}
