//! A minimal SVG writer. Every attribute value and every text goes through [`escape`] here,
//! once: a label typed by an administrator (`<script>`, `R&D`, `"Nord"`) cannot break out.

use std::fmt::Display;

/// Attributes of an element, in order: name and value (escaped when written).
pub(crate) type Attrs<'a> = &'a [(&'a str, &'a dyn Display)];

/// Escapes text for XML content and attribute values. Tabs and line breaks become spaces
/// (a label is one line); the control characters XML 1.0 forbids are dropped.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(' '),
            '\u{fffe}' | '\u{ffff}' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A coordinate or a length, rounded to one decimal: `12`, `12.5` (never `-0`).
pub(crate) fn num(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if !r.is_finite() || r == 0.0 {
        "0".to_owned()
    } else if r.fract() == 0.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

/// The document being written, one element a line.
#[derive(Debug, Default)]
pub(crate) struct Doc {
    out: String,
}

impl Doc {
    /// `<name a="v">`
    pub fn open(&mut self, name: &str, attrs: Attrs<'_>) {
        self.start(name, attrs);
        self.out.push_str(">\n");
    }

    /// `<name a="v"/>`
    pub fn empty(&mut self, name: &str, attrs: Attrs<'_>) {
        self.start(name, attrs);
        self.out.push_str("/>\n");
    }

    /// `<name a="v">text</name>`
    pub fn text(&mut self, name: &str, attrs: Attrs<'_>, text: &str) {
        self.start(name, attrs);
        self.out.push('>');
        self.out.push_str(&escape(text));
        self.close(name);
    }

    /// `</name>`
    pub fn close(&mut self, name: &str) {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
    }

    pub fn finish(self) -> String {
        self.out
    }

    fn start(&mut self, name: &str, attrs: Attrs<'_>) {
        self.out.push('<');
        self.out.push_str(name);
        for (key, value) in attrs {
            self.out.push(' ');
            self.out.push_str(key);
            self.out.push_str("=\"");
            self.out.push_str(&escape(&value.to_string()));
            self.out.push('"');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_quotes_and_controls() {
        assert_eq!(
            escape("<script>&\"'\u{1}\u{7f}a\nb"),
            "&lt;script&gt;&amp;&quot;&#39;a b"
        );
    }

    #[test]
    fn rounds_to_one_decimal() {
        assert_eq!(num(12.04), "12");
        assert_eq!(num(12.06), "12.1");
        assert_eq!(num(-0.01), "0");
        assert_eq!(num(f64::NAN), "0");
    }

    #[test]
    fn writes_elements_with_escaped_attributes() {
        let mut doc = Doc::default();
        doc.open("g", &[("class", &"a\"b")]);
        doc.text("title", &[], "x < y");
        doc.empty("rect", &[("x", &num(1.25)), ("width", &3)]);
        doc.close("g");
        assert_eq!(
            doc.finish(),
            "<g class=\"a&quot;b\">\n<title>x &lt; y</title>\n<rect x=\"1.3\" width=\"3\"/>\n</g>\n"
        );
    }
}
