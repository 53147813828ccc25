//! The text of a filled document, paragraph by paragraph: what the preview shows, and what tests
//! read to check a letter's values and that nothing forbidden is in it.

use quick_xml::Reader;
use quick_xml::events::Event;

use crate::package::{Package, text_parts};
use crate::{Format, LetterError};

/// The text of a DOCX or ODT: the body, then headers and footers; one line per paragraph, line
/// breaks kept, tabs as tabs.
pub fn document_text(bytes: &[u8]) -> Result<String, LetterError> {
    let (package, format) = Package::read(bytes)?;
    let mut out = String::new();
    for (name, _) in text_parts(&package, format) {
        let xml = String::from_utf8_lossy(package.get(&name).unwrap_or_default()).into_owned();
        part_text(&xml, format, &mut out)?;
    }
    Ok(out)
}

fn part_text(xml: &str, format: Format, out: &mut String) -> Result<(), LetterError> {
    let (para, text_el, br, tab) = match format {
        Format::Docx => (&["w:p"][..], &["w:t"][..], "w:br", "w:tab"),
        Format::Odt => (
            &["text:p", "text:h"][..],
            &[][..],
            "text:line-break",
            "text:tab",
        ),
    };
    let mut reader = Reader::from_str(xml);
    reader.config_mut().trim_text(false);
    // ODT: all text inside paragraphs; DOCX: only inside <w:t> (not field codes).
    let mut in_para = 0usize;
    let mut in_text = 0usize;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| LetterError::Package(format!("XML mal formé ({e})")))?;
        match event {
            Event::Start(e) => {
                let name = e.name();
                let name: &str = name.as_ref();
                if para.contains(&name) {
                    in_para += 1;
                } else if text_el.contains(&name) {
                    in_text += 1;
                }
            }
            Event::End(e) => {
                let name = e.name();
                let name: &str = name.as_ref();
                if para.contains(&name) {
                    in_para = in_para.saturating_sub(1);
                    out.push('\n');
                } else if text_el.contains(&name) {
                    in_text = in_text.saturating_sub(1);
                }
            }
            Event::Empty(e) => {
                let name = e.name();
                let name: &str = name.as_ref();
                if name == br {
                    out.push('\n');
                } else if name == tab {
                    out.push('\t');
                } else if name == "text:s" {
                    out.push(' ');
                } else if para.contains(&name) {
                    out.push('\n');
                }
            }
            Event::Text(t) if in_para > 0 && (format == Format::Odt || in_text > 0) => {
                out.push_str(&t.xml_content(quick_xml::XmlVersion::Implicit1_0));
            }
            Event::GeneralRef(r) if in_para > 0 && (format == Format::Odt || in_text > 0) => {
                let raw = format!("&{};", r.xml_content(quick_xml::XmlVersion::Implicit1_0));
                out.push_str(&crate::xml::unescape(&raw));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(())
}

/// A table cell must hold a paragraph (Word refuses the file otherwise): a loop that repeated
/// nothing inside a cell gets an empty one.
pub(crate) fn fill_empty_cells(xml: &str) -> String {
    if !xml.contains("<w:tc") {
        return xml.to_owned();
    }
    let mut out = String::with_capacity(xml.len() + 64);
    let mut rest = xml;
    while let Some(end) = rest.find("</w:tc>") {
        let (before, after) = rest.split_at(end);
        let cell_start = before.rfind("<w:tc>").or_else(|| before.rfind("<w:tc "));
        let has_para = cell_start.is_some_and(|s| {
            let cell = &before[s..];
            cell.contains("<w:p>") || cell.contains("<w:p ") || cell.contains("<w:p/>")
        });
        out.push_str(before);
        if cell_start.is_some() && !has_para {
            out.push_str("<w:p/>");
        }
        out.push_str("</w:tc>");
        rest = &after["</w:tc>".len()..];
    }
    out.push_str(rest);
    out
}
