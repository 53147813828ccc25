//! DOCX and ODT packages: zip archives of XML parts. Which parts hold text a template may fill,
//! how an image is added to each format, and writing the archive back (an ODT's `mimetype`
//! first and stored, as ODF requires).

use std::io::{Cursor, Read, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use crate::{Format, LetterError};

/// The entries of a package, in their order.
#[derive(Debug, Clone)]
pub(crate) struct Package {
    pub entries: Vec<(String, Vec<u8>)>,
}

const ODT_MIME: &[u8] = b"application/vnd.oasis.opendocument.text";

impl Package {
    pub fn read(bytes: &[u8]) -> Result<(Package, Format), LetterError> {
        let mut archive = ZipArchive::new(Cursor::new(bytes))
            .map_err(|_| LetterError::Package("ce n'est pas une archive zip".into()))?;
        let mut entries = Vec::with_capacity(archive.len());
        for i in 0..archive.len() {
            let mut file = archive
                .by_index(i)
                .map_err(|e| LetterError::Package(format!("entrée illisible ({e})")))?;
            if file.is_dir() {
                continue;
            }
            let name = file
                .name()
                .map_err(|e| LetterError::Package(format!("nom d'entrée illisible ({e})")))?
                .into_owned();
            let mut data = Vec::with_capacity(usize::try_from(file.size()).unwrap_or(0));
            file.read_to_end(&mut data)
                .map_err(|e| LetterError::Package(format!("entrée illisible ({e})")))?;
            entries.push((name, data));
        }
        let package = Package { entries };
        let format = if package.get("word/document.xml").is_some() {
            Format::Docx
        } else if package.get("content.xml").is_some()
            && package
                .get("mimetype")
                .is_some_and(|m| m.trim_ascii() == ODT_MIME)
        {
            Format::Odt
        } else {
            return Err(LetterError::Package(
                "ni « word/document.xml » (DOCX) ni « content.xml » d'un texte ODT".into(),
            ));
        };
        Ok((package, format))
    }

    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.entries
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, d)| d.as_slice())
    }

    pub fn set(&mut self, name: &str, data: Vec<u8>) {
        match self.entries.iter_mut().find(|(n, _)| n == name) {
            Some(entry) => entry.1 = data,
            None => self.entries.push((name.to_owned(), data)),
        }
    }

    pub fn write(&self) -> Result<Vec<u8>, LetterError> {
        let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
        let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
        let deflated = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
        let fail = |e: &dyn std::fmt::Display| LetterError::Render(format!("archive ({e})"));
        let mimetype = self.entries.iter().filter(|(n, _)| n == "mimetype");
        let others = self.entries.iter().filter(|(n, _)| n != "mimetype");
        for (name, data) in mimetype.chain(others) {
            let options = if name == "mimetype" { stored } else { deflated };
            writer
                .start_file(name.as_str(), options)
                .map_err(|e| fail(&e))?;
            writer.write_all(data).map_err(|e| fail(&e))?;
        }
        let cursor = writer.finish().map_err(|e| fail(&e))?;
        Ok(cursor.into_inner())
    }
}

/// The parts holding text, with the name an author knows them by.
pub(crate) fn text_parts(package: &Package, format: Format) -> Vec<(String, &'static str)> {
    let mut parts = Vec::new();
    for (name, _) in &package.entries {
        let label = match format {
            Format::Docx => match name.as_str() {
                "word/document.xml" => Some("corps du document"),
                n if n.starts_with("word/header") && n.ends_with(".xml") => Some("en-tête"),
                n if n.starts_with("word/footer") && n.ends_with(".xml") => Some("pied de page"),
                _ => None,
            },
            Format::Odt => match name.as_str() {
                "content.xml" => Some("corps du document"),
                "styles.xml" => Some("en-tête ou pied de page"),
                _ => None,
            },
        };
        if let Some(label) = label {
            parts.push((name.clone(), label));
        }
    }
    // The body first: its errors are the ones an author looks for first.
    parts.sort_by_key(|(_, label)| *label != "corps du document");
    parts
}

/// An image a template shows with `{{ logo }}`.
#[derive(Debug, Clone)]
pub struct Image {
    /// The name used in the template (`logo`).
    pub key: String,
    /// PNG, JPEG or SVG bytes.
    pub bytes: Vec<u8>,
    /// Printed height; the width follows the image's proportions.
    pub height_mm: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ImageType {
    Png,
    Jpeg,
    Svg,
}

impl ImageType {
    pub fn detect(bytes: &[u8]) -> Option<ImageType> {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(ImageType::Png)
        } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
            Some(ImageType::Jpeg)
        } else {
            let head = String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]).into_owned();
            head.contains("<svg").then_some(ImageType::Svg)
        }
    }
    pub fn extension(self) -> &'static str {
        match self {
            ImageType::Png => "png",
            ImageType::Jpeg => "jpeg",
            ImageType::Svg => "svg",
        }
    }
    pub fn mime(self) -> &'static str {
        match self {
            ImageType::Png => "image/png",
            ImageType::Jpeg => "image/jpeg",
            ImageType::Svg => "image/svg+xml",
        }
    }
}

/// Width over height of an image (1 when it cannot be read).
pub(crate) fn aspect_ratio(bytes: &[u8], kind: ImageType) -> f64 {
    let ratio = match kind {
        ImageType::Png if bytes.len() >= 24 => {
            let w = u32::from_be_bytes([bytes[16], bytes[17], bytes[18], bytes[19]]);
            let h = u32::from_be_bytes([bytes[20], bytes[21], bytes[22], bytes[23]]);
            (h > 0).then(|| f64::from(w) / f64::from(h))
        }
        ImageType::Jpeg => jpeg_size(bytes).map(|(w, h)| f64::from(w) / f64::from(h)),
        ImageType::Svg => svg_size(bytes),
        ImageType::Png => None,
    };
    ratio
        .filter(|r| r.is_finite() && *r > 0.05 && *r < 20.0)
        .unwrap_or(1.0)
}

fn jpeg_size(bytes: &[u8]) -> Option<(u16, u16)> {
    let mut i = 2;
    while i + 9 < bytes.len() {
        if bytes[i] != 0xff {
            return None;
        }
        let marker = bytes[i + 1];
        let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        if (0xc0..=0xc3).contains(&marker) {
            let h = u16::from_be_bytes([bytes[i + 5], bytes[i + 6]]);
            let w = u16::from_be_bytes([bytes[i + 7], bytes[i + 8]]);
            return (h > 0).then_some((w, h));
        }
        i += 2 + len;
    }
    None
}

fn svg_size(bytes: &[u8]) -> Option<f64> {
    let text = String::from_utf8_lossy(bytes);
    let start = text.find("<svg")?;
    let tag = &text[start..start + text[start..].find('>')?];
    let attr = |name: &str| -> Option<&str> {
        let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        Some(&tag[at..at + tag[at..].find('"')?])
    };
    if let Some(view_box) = attr("viewBox") {
        let v: Vec<f64> = view_box
            .split([' ', ','])
            .filter_map(|n| n.parse().ok())
            .collect();
        if v.len() == 4 && v[3] > 0.0 {
            return Some(v[2] / v[3]);
        }
    }
    let number =
        |s: &str| -> Option<f64> { s.trim_end_matches(|c: char| c.is_alphabetic()).parse().ok() };
    Some(number(attr("width")?)? / number(attr("height")?)?)
}

/// The markup that shows an image where `{{ key }}` was typed, and its file name in the package.
pub(crate) fn image_markup(
    image: &Image,
    index: usize,
    format: Format,
) -> Option<(String, String)> {
    let kind = ImageType::detect(&image.bytes)?;
    let ratio = aspect_ratio(&image.bytes, kind);
    let height_mm = f64::from(image.height_mm.clamp(5, 100));
    let width_mm = height_mm * ratio;
    let ext = kind.extension();
    Some(match format {
        Format::Docx => {
            // EMU: 36,000 per millimetre.
            let (cx, cy) = ((width_mm * 36_000.0) as u64, (height_mm * 36_000.0) as u64);
            let markup = format!(
                "</w:t><w:drawing><wp:inline xmlns:wp=\"{WP}\" distT=\"0\" distB=\"0\" distL=\"0\" distR=\"0\">\
                 <wp:extent cx=\"{cx}\" cy=\"{cy}\"/><wp:docPr id=\"{id}\" name=\"{key}\"/>\
                 <a:graphic xmlns:a=\"{A}\"><a:graphicData uri=\"{PIC}\"><pic:pic xmlns:pic=\"{PIC}\">\
                 <pic:nvPicPr><pic:cNvPr id=\"{id}\" name=\"{key}.{ext}\"/><pic:cNvPicPr/></pic:nvPicPr>\
                 <pic:blipFill><a:blip xmlns:r=\"{R}\" r:embed=\"{rid}\"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>\
                 <pic:spPr><a:xfrm><a:off x=\"0\" y=\"0\"/><a:ext cx=\"{cx}\" cy=\"{cy}\"/></a:xfrm>\
                 <a:prstGeom prst=\"rect\"><a:avLst/></a:prstGeom></pic:spPr></pic:pic></a:graphicData></a:graphic>\
                 </wp:inline></w:drawing><w:t xml:space=\"preserve\">",
                id = 7000 + index,
                key = crate::filters::escape(&image.key, format),
                rid = docx_rel_id(index),
            );
            (markup, format!("word/media/vigie-{index}.{ext}"))
        }
        Format::Odt => {
            let file = format!("Pictures/vigie-{index}.{ext}");
            let markup = format!(
                "<draw:frame draw:name=\"vigie-{index}\" text:anchor-type=\"as-char\" \
                 svg:width=\"{width_mm:.1}mm\" svg:height=\"{height_mm:.1}mm\" draw:z-index=\"0\">\
                 <draw:image xlink:href=\"{file}\" xlink:type=\"simple\" xlink:show=\"embed\" \
                 xlink:actuate=\"onLoad\"/></draw:frame>"
            );
            (markup, file)
        }
    })
}

const WP: &str = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing";
const A: &str = "http://schemas.openxmlformats.org/drawingml/2006/main";
const PIC: &str = "http://schemas.openxmlformats.org/drawingml/2006/picture";
const R: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

pub(crate) fn docx_rel_id(index: usize) -> String {
    format!("rIdVigieImage{index}")
}

/// Adds the image files a filled part refers to, with the relationships (DOCX) or manifest
/// entries (ODT) that make them part of the document.
pub(crate) fn attach_image(
    package: &mut Package,
    format: Format,
    part: &str,
    index: usize,
    image: &Image,
    file: &str,
) {
    let Some(kind) = ImageType::detect(&image.bytes) else {
        return;
    };
    if package.get(file).is_none() {
        package.set(file, image.bytes.clone());
    }
    match format {
        Format::Docx => {
            let (dir, name) = part.rsplit_once('/').unwrap_or(("", part));
            let rels_name = format!("{dir}/_rels/{name}.rels");
            let rels = package.get(&rels_name).map_or_else(
                || {
                    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Relationships \
                     xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"></Relationships>"
                        .to_owned()
                },
                |b| String::from_utf8_lossy(b).into_owned(),
            );
            let id = docx_rel_id(index);
            if !rels.contains(&format!("Id=\"{id}\"")) {
                let target = file.strip_prefix("word/").unwrap_or(file);
                let rel = format!(
                    "<Relationship Id=\"{id}\" Type=\"{R}/image\" Target=\"{target}\"/></Relationships>"
                );
                package.set(
                    &rels_name,
                    rels.replacen("</Relationships>", &rel, 1).into_bytes(),
                );
            }
            let types = package
                .get("[Content_Types].xml")
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default();
            let ext = kind.extension();
            if !types.contains(&format!("Extension=\"{ext}\"")) {
                let default = format!(
                    "<Default Extension=\"{ext}\" ContentType=\"{}\"/></Types>",
                    kind.mime()
                );
                package.set(
                    "[Content_Types].xml",
                    types.replacen("</Types>", &default, 1).into_bytes(),
                );
            }
        }
        Format::Odt => {
            let manifest = package
                .get("META-INF/manifest.xml")
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default();
            if !manifest.contains(&format!("\"{file}\"")) {
                let entry = format!(
                    "<manifest:file-entry manifest:full-path=\"{file}\" manifest:media-type=\"{}\"/></manifest:manifest>",
                    kind.mime()
                );
                package.set(
                    "META-INF/manifest.xml",
                    manifest
                        .replacen("</manifest:manifest>", &entry, 1)
                        .into_bytes(),
                );
            }
        }
    }
}
