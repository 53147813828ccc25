//! E-mails saved as files (RFC 5322, `.eml`): recognised from their header fields, then parsed
//! with mail-parser so that every attachment is inspected like an upload of its own, and the
//! messages attached to it in turn, down to [`MAX_DEPTH`] levels.

use std::borrow::Cow;

use mail_parser::decoders::base64::base64_decode;
use mail_parser::decoders::quoted_printable::quoted_printable_decode;
use mail_parser::{Encoding, Message, MessageParser, MessagePart, MimeHeaders, PartType};

use super::name::clean_name;
use super::{Attachment, Budget, Limits, Refusal};

/// How deep messages attached to messages are followed.
pub(super) const MAX_DEPTH: usize = 3;

/// How far the header fields are looked for.
const HEADER_WINDOW: usize = 256 * 1024;

/// Header fields that mark an e-mail (any `X-…` field counts too).
const KNOWN_FIELDS: [&str; 22] = [
    "received",
    "from",
    "return-path",
    "date",
    "subject",
    "to",
    "cc",
    "bcc",
    "reply-to",
    "sender",
    "mime-version",
    "message-id",
    "in-reply-to",
    "references",
    "delivered-to",
    "content-type",
    "content-transfer-encoding",
    "dkim-signature",
    "authentication-results",
    "thread-topic",
    "thread-index",
    "importance",
];

/// Whether `bytes` begin with the header section of an e-mail: only header fields (and their
/// folded continuation lines) up to the first blank line, at least two of them known, one of
/// them `From:` or `Date:`. An mbox "From " line before them is allowed.
pub(super) fn looks_like_mail(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(HEADER_WINDOW)];
    let mut lines = head.split(|&b| b == b'\n').peekable();
    if lines.peek().is_some_and(|line| line.starts_with(b"From ")) {
        lines.next();
    }
    let (mut known, mut from_or_date, mut fields) = (0, false, 0);
    for line in lines {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            return known >= 2 && from_or_date;
        }
        if line[0] == b' ' || line[0] == b'\t' {
            if fields == 0 {
                return false;
            }
            continue;
        }
        let Some(name) = field_name(line) else {
            return false;
        };
        fields += 1;
        let name = name.to_ascii_lowercase();
        if KNOWN_FIELDS.contains(&name.as_str()) || name.starts_with("x-") {
            known += 1;
        }
        from_or_date |= name == "from" || name == "date";
    }
    false
}

/// The name of a header field line ("Name: value"), printable ASCII without a colon.
fn field_name(line: &[u8]) -> Option<&str> {
    let colon = line.iter().position(|&b| b == b':')?;
    let name = &line[..colon];
    let valid = (1..=76).contains(&name.len()) && name.iter().all(|&b| (33..=126).contains(&b));
    valid.then(|| std::str::from_utf8(name).ok()).flatten()
}

/// Parses an e-mail and inspects its attachments; `depth` is how deep this message is among
/// attached messages (0 for an uploaded one). Returns its attachments, in order.
pub(super) fn inspect(
    bytes: &[u8],
    limits: &Limits,
    budget: &mut Budget,
    depth: usize,
) -> Result<Vec<Attachment>, Refusal> {
    let message = MessageParser::default()
        .parse(bytes)
        .ok_or(Refusal::Damaged)?;
    walk(&message, limits, budget, depth)
}

/// Inspects the attachments of a parsed message, following attached messages.
fn walk(
    message: &Message<'_>,
    limits: &Limits,
    budget: &mut Budget,
    depth: usize,
) -> Result<Vec<Attachment>, Refusal> {
    if depth > MAX_DEPTH {
        return Err(Refusal::NestedTooDeep {
            max_depth: MAX_DEPTH,
        });
    }
    let mut found = Vec::new();
    for (position, part) in message.attachments().enumerate() {
        if is_body_text(part) {
            continue;
        }
        let name = part
            .attachment_name()
            .and_then(clean_name)
            .unwrap_or_else(|| format!("sans nom n° {}", position + 1));
        // A refusal from deeper down names the whole path: « transfert.eml › facture.exe ».
        let refused = |reason: Refusal| match reason {
            Refusal::Attachment {
                name: inner,
                reason,
            } => Refusal::Attachment {
                name: format!("{name} › {inner}"),
                reason,
            },
            reason => Refusal::Attachment {
                name: name.clone(),
                reason: Box::new(reason),
            },
        };
        let kind = if let Some(attached) = part.message() {
            walk(attached, limits, budget, depth + 1).map_err(refused)?;
            super::Kind::Eml
        } else {
            let contents = decoded_contents(message, part);
            if contents.is_empty() {
                continue;
            }
            super::inspect_at(&contents, limits, budget, depth + 1)
                .map_err(refused)?
                .kind
        };
        found.push(Attachment { name, kind });
    }
    Ok(found)
}

/// A text part shown as the body of the message rather than a file: no file name, and not
/// marked as an attachment (mail-parser lists some of them with the attachments).
fn is_body_text(part: &MessagePart<'_>) -> bool {
    let marked = part
        .content_disposition()
        .is_some_and(|disposition| disposition.is_attachment());
    matches!(part.body, PartType::Text(_) | PartType::Html(_))
        && part.attachment_name().is_none()
        && !marked
}

/// The bytes of a part as a mail client would save them. mail-parser converts text parts to
/// UTF-8 (lossily): those are decoded again from the raw message, so that a program labelled
/// `text/plain` is seen as the program it is.
fn decoded_contents<'a>(message: &'a Message<'a>, part: &'a MessagePart<'a>) -> Cow<'a, [u8]> {
    if !matches!(part.body, PartType::Text(_) | PartType::Html(_)) {
        return Cow::Borrowed(part.contents());
    }
    let raw = message
        .raw_message()
        .get(part.offset_body as usize..part.offset_end as usize);
    let decoded = match (raw, part.encoding) {
        (Some(raw), Encoding::None) => Some(Cow::Borrowed(raw)),
        (Some(raw), Encoding::Base64) => base64_decode(raw).map(Cow::Owned),
        (Some(raw), Encoding::QuotedPrintable) => quoted_printable_decode(raw).map(Cow::Owned),
        (None, _) => None,
    };
    decoded.unwrap_or(Cow::Borrowed(part.contents()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_sections() {
        assert!(looks_like_mail(
            b"From: a@b.fr\r\nTo: c@d.fr\r\n\r\nBonjour"
        ));
        assert!(looks_like_mail(
            b"From x Mon Jan 1\nReceived: by x\n  (folded)\nDate: Mon, 1 Jan 2024\n\nCorps"
        ));
        // One known field only; an unknown first line; no blank line.
        assert!(!looks_like_mail(
            b"Date: 12/03/2026\nObjet: visite\n\nCompte rendu"
        ));
        assert!(!looks_like_mail(b"Compte rendu\nFrom: a\nTo: b\n\n"));
        assert!(!looks_like_mail(b"From: a\nTo: b"));
        // No From nor Date.
        assert!(!looks_like_mail(b"To: a\nSubject: b\n\nc"));
    }
}
