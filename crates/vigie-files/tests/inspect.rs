//! The checks of uploaded files, on samples built here (no binary fixture).

use std::io::{Cursor, Write};
use std::sync::OnceLock;

use base64::Engine as _;
use vigie_files::inspect::{Kind, Limits, Refusal, inspect, stored_name};
use zip::CompressionMethod;
use zip::write::{SimpleFileOptions, ZipWriter};

const MIB: usize = 1024 * 1024;

fn accepted(bytes: &[u8]) -> Kind {
    match inspect(bytes, &Limits::default()) {
        Ok(inspected) => inspected.kind,
        Err(refusal) => panic!("refused: {refusal}"),
    }
}

/// The refusal, after checking that its message is a French sentence mentioning `reason`.
fn refused_with(bytes: &[u8], limits: &Limits, reason: &str) -> Refusal {
    let refusal = inspect(bytes, limits).expect_err("should be refused");
    let text = refusal.to_string();
    assert!(text.contains(reason), "« {reason} » missing from: {text}");
    assert!(text.starts_with("Ce ") && text.ends_with('.'), "{text}");
    refusal
}

fn refused(bytes: &[u8], reason: &str) -> Refusal {
    refused_with(bytes, &Limits::default(), reason)
}

// --- samples ---------------------------------------------------------------------------------

fn pdf(trailer_extra: &str) -> Vec<u8> {
    format!(
        "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n\
         2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n\
         xref\n0 3\n0000000000 65535 f \n0000000009 00000 n \n0000000058 00000 n \n\
         trailer << /Size 3 /Root 1 0 R{trailer_extra} >>\nstartxref\n110\n%%EOF\n"
    )
    .into_bytes()
}

fn pe() -> Vec<u8> {
    let mut bytes = vec![0_u8; 256];
    bytes[..2].copy_from_slice(b"MZ");
    bytes[0x3C] = 0x80;
    bytes[0x80..0x84].copy_from_slice(b"PE\0\0");
    bytes
}

fn elf() -> Vec<u8> {
    let mut bytes = vec![0_u8; 64];
    bytes[..7].copy_from_slice(b"\x7FELF\x02\x01\x01");
    bytes
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in entries {
        let method = if *name == "mimetype" {
            CompressionMethod::Stored
        } else {
            CompressionMethod::Deflated
        };
        let options = SimpleFileOptions::default().compression_method(method);
        writer.start_file(*name, options).expect("start entry");
        writer.write_all(data).expect("write entry");
    }
    writer.finish().expect("finish zip").into_inner()
}

const DOCX_TYPES: &[u8] = br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#;
const DOCX_BODY: &[u8] = br#"<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Rapport</w:t></w:r></w:p></w:body></w:document>"#;

fn docx(extra: &[(&str, &[u8])]) -> Vec<u8> {
    let mut entries = vec![
        ("[Content_Types].xml", DOCX_TYPES),
        ("_rels/.rels", b"<Relationships/>".as_slice()),
        ("word/document.xml", DOCX_BODY),
    ];
    entries.extend_from_slice(extra);
    zip_of(&entries)
}

fn odt(extra: &[(&str, &[u8])]) -> Vec<u8> {
    let mut entries = vec![
        (
            "mimetype",
            b"application/vnd.oasis.opendocument.text".as_slice(),
        ),
        ("content.xml", b"<office:document-content/>".as_slice()),
        ("META-INF/manifest.xml", b"<manifest:manifest/>".as_slice()),
    ];
    entries.extend_from_slice(extra);
    zip_of(&entries)
}

/// A DOCX with one entry of 300 MiB of zeros, streamed into the writer (about 300 kB deflated).
fn bomb() -> &'static [u8] {
    static BOMB: OnceLock<Vec<u8>> = OnceLock::new();
    BOMB.get_or_init(|| {
        let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
        let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
        for (name, data) in [
            ("[Content_Types].xml", DOCX_TYPES),
            ("word/document.xml", DOCX_BODY),
        ] {
            writer.start_file(name, options).expect("start entry");
            writer.write_all(data).expect("write entry");
        }
        writer
            .start_file("word/media/zeros.bin", options)
            .expect("start entry");
        let zeros = vec![0_u8; MIB];
        for _ in 0..300 {
            writer.write_all(&zeros).expect("write zeros");
        }
        writer.finish().expect("finish zip").into_inner()
    })
}

/// The bomb with its uncompressed size declared as 1000 bytes, in the local header and the
/// central directory.
fn lying_bomb() -> Vec<u8> {
    let mut bytes = bomb().to_vec();
    let real = u32::try_from(300 * MIB).expect("fits").to_le_bytes();
    let mut patched = 0;
    for (signature, offset) in [(b"PK\x03\x04", 22), (b"PK\x01\x02", 24)] {
        let starts: Vec<usize> = bytes
            .windows(4)
            .enumerate()
            .filter(|(_, w)| w == signature)
            .map(|(i, _)| i)
            .collect();
        for start in starts {
            let field = start + offset..start + offset + 4;
            if bytes.get(field.clone()) == Some(real.as_slice()) {
                bytes[field].copy_from_slice(&1000_u32.to_le_bytes());
                patched += 1;
            }
        }
    }
    assert_eq!(patched, 2, "both declared sizes patched");
    bytes
}

/// An e-mail with a text body and the given attachments (name, media type, content).
fn eml(boundary: &str, attachments: &[(&str, &str, &[u8])]) -> Vec<u8> {
    let mut out = format!(
        "Return-Path: <social@example.fr>\r\nFrom: Service social <social@example.fr>\r\n\
         To: crip@example.fr\r\nSubject: Rapport de situation\r\n\
         Date: Mon, 2 Mar 2026 10:00:00 +0100\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n\
         --{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Bonjour, voici le rapport.\r\n"
    )
    .into_bytes();
    for (name, media_type, content) in attachments {
        let header = format!(
            "--{boundary}\r\nContent-Type: {media_type}; name=\"{name}\"\r\n\
             Content-Disposition: attachment; filename=\"{name}\"\r\n"
        );
        out.extend_from_slice(header.as_bytes());
        if *media_type == "message/rfc822" {
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(content);
        } else {
            out.extend_from_slice(b"Content-Transfer-Encoding: base64\r\n\r\n");
            let encoded = base64::engine::general_purpose::STANDARD.encode(content);
            for line in encoded.as_bytes().chunks(76) {
                out.extend_from_slice(line);
                out.extend_from_slice(b"\r\n");
            }
        }
    }
    out.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    out
}

/// A message holding a message holding… `levels` messages deep, the innermost with `leaf`.
fn nested_eml(levels: usize, leaf: &[(&str, &str, &[u8])]) -> Vec<u8> {
    let mut message = eml("b0", leaf);
    for level in 1..levels {
        let attached = [("transfert.eml", "message/rfc822", message.as_slice())];
        message = eml(&format!("b{level}"), &attached);
    }
    message
}

// --- size and programs -----------------------------------------------------------------------

#[test]
fn an_empty_file_is_refused() {
    assert_eq!(refused(b"", "vide"), Refusal::Empty);
    assert_eq!(Refusal::Empty.code(), "vide");
}

#[test]
fn a_file_over_the_size_limit_is_refused_with_the_limit_in_mo() {
    let big = vec![b'a'; 20 * MIB + 1];
    let refusal = refused(&big, "20 Mo");
    assert!(matches!(refusal, Refusal::TooLarge { .. }));
    assert_eq!(refusal.code(), "trop_volumineux");
}

#[test]
fn programs_are_refused_whatever_their_name() {
    let mut mach_o = vec![0xCF, 0xFA, 0xED, 0xFE];
    mach_o.resize(32, 0);
    let java = b"\xCA\xFE\xBA\xBE\x00\x00\x00\x34rest".to_vec();
    let wasm = b"\0asm\x01\0\0\0".to_vec();
    let mut dex = b"dex\n035\0".to_vec();
    dex.resize(112, 0);
    for sample in [pe(), elf(), mach_o, java, wasm, dex] {
        let refusal = refused(&sample, "programme exécutable");
        assert_eq!(refusal, Refusal::Executable);
        assert_eq!(refusal.code(), "executable");
    }
}

#[test]
fn a_script_is_refused_but_other_text_is_only_renamed() {
    assert_eq!(refused(b"#!/bin/sh\nrm -rf /\n", "script"), Refusal::Script);
    assert_eq!(accepted(b"@echo off\r\ndel *.*\r\n"), Kind::Text);
    assert_eq!(stored_name("script.bat", Kind::Text), "script.txt");
}

#[test]
fn ole2_files_are_refused_as_legacy_office_or_protected() {
    let mut ole2 = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1".to_vec();
    ole2.resize(512, 0);
    let refusal = refused(&ole2, "mot de passe");
    assert_eq!(refusal, Refusal::LegacyOfficeOrProtected);
    assert!(refusal.to_string().contains("DOCX, ODT ou PDF"));
}

// --- PDF -------------------------------------------------------------------------------------

#[test]
fn a_minimal_pdf_is_accepted() {
    let inspected = inspect(&pdf(""), &Limits::default()).expect("accepted");
    assert_eq!(inspected.kind, Kind::Pdf);
    assert_eq!(inspected.content_type(), "application/pdf");
    // Readers find the header within the first 1024 bytes.
    let mut late = b"\n\n% junk\n".to_vec();
    late.extend(pdf(""));
    assert_eq!(accepted(&late), Kind::Pdf);
}

#[test]
fn an_encrypted_pdf_is_refused() {
    for trailer in [
        " /Encrypt 5 0 R",
        "/Encrypt<</Filter/Standard>>",
        " /Encrypt/x",
    ] {
        let refusal = refused(&pdf(trailer), "mot de passe");
        assert_eq!(refusal, Refusal::EncryptedPdf);
        assert!(refusal.to_string().contains("imprimez-le en PDF"));
        assert_eq!(refusal.code(), "pdf_chiffre");
    }
    // A cross-reference stream dictionary.
    let xref_stream = b"%PDF-1.7\n9 0 obj\n<</Type/XRef/Size 9/Encrypt 8 0 R/Length 0>>stream\nendstream\nendobj\n";
    assert_eq!(refused(xref_stream, "chiffré"), Refusal::EncryptedPdf);
    // Another key that merely starts the same way is not encryption.
    assert_eq!(accepted(&pdf(" /EncryptMetadata false")), Kind::Pdf);
}

#[test]
fn a_program_renamed_pdf_is_still_a_program() {
    let mut polyglot = pe();
    polyglot.extend(pdf(""));
    assert_eq!(refused(&polyglot, "exécutable"), Refusal::Executable);
}

// --- DOCX and ODT ----------------------------------------------------------------------------

#[test]
fn a_minimal_docx_is_accepted() {
    let inspected = inspect(&docx(&[]), &Limits::default()).expect("accepted");
    assert_eq!(inspected.kind, Kind::Docx);
    assert_eq!(
        inspected.content_type(),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
}

#[test]
fn a_docx_with_macros_is_refused() {
    let vba = docx(&[("word/vbaProject.bin", b"\xD0\xCF\x11\xE0".as_slice())]);
    let refusal = refused(&vba, "macros");
    assert_eq!(refusal, Refusal::Macro);
    assert_eq!(refusal.code(), "macro");
    let vba_data = docx(&[("word/vbaData.xml", b"<wne:vbaSuppData/>".as_slice())]);
    assert_eq!(refused(&vba_data, "macros"), Refusal::Macro);
    let types = String::from_utf8_lossy(DOCX_TYPES)
        .replace("document.main+xml", "document.macroEnabled.main+xml");
    let docm = zip_of(&[
        ("[Content_Types].xml", types.as_bytes()),
        ("word/document.xml", DOCX_BODY),
    ]);
    assert_eq!(refused(&docm, "macros"), Refusal::Macro);
}

#[test]
fn an_odt_is_accepted_unless_it_holds_basic_or_scripts() {
    assert_eq!(accepted(&odt(&[])), Kind::Odt);
    let basic = odt(&[("Basic/Standard/Module1.xml", b"<script:module/>".as_slice())]);
    assert_eq!(refused(&basic, "macros"), Refusal::Macro);
    let scripts = odt(&[("Scripts/python/run.py", b"import os".as_slice())]);
    assert_eq!(refused(&scripts, "macros"), Refusal::Macro);
}

#[test]
fn other_zip_based_files_are_refused() {
    let xlsx = zip_of(&[
        ("[Content_Types].xml", b"<Types/>".as_slice()),
        ("xl/workbook.xml", b"<workbook/>".as_slice()),
    ]);
    let refusal = refused(&xlsx, "Excel");
    assert!(matches!(refusal, Refusal::NotAccepted { .. }));
    assert_eq!(refusal.code(), "type_non_accepte");
    assert!(refusal.to_string().contains("documents DOCX et ODT"));
    let ods = zip_of(&[(
        "mimetype",
        b"application/vnd.oasis.opendocument.spreadsheet".as_slice(),
    )]);
    assert!(matches!(refused(&ods, "ODS"), Refusal::NotAccepted { .. }));
    let plain = zip_of(&[
        ("photo.jpg", b"\xFF\xD8\xFF".as_slice()),
        ("note.txt", b"x".as_slice()),
    ]);
    assert_eq!(refused(&plain, "un par un"), Refusal::Archive);
    let jar = zip_of(&[
        ("META-INF/MANIFEST.MF", b"Main-Class: A".as_slice()),
        ("A.class", b"\xCA\xFE".as_slice()),
    ]);
    assert_eq!(refused(&jar, "exécutable"), Refusal::Executable);
}

#[test]
fn a_damaged_docx_is_refused() {
    let whole = docx(&[]);
    let truncated = &whole[..whole.len() / 2];
    assert_eq!(refused(truncated, "endommagé"), Refusal::Damaged);
    // A corrupted compressed entry: the central directory is intact, the data is not.
    let mut corrupted = whole.clone();
    let body = corrupted
        .windows(17)
        .position(|w| w == b"word/document.xml")
        .expect("entry")
        + 17;
    for byte in &mut corrupted[body..body + 40] {
        *byte ^= 0x5A;
    }
    assert_eq!(refused(&corrupted, "endommagé"), Refusal::Damaged);
}

#[test]
fn a_zip_bomb_is_refused_from_its_declared_sizes() {
    let refusal = refused(bomb(), "200 Mo");
    assert!(matches!(refusal, Refusal::ArchiveTooLarge { .. }));
    assert_eq!(refusal.code(), "archive_trop_grosse");
}

#[test]
fn a_zip_bomb_lying_about_its_sizes_is_refused_while_decompressing() {
    // zip 9 stops reading an entry at its declared size and then checks the CRC, which fails: the
    // file is refused as damaged. A reader trusting the data would hit the bounded count instead.
    let refusal = inspect(&lying_bomb(), &Limits::default()).expect_err("refused");
    assert!(
        matches!(refusal, Refusal::ArchiveTooLarge { .. } | Refusal::Damaged),
        "{refusal:?}"
    );
}

#[test]
fn the_unpack_limit_is_a_setting_and_is_shared_by_an_emails_attachments() {
    let limits = Limits {
        max_unpacked: MIB as u64,
        ..Limits::default()
    };
    let big = docx(&[("word/media/big.bin", vec![0_u8; 2 * MIB].as_slice())]);
    let refusal = refused_with(&big, &limits, "1 Mo");
    assert!(matches!(refusal, Refusal::ArchiveTooLarge { .. }));
    // Each attachment fits the limit, both together do not.
    let half = docx(&[("word/media/half.bin", vec![0_u8; 600 * 1024].as_slice())]);
    assert_eq!(inspect(&half, &limits).map(|i| i.kind), Ok(Kind::Docx));
    let twice = eml(
        "sep",
        &[
            ("a.docx", "application/octet-stream", &half),
            ("b.docx", "application/octet-stream", &half),
        ],
    );
    let refusal = refused_with(&twice, &limits, "« b.docx »");
    assert!(matches!(
        refusal.root_cause(),
        Refusal::ArchiveTooLarge { .. }
    ));
}

#[test]
fn too_many_entries_are_refused() {
    let names: Vec<String> = (0..20).map(|i| format!("word/media/{i}.xml")).collect();
    let extra: Vec<(&str, &[u8])> = names
        .iter()
        .map(|n| (n.as_str(), b"<x/>".as_slice()))
        .collect();
    let limits = Limits {
        max_entries: 10,
        ..Limits::default()
    };
    let refusal = refused_with(&docx(&extra), &limits, "10 éléments");
    assert!(matches!(refusal, Refusal::ArchiveTooLarge { .. }));
}

// --- images ----------------------------------------------------------------------------------

#[test]
fn image_signatures_are_recognised() {
    let mut heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".to_vec();
    heic.resize(64, 0);
    let samples: [(&[u8], Kind); 7] = [
        (b"\x89PNG\r\n\x1A\n\0\0\0\rIHDR", Kind::Png),
        (b"\xFF\xD8\xFF\xE0\0\x10JFIF\0", Kind::Jpeg),
        (b"GIF89a\x01\0\x01\0", Kind::Gif),
        (b"II*\0\x08\0\0\0\0\0\0\0", Kind::Tiff),
        (b"MM\0*\0\0\0\x08\0\0\0\0", Kind::Tiff),
        (b"RIFF\x24\0\0\0WEBPVP8 ", Kind::Webp),
        (&heic, Kind::Heif),
    ];
    for (bytes, kind) in samples {
        assert_eq!(accepted(bytes), kind, "{}", kind.label());
    }
    assert_eq!(Kind::Jpeg.label(), "Image JPEG");
    assert_eq!(Kind::Jpeg.media_type(), "image/jpeg");
}

#[test]
fn svg_and_web_pages_are_refused() {
    let svg = b"<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>";
    let refusal = refused(svg, "SVG");
    assert_eq!(refusal, Refusal::Svg);
    assert!(refusal.to_string().contains("scripts"));
    let html = b"<!DOCTYPE html>\n<html><body><p>Bonjour</p></body></html>";
    let refusal = refused(html, "page web");
    assert_eq!(refusal, Refusal::Markup);
    assert_eq!(refusal.code(), "balisage");
}

// --- text ------------------------------------------------------------------------------------

#[test]
fn utf8_text_is_accepted() {
    let inspected = inspect(
        "Compte rendu de visite : l'enfant va bien.\n".as_bytes(),
        &Limits::default(),
    )
    .expect("accepted");
    assert_eq!(inspected.kind, Kind::Text);
    assert_eq!(inspected.content_type(), "text/plain; charset=utf-8");
    assert_eq!(accepted(b"\xEF\xBB\xBFavec BOM"), Kind::Text);
}

#[test]
fn windows_1252_text_is_accepted() {
    // « Élève reçu à l'école – 3 €. » in Windows-1252.
    let bytes = b"\xABl\xE8ve re\xE7u \xE0 l'\xE9cole \x96 3 \x80.\xBB\r\n";
    let inspected = inspect(bytes, &Limits::default()).expect("accepted");
    assert_eq!(inspected.kind, Kind::Text);
    assert_eq!(inspected.charset, Some("windows-1252"));
}

#[test]
fn unknown_binaries_are_refused_listing_what_is_accepted() {
    let mut mp3 = b"ID3\x04\0\0\0\0\0\0".to_vec();
    mp3.extend([0xFF, 0xFB, 0x90, 0x44, 0, 0, 0x01]);
    let refusal = refused(
        &mp3,
        "Sont acceptés : PDF, images (JPEG, PNG, TIFF, GIF, WebP, HEIC)",
    );
    assert_eq!(
        refusal,
        Refusal::NotAccepted {
            detected: Some("fichier audio")
        }
    );
    assert_eq!(
        refused(b"\x1F\x8B\x08\0\0\0\0\0\0\x03", "archive"),
        Refusal::Archive
    );
    let refusal = refused(b"\0\x01\x02\x03binaire", "courriels (EML)");
    assert_eq!(refusal, Refusal::NotAccepted { detected: None });
}

// --- e-mails ---------------------------------------------------------------------------------

#[test]
fn an_email_with_a_pdf_attachment_is_accepted() {
    let message = eml("sep", &[("rapport.pdf", "application/pdf", &pdf(""))]);
    let inspected = inspect(&message, &Limits::default()).expect("accepted");
    assert_eq!(inspected.kind, Kind::Eml);
    assert_eq!(inspected.content_type(), "message/rfc822");
    assert_eq!(inspected.attachments.len(), 1);
    assert_eq!(inspected.attachments[0].name, "rapport.pdf");
    assert_eq!(inspected.attachments[0].kind, Kind::Pdf);
}

#[test]
fn an_email_with_a_program_attachment_is_refused_naming_it() {
    let message = eml(
        "sep",
        &[
            ("rapport.pdf", "application/pdf", &pdf("")),
            ("facture.exe", "application/octet-stream", &pe()),
        ],
    );
    let refusal = refused(&message, "« facture.exe »");
    assert!(refusal.to_string().contains("programme exécutable"));
    assert_eq!(refusal.code(), "piece_jointe");
    assert_eq!(refusal.root_cause(), &Refusal::Executable);
}

#[test]
fn an_attachment_is_judged_by_its_content_not_its_declared_type() {
    let message = eml("sep", &[("lisez-moi.txt", "text/plain", &pe())]);
    assert_eq!(
        refused(&message, "exécutable").root_cause(),
        &Refusal::Executable
    );
    // mail-parser turns text parts into UTF-8 lossily: the raw bytes are decoded again.
    let mut ole2 = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1".to_vec();
    ole2.resize(512, 0);
    let message = eml("sep", &[("protege.docx", "text/plain", &ole2)]);
    assert_eq!(
        refused(&message, "« protege.docx »").root_cause(),
        &Refusal::LegacyOfficeOrProtected
    );
    let message = eml(
        "sep",
        &[(
            "lettre.docx",
            "application/octet-stream",
            &odt(&[("Basic/x.xml", b"x".as_slice())]),
        )],
    );
    assert_eq!(
        refused(&message, "« lettre.docx »").root_cause(),
        &Refusal::Macro
    );
}

#[test]
fn attached_messages_are_inspected_down_to_three_levels() {
    let ok = nested_eml(
        4,
        &[("photo.png", "image/png", b"\x89PNG\r\n\x1A\n\0\0\0\rIHDR")],
    );
    let inspected = inspect(&ok, &Limits::default()).expect("accepted");
    assert_eq!(inspected.attachments[0].kind, Kind::Eml);
    let bad = nested_eml(3, &[("outil.exe", "application/octet-stream", &pe())]);
    let refusal = refused(&bad, "« transfert.eml › transfert.eml › outil.exe »");
    assert_eq!(refusal.root_cause(), &Refusal::Executable);
    assert!(refusal.to_string().contains("programme exécutable"));
    let deep = nested_eml(
        6,
        &[("photo.png", "image/png", b"\x89PNG\r\n\x1A\n\0\0\0\rIHDR")],
    );
    let refusal = refused(&deep, "niveaux");
    assert_eq!(refusal.root_cause().code(), "courriels_trop_imbriques");
}

#[test]
fn a_text_that_merely_starts_with_a_date_is_not_an_email() {
    assert_eq!(
        accepted(b"Date: 12/03/2026\nObjet: visite\n\nCompte rendu"),
        Kind::Text
    );
}

// --- stored names ----------------------------------------------------------------------------

#[test]
fn stored_names_take_the_detected_extension() {
    let cases = [
        ("rapport.pdf.exe", Kind::Pdf, "rapport.pdf"),
        ("rapport.pdf", Kind::Pdf, "rapport.pdf"),
        ("script.bat", Kind::Text, "script.txt"),
        ("", Kind::Pdf, "document.pdf"),
        ("   ", Kind::Docx, "document.docx"),
        (".pdf", Kind::Pdf, "document.pdf"),
        (
            "C:\\Users\\agent\\Bureau\\Photo.JPEG",
            Kind::Jpeg,
            "Photo.jpg",
        ),
        ("../../etc/passwd", Kind::Text, "passwd.txt"),
        ("compte rendu v1.2", Kind::Odt, "compte rendu v1.2.odt"),
        ("a<b>c:d\"e|f?g*h.docx", Kind::Docx, "a_b_c_d_e_f_g_h.docx"),
        ("ligne\nde\tretour.txt", Kind::Text, "ligne_de_retour.txt"),
        ("  trop   d'espaces  .pdf", Kind::Pdf, "trop d'espaces.pdf"),
        ("facture\u{202E}fdp.exe", Kind::Pdf, "facture_fdp.pdf"),
        ("note.", Kind::Text, "note.txt"),
        ("CON.txt", Kind::Text, "_CON.txt"),
        ("Élève à l'école.odt", Kind::Odt, "Élève à l'école.odt"),
    ];
    for (uploaded, kind, expected) in cases {
        assert_eq!(stored_name(uploaded, kind), expected, "{uploaded:?}");
    }
}

#[test]
fn stored_names_are_bounded_keeping_the_extension() {
    let long = format!("{}.pdf", "é".repeat(300));
    let name = stored_name(&long, Kind::Pdf);
    assert_eq!(name.chars().count(), 120);
    assert!(name.ends_with("éé.pdf"));
    let name = stored_name(&format!("{}.docx", "a ".repeat(100)), Kind::Docx);
    assert!(
        name.chars().count() <= 120 && name.ends_with("a.docx"),
        "{name}"
    );
}
