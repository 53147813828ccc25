//! A part of a DOCX or ODT (its XML) turned into a Jinja source the engine can fill.
//!
//! Word and LibreOffice split what the author typed as one tag across several runs (a spelling
//! mark, a change of formatting, a bookmark, a revision id): `{{ enfant.` in one `<w:t>` and
//! `prenom }}` in the next. Like python-docxtpl, each tag's text is first gathered into the text
//! node where it starts; the markup it crossed is kept, in order, after it, so the XML stays
//! balanced. A tag spanning two paragraphs is an error.
//!
//! A table row, or a paragraph, whose only text is block tags (`{% for %}`, `{% if %}`,
//! `{% endfor %}`…) is replaced by those tags: the loop then repeats the rows or paragraphs
//! between them, and no empty paragraph is left where the tag was typed. Other block tags stay
//! inline and must open and close in the same paragraph, at the same level of formatting, or the
//! repeated markup would not be balanced: checked here, with the tag and its paragraph named.

use std::ops::Range;

use quick_xml::Reader;
use quick_xml::events::Event;

use crate::Format;
use crate::error::{LetterError, Location, shorten};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Open,
    Close,
    Empty,
    Text,
    Other,
}

#[derive(Debug, Clone)]
struct Token {
    kind: Kind,
    name: String,
    raw: String,
}

/// A tag of the prepared source.
#[derive(Debug, Clone)]
pub(crate) struct TagInfo {
    /// The tag as the engine reads it (`{{ enfant.prenom }}`), quotes and entities normalised.
    pub text: String,
    /// Its byte range in the prepared source.
    pub range: Range<usize>,
    pub location: Location,
    slot: Slot,
}

/// Where a block tag sits, for checking that a block opens and closes at the same place.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Slot {
    /// Replaced the row or paragraph it was alone in; the enclosing element's token index.
    Hoisted(usize),
    /// Inside a paragraph (its index), moved out of its runs or spans.
    Inline(Option<usize>),
}

/// A part ready for the engine.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    pub source: String,
    pub tags: Vec<TagInfo>,
}

impl Prepared {
    /// The tag at or before a byte offset of the source (to name it in an error).
    pub fn tag_at(&self, offset: usize) -> Option<&TagInfo> {
        self.tags
            .iter()
            .rev()
            .find(|t| t.range.start <= offset)
            .or(self.tags.first())
    }
}

fn names(format: Format) -> (&'static [&'static str], &'static [&'static str]) {
    match format {
        Format::Docx => (&["w:p"], &["w:tr"]),
        Format::Odt => (&["text:p", "text:h"], &["table:table-row"]),
    }
}

/// Elements a hoisted paragraph or row must not contain (they would be lost with it).
const CONTENT: &[&str] = &["w:drawing", "w:pict", "w:object", "draw:frame"];

fn tokenize(xml: &str) -> Result<Vec<Token>, String> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().trim_text(false);
    reader.config_mut().check_end_names = true;
    let mut tokens: Vec<Token> = Vec::new();
    let mut start = 0usize;
    loop {
        let event = reader.read_event().map_err(|e| {
            format!(
                "XML mal formé près de l'octet {} ({e})",
                reader.error_position()
            )
        })?;
        let end = usize::try_from(reader.buffer_position()).unwrap_or(xml.len());
        let raw = &xml[start..end];
        let name = |n: quick_xml::name::QName<'_>| n.as_ref().to_owned();
        let (kind, name) = match &event {
            Event::Start(e) => (Kind::Open, name(e.name())),
            Event::End(e) => (Kind::Close, name(e.name())),
            Event::Empty(e) => (Kind::Empty, name(e.name())),
            Event::Text(_) | Event::GeneralRef(_) => (Kind::Text, String::new()),
            Event::Eof => break,
            _ => (Kind::Other, String::new()),
        };
        start = end;
        if kind == Kind::Text
            && let Some(last) = tokens.last_mut()
            && last.kind == Kind::Text
        {
            last.raw.push_str(raw);
            continue;
        }
        tokens.push(Token {
            kind,
            name,
            raw: raw.to_owned(),
        });
    }
    Ok(tokens)
}

/// Checks that a part is well-formed XML (a filled document, before it is written).
pub(crate) fn check_well_formed(xml: &str) -> Result<(), String> {
    tokenize(xml).map(|_| ())
}

/// A paragraph or a table row of the part.
#[derive(Debug, Clone)]
struct Element {
    open: usize,
    close: usize,
    /// Token index of the element that contains it (0 when at the root).
    parent: usize,
    /// Paragraphs: contains another paragraph (a text box); rows: unused.
    nested: bool,
    /// Contains an image or an object.
    content: bool,
}

#[derive(Debug, Default)]
struct Structure {
    paras: Vec<Element>,
    rows: Vec<Element>,
    /// For each token, the innermost paragraph containing it.
    para_of: Vec<Option<usize>>,
}

fn structure(tokens: &[Token], format: Format) -> Structure {
    let (para_names, row_names) = names(format);
    let mut s = Structure {
        para_of: vec![None; tokens.len()],
        ..Structure::default()
    };
    // (token index, paragraph index, row index)
    let mut stack: Vec<(usize, Option<usize>, Option<usize>)> = Vec::new();
    let mut open_paras: Vec<usize> = Vec::new();
    let mut open_rows: Vec<usize> = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        let parent = stack.last().map_or(0, |e| e.0);
        match t.kind {
            Kind::Open => {
                let mut entry = (i, None, None);
                let element = Element {
                    open: i,
                    close: i,
                    parent,
                    nested: false,
                    content: false,
                };
                if para_names.contains(&t.name.as_str()) {
                    if let Some(&outer) = open_paras.last() {
                        s.paras[outer].nested = true;
                    }
                    entry.1 = Some(s.paras.len());
                    open_paras.push(s.paras.len());
                    s.paras.push(element);
                } else if row_names.contains(&t.name.as_str()) {
                    entry.2 = Some(s.rows.len());
                    open_rows.push(s.rows.len());
                    s.rows.push(element);
                } else if CONTENT.contains(&t.name.as_str()) {
                    mark_content(&mut s, &open_paras, &open_rows);
                }
                stack.push(entry);
            }
            Kind::Close => {
                if let Some((_, para, row)) = stack.pop() {
                    if let Some(p) = para {
                        s.paras[p].close = i;
                        open_paras.pop();
                    }
                    if let Some(r) = row {
                        s.rows[r].close = i;
                        open_rows.pop();
                    }
                }
            }
            Kind::Empty if CONTENT.contains(&t.name.as_str()) => {
                mark_content(&mut s, &open_paras, &open_rows);
            }
            _ => {}
        }
        s.para_of[i] = open_paras.last().copied();
    }
    s
}

fn mark_content(s: &mut Structure, open_paras: &[usize], open_rows: &[usize]) {
    for &p in open_paras {
        s.paras[p].content = true;
    }
    for &r in open_rows {
        s.rows[r].content = true;
    }
}

/// The text of a paragraph, entities resolved.
fn text_between(tokens: &[Token], range: Range<usize>) -> String {
    tokens[range]
        .iter()
        .filter(|t| t.kind == Kind::Text)
        .map(|t| unescape(&t.raw))
        .collect()
}

pub(crate) fn unescape(raw: &str) -> String {
    quick_xml::escape::unescape(raw).map_or_else(|_| raw.to_owned(), |s| s.into_owned())
}

/// Byte ranges of the tags in a text: `{{ … }}`, `{% … %}`, `{# … #}`.
fn find_tags(text: &str) -> Result<Vec<Range<usize>>, usize> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i + 1 < bytes.len() {
        let closer = match (bytes[i], bytes[i + 1]) {
            (b'{', b'{') => "}}",
            (b'{', b'%') => "%}",
            (b'{', b'#') => "#}",
            _ => {
                i += 1;
                continue;
            }
        };
        let rest = &text[i + 2..];
        let end = rest.find(closer).ok_or(i)?;
        let next_open = ["{{", "{%", "{#"]
            .iter()
            .filter_map(|o| rest.find(o))
            .min()
            .unwrap_or(usize::MAX);
        if next_open < end {
            return Err(i);
        }
        let stop = i + 2 + end + 2;
        found.push(i..stop);
        i = stop;
    }
    Ok(found)
}

/// The tag as the engine reads it: entities resolved, typographic quotes and non-breaking spaces
/// (French autocorrection) made plain.
fn normalise(raw_tag: &str) -> String {
    unescape(raw_tag)
        .chars()
        .map(|c| match c {
            '“' | '”' | '„' | '«' | '»' => '"',
            '‘' | '’' => '\'',
            '\u{a0}' | '\u{202f}' | '\u{2007}' => ' ',
            c => c,
        })
        .collect()
}

struct Ctx<'a> {
    tokens: &'a [Token],
    structure: &'a Structure,
    part: &'a str,
}

impl Ctx<'_> {
    fn location(&self, token: usize) -> Location {
        match self.structure.para_of.get(token).copied().flatten() {
            Some(p) => {
                let e = &self.structure.paras[p];
                Location {
                    part: self.part.to_owned(),
                    paragraph: p + 1,
                    excerpt: shorten(&text_between(self.tokens, e.open..e.close + 1), 80),
                }
            }
            None => Location {
                part: self.part.to_owned(),
                paragraph: 0,
                excerpt: String::new(),
            },
        }
    }
}

/// Gathers each tag into the text node where it starts.
fn join_split_tags(
    tokens: &mut [Token],
    structure: &Structure,
    part: &str,
) -> Result<(), LetterError> {
    let text_idx: Vec<usize> = (0..tokens.len())
        .filter(|&i| tokens[i].kind == Kind::Text)
        .collect();
    let mut combined = String::new();
    let mut offsets = Vec::with_capacity(text_idx.len());
    for &i in &text_idx {
        offsets.push(combined.len());
        combined.push_str(&tokens[i].raw);
    }
    let locate = |pos: usize| offsets.partition_point(|&o| o <= pos) - 1;
    let spans = find_tags(&combined).map_err(|at| {
        let ctx = Ctx {
            tokens,
            structure,
            part,
        };
        let shown: String = unescape(&combined[at..]).chars().take(40).collect();
        LetterError::tag(
            "Cette balise n'est pas fermée (il manque « }} » ou « %} »)",
            &shown,
            &ctx.location(text_idx[locate(at)]),
        )
    })?;
    for span in spans.into_iter().rev() {
        let (a, b) = (locate(span.start), locate(span.end - 1));
        if a == b {
            continue;
        }
        let (ia, ib) = (text_idx[a], text_idx[b]);
        if structure.para_of[ia] != structure.para_of[ib] {
            let ctx = Ctx {
                tokens,
                structure,
                part,
            };
            return Err(LetterError::tag(
                "Cette balise commence dans un paragraphe et finit dans un autre",
                &normalise(&combined[span.clone()]),
                &ctx.location(ia),
            ));
        }
        let tag = &combined[span.clone()];
        let (pa, qb) = (span.start - offsets[a], span.end - offsets[b]);
        tokens[ia].raw.truncate(pa);
        tokens[ia].raw.push_str(tag);
        for &k in &text_idx[a + 1..b] {
            tokens[k].raw.clear();
        }
        tokens[ib].raw = tokens[ib].raw[qb..].to_owned();
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TagKind {
    Print,
    Block,
    Comment,
}

fn tag_kind(tag: &str) -> TagKind {
    match &tag[..2] {
        "{%" => TagKind::Block,
        "{#" => TagKind::Comment,
        _ => TagKind::Print,
    }
}

/// Whether the tokens of an element hold only block tags (at least one) and blank text.
fn only_block_tags(tokens: &[Token]) -> Option<Vec<String>> {
    let mut blocks = Vec::new();
    for t in tokens.iter().filter(|t| t.kind == Kind::Text) {
        let spans = find_tags(&t.raw).ok()?;
        let mut last = 0;
        for s in spans {
            if !unescape(&t.raw[last..s.start]).trim().is_empty() {
                return None;
            }
            match tag_kind(&t.raw[s.clone()]) {
                TagKind::Print => return None,
                TagKind::Block => blocks.push(normalise(&t.raw[s.clone()])),
                TagKind::Comment => {}
            }
            last = s.end;
        }
        if !unescape(&t.raw[last..]).trim().is_empty() {
            return None;
        }
    }
    (!blocks.is_empty()).then_some(blocks)
}

/// Prepares one XML part of a template.
pub(crate) fn prepare(xml: &str, format: Format, part: &str) -> Result<Prepared, LetterError> {
    let mut tokens = tokenize(xml).map_err(LetterError::Package)?;
    let structure = structure(&tokens, format);
    join_split_tags(&mut tokens, &structure, part)?;
    let ctx = Ctx {
        tokens: &tokens,
        structure: &structure,
        part,
    };

    // Hoisted elements: open token -> (close token, tags, enclosing element).
    let mut hoisted: Vec<Option<(usize, Vec<String>, usize)>> = vec![None; tokens.len()];
    let mut covered = vec![false; tokens.len()];
    for e in structure.rows.iter().filter(|e| !e.content) {
        if let Some(tags) = only_block_tags(&tokens[e.open..=e.close]) {
            hoisted[e.open] = Some((e.close, tags, e.parent));
            covered[e.open..=e.close].fill(true);
        }
    }
    for e in structure.paras.iter().filter(|e| !e.nested && !e.content) {
        if covered[e.open] {
            continue;
        }
        if let Some(tags) = only_block_tags(&tokens[e.open..=e.close]) {
            hoisted[e.open] = Some((e.close, tags, e.parent));
        }
    }

    let mut source = String::with_capacity(xml.len());
    let mut tags = Vec::new();
    let (para_names, _) = names(format);
    // Open elements, as emitted; a run's properties kept to reopen it after a block tag.
    let mut path: Vec<OpenElement> = Vec::new();
    let mut run_properties: Option<usize> = None;
    let mut i = 0;
    while i < tokens.len() {
        if let Some((close, block_tags, parent)) = &hoisted[i] {
            let first_tag = (i..=*close)
                .find(|&j| tokens[j].kind == Kind::Text && tokens[j].raw.contains("{%"))
                .unwrap_or(i);
            let location = ctx.location(first_tag);
            for tag in block_tags {
                let start = source.len();
                source.push_str(tag);
                tags.push(TagInfo {
                    text: tag.clone(),
                    range: start..source.len(),
                    location: location.clone(),
                    slot: Slot::Hoisted(*parent),
                });
            }
            i = close + 1;
            continue;
        }
        let t = &tokens[i];
        let emitted = match t.kind {
            Kind::Open if t.name == "w:t" && !t.raw.contains("xml:space") => {
                t.raw.replacen("<w:t", "<w:t xml:space=\"preserve\"", 1)
            }
            Kind::Text => {
                let para = structure.para_of[i];
                let below = path
                    .iter()
                    .rposition(|e| para_names.contains(&e.name.as_str()))
                    .map_or(path.len(), |p| p + 1);
                emit_text(&t.raw, &mut source, &path[below..], |text, range| {
                    tags.push(TagInfo {
                        text,
                        range,
                        location: ctx.location(i),
                        slot: Slot::Inline(para),
                    })
                });
                String::new()
            }
            _ => t.raw.clone(),
        };
        source.push_str(&emitted);
        if let Some(run) = run_properties {
            path[run].properties.push_str(&emitted);
        }
        match t.kind {
            Kind::Open => {
                if t.name == "w:rPr" && path.last().is_some_and(|e| e.name == "w:r") {
                    let run = path.len() - 1;
                    run_properties = Some(run);
                    path[run].properties = emitted.clone();
                }
                path.push(OpenElement {
                    name: t.name.clone(),
                    raw: emitted,
                    properties: String::new(),
                });
            }
            Kind::Close => {
                path.pop();
                // The run's own properties end here, not a nested one (`w:rPrChange` holds a
                // `w:rPr` of its own when changes are tracked).
                if t.name == "w:rPr" && run_properties.is_some_and(|run| path.len() == run + 1) {
                    run_properties = None;
                }
            }
            _ => {}
        }
        i += 1;
    }
    check_blocks(&tags)?;
    Ok(Prepared { source, tags })
}

#[derive(Debug)]
struct OpenElement {
    name: String,
    raw: String,
    /// A run's `<w:rPr>…</w:rPr>`, written again when the run is reopened.
    properties: String,
}

/// Writes a text node: tags normalised, comments dropped, and each inline block tag moved out of
/// the runs or spans it sits in (closed before it, reopened after it with their formatting), so
/// that a block opened in one run and closed in another repeats or drops balanced markup.
fn emit_text(
    raw: &str,
    source: &mut String,
    inline: &[OpenElement],
    mut record: impl FnMut(String, Range<usize>),
) {
    let spans = find_tags(raw).unwrap_or_default();
    let mut last = 0;
    for s in spans {
        source.push_str(&raw[last..s.start]);
        last = s.end;
        let raw_tag = &raw[s];
        let kind = tag_kind(raw_tag);
        if kind == TagKind::Comment {
            continue;
        }
        let text = normalise(raw_tag);
        if kind == TagKind::Block {
            for e in inline.iter().rev() {
                source.push_str("</");
                source.push_str(&e.name);
                source.push('>');
            }
        }
        let start = source.len();
        source.push_str(&text);
        record(text, start..source.len());
        if kind == TagKind::Block {
            for e in inline {
                source.push_str(&e.raw);
                source.push_str(&e.properties);
            }
        }
    }
    source.push_str(&raw[last..]);
}

fn keyword(tag: &str) -> &str {
    tag.trim_start_matches("{%")
        .trim_start_matches('-')
        .split_whitespace()
        .next()
        .unwrap_or("")
        .trim_end_matches("%}")
        .trim_end_matches('-')
}

const OPENERS: &[&str] = &["for", "if", "macro", "call", "filter", "with", "autoescape"];

/// Every block opens and closes in the same slot.
fn check_blocks(tags: &[TagInfo]) -> Result<(), LetterError> {
    let mut open: Vec<(&str, &TagInfo)> = Vec::new();
    for tag in tags.iter().filter(|t| t.text.starts_with("{%")) {
        let kw = keyword(&tag.text);
        if OPENERS.contains(&kw) || (kw == "set" && !tag.text.contains('=')) {
            open.push((kw, tag));
        } else if kw == "else" || kw == "elif" {
            let Some((_, opener)) = open.last() else {
                return Err(LetterError::tag(
                    "Cette balise n'est précédée d'aucun {% if %} ou {% for %}",
                    &tag.text,
                    &tag.location,
                ));
            };
            same_slot(opener, tag)?;
        } else if let Some(name) = kw.strip_prefix("end") {
            let Some((opened, opener)) = open.pop() else {
                return Err(LetterError::tag(
                    "Cette fin de bloc n'a pas de début",
                    &tag.text,
                    &tag.location,
                ));
            };
            if opened != name {
                return Err(LetterError::tag(
                    format!(
                        "Cette fin de bloc ne correspond pas à la balise ouverte « {} » ({})",
                        opener.text, opener.location
                    ),
                    &tag.text,
                    &tag.location,
                ));
            }
            same_slot(opener, tag)?;
        }
    }
    if let Some((kw, opener)) = open.pop() {
        return Err(LetterError::tag(
            format!("Ce bloc n'est jamais fermé (il manque « {{% end{kw} %}} »)"),
            &opener.text,
            &opener.location,
        ));
    }
    Ok(())
}

fn same_slot(opener: &TagInfo, other: &TagInfo) -> Result<(), LetterError> {
    if opener.slot == other.slot {
        return Ok(());
    }
    Err(LetterError::tag(
        format!(
            "Cette balise et « {} » ({}) doivent être dans le même paragraphe avec la même mise \
             en forme, ou chacune seule dans son paragraphe ou sa ligne de tableau",
            other.text, other.location
        ),
        &opener.text,
        &opener.location,
    ))
}

/// A tag outside any document, for unit tests of the field analysis.
#[cfg(test)]
pub(crate) fn test_tag(text: &str) -> TagInfo {
    TagInfo {
        text: text.to_owned(),
        range: 0..0,
        location: Location {
            part: "test".into(),
            paragraph: 1,
            excerpt: String::new(),
        },
        slot: Slot::Hoisted(0),
    }
}
