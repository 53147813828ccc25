//! Minimal DOCX and ODT packages built in memory around a body, and reading a part back.

#![allow(dead_code)]

use std::io::{Cursor, Read, Write};

use zip::write::SimpleFileOptions;

pub const W: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";

fn zip(entries: &[(&str, &str)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in entries {
        w.start_file(*name, SimpleFileOptions::default()).unwrap();
        w.write_all(data.as_bytes()).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// A DOCX whose body is `body` (paragraphs, tables).
pub fn docx(body: &str) -> Vec<u8> {
    let document = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:document xmlns:w=\"{W}\" \
         xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><w:body>{body}\
         <w:sectPr><w:pgSz w:w=\"11906\" w:h=\"16838\"/></w:sectPr></w:body></w:document>"
    );
    zip(&[
        (
            "[Content_Types].xml",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
             <Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
             <Default Extension=\"xml\" ContentType=\"application/xml\"/>\
             <Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/></Types>",
        ),
        (
            "_rels/.rels",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
             <Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/></Relationships>",
        ),
        ("word/document.xml", &document),
    ])
}

/// An ODT whose body is `body`.
pub fn odt(body: &str) -> Vec<u8> {
    let content = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<office:document-content \
         xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" \
         xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" \
         xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\" \
         xmlns:draw=\"urn:oasis:names:tc:opendocument:xmlns:drawing:1.0\" \
         xmlns:svg=\"urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0\" \
         xmlns:xlink=\"http://www.w3.org/1999/xlink\" office:version=\"1.3\">\
         <office:body><office:text>{body}</office:text></office:body></office:document-content>"
    );
    zip(&[
        ("mimetype", "application/vnd.oasis.opendocument.text"),
        (
            "META-INF/manifest.xml",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\" manifest:version=\"1.3\">\
             <manifest:file-entry manifest:full-path=\"/\" manifest:media-type=\"application/vnd.oasis.opendocument.text\"/>\
             <manifest:file-entry manifest:full-path=\"content.xml\" manifest:media-type=\"text/xml\"/></manifest:manifest>",
        ),
        ("content.xml", &content),
    ])
}

/// A part of a package, as text.
pub fn part(package: &[u8], name: &str) -> String {
    let mut archive = zip::ZipArchive::new(Cursor::new(package)).unwrap();
    let mut file = archive.by_name(name).unwrap();
    let mut out = String::new();
    file.read_to_string(&mut out).unwrap();
    out
}

/// A part of a package, as bytes.
pub fn part_bytes(package: &[u8], name: &str) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(Cursor::new(package)).unwrap();
    let mut file = archive.by_name(name).unwrap();
    let mut out = Vec::new();
    file.read_to_end(&mut out).unwrap();
    out
}

/// Names of a package's entries, in order.
pub fn entries(package: &[u8]) -> Vec<String> {
    let mut archive = zip::ZipArchive::new(Cursor::new(package)).unwrap();
    (0..archive.len())
        .map(|i| archive.by_index(i).unwrap().name().unwrap().into_owned())
        .collect()
}

/// The body of a filled DOCX (between <w:body> and <w:sectPr>), for snapshots.
pub fn docx_body(package: &[u8]) -> String {
    let doc = part(package, "word/document.xml");
    let start = doc.find("<w:body>").unwrap() + "<w:body>".len();
    let end = doc.find("<w:sectPr>").unwrap();
    doc[start..end]
        .replace("><w:p>", ">\n<w:p>")
        .replace("><w:tr>", ">\n<w:tr>")
}

/// The body of a filled ODT (inside <office:text>), for snapshots.
pub fn odt_body(package: &[u8]) -> String {
    let doc = part(package, "content.xml");
    let start = doc.find("<office:text>").unwrap() + "<office:text>".len();
    let end = doc.find("</office:text>").unwrap();
    doc[start..end]
        .replace("><text:p>", ">\n<text:p>")
        .replace("><table:table-row>", ">\n<table:table-row>")
}

/// A 4×2 pixel PNG's header bytes (enough for the size).
pub fn png_4x2() -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    b.extend_from_slice(&4u32.to_be_bytes());
    b.extend_from_slice(&2u32.to_be_bytes());
    b.extend_from_slice(&[8, 6, 0, 0, 0]);
    b
}
