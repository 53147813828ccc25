//! Concatenating letters, each a PDF (from LibreOffice), into one PDF to print them as a batch.
//! Each document's objects are renumbered after those already taken and its pages hung in order
//! under one new page tree, with the attributes they inherited from the old one copied onto them;
//! what no page uses any more (old catalogs and page trees, outlines, document information) is
//! dropped. Each letter keeps its own fonts: the merged file weighs about the sum of its parts.

use std::collections::HashSet;
use std::panic;

use lopdf::{Dictionary, Document, Object, ObjectId, dictionary};

use crate::LetterError;

/// Page attributes a page may inherit from its ancestors in the page tree (ISO 32000-1, 7.7.3.4).
const INHERITABLE: [&[u8]; 4] = [b"Resources", b"MediaBox", b"CropBox", b"Rotate"];

/// Concatenates PDF documents: their pages in the order given, each document's pages in order.
/// An empty list is an error, and so is a document that cannot be read, named by its 1-based
/// place in `documents` (« Le PDF n° 3 est illisible : … »).
pub fn merge_pdfs(documents: &[Vec<u8>]) -> Result<Vec<u8>, LetterError> {
    if documents.is_empty() {
        return Err(LetterError::PdfMerge("aucun document à assembler".into()));
    }
    let mut merged = Document::with_version("1.4");
    let pages_id = merged.new_object_id();
    let mut kids = Vec::new();
    for (index, bytes) in documents.iter().enumerate() {
        let number = index + 1;
        let unreadable = |reason: String| LetterError::UnreadablePdf { number, reason };
        let start = merged.max_id.checked_add(1).ok_or_else(too_big)?;
        // lopdf is not known to panic on malformed files; should it, the batch fails, not the caller.
        let mut doc = panic::catch_unwind(|| prepare(bytes, start))
            .unwrap_or_else(|_| Err("sa structure n'a pas pu être analysée".into()))
            .map_err(unreadable)?;
        let page_ids: Vec<ObjectId> = doc.page_iter().collect();
        if page_ids.is_empty() {
            return Err(unreadable("il ne contient aucune page".into()));
        }
        for id in &page_ids {
            if let Ok(page) = doc.get_dictionary_mut(*id) {
                page.set("Parent", pages_id);
            }
        }
        kids.extend(page_ids.into_iter().map(Object::Reference));
        if doc.version > merged.version {
            merged.version = doc.version.clone();
        }
        merged.max_id = merged.max_id.max(doc.max_id);
        merged.objects.append(&mut doc.objects);
    }
    let count = i64::try_from(kids.len()).map_err(|_| too_big())?;
    let pages = dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count };
    merged.objects.insert(pages_id, pages.into());
    let catalog_id = merged.try_new_object_id().map_err(|_| too_big())?;
    let catalog = dictionary! { "Type" => "Catalog", "Pages" => pages_id };
    merged.objects.insert(catalog_id, catalog.into());
    merged.trailer.set("Root", catalog_id);
    merged.prune_objects();
    merged.renumber_objects();
    let mut out = Vec::new();
    merged
        .save_to(&mut out)
        .map_err(|e| LetterError::PdfMerge(format!("écriture impossible ({e})")))?;
    Ok(out)
}

fn too_big() -> LetterError {
    LetterError::PdfMerge("trop d'objets dans ces documents".into())
}

/// Reads one document, copies inherited attributes onto its pages and renumbers its objects from
/// `start`. The error is the French reason it cannot be read.
fn prepare(bytes: &[u8], start: u32) -> Result<Document, String> {
    let mut doc = Document::load_mem(bytes).map_err(|e| reason(&e))?;
    let page_ids: Vec<ObjectId> = doc.page_iter().collect();
    for id in page_ids {
        let page = with_inherited(&doc, id).map_err(|e| reason(&e))?;
        doc.objects.insert(id, Object::Dictionary(page));
    }
    // Renumbering from `start` must leave room for every object after it.
    let count = u32::try_from(doc.objects.len()).map_err(|_| "trop d'objets".to_owned())?;
    if start.checked_add(count).is_none() {
        return Err("trop d'objets".into());
    }
    doc.renumber_objects_with(start);
    Ok(doc)
}

/// The page's dictionary with the inheritable attributes it lacks taken from its nearest
/// ancestor that has them; those nobody has are removed (a dangling reference there could
/// otherwise name another document's object once renumbered).
fn with_inherited(doc: &Document, page_id: ObjectId) -> lopdf::Result<Dictionary> {
    let mut page = doc.get_dictionary(page_id)?.clone();
    let mut seen = HashSet::from([page_id]);
    let mut parent = page.get(b"Parent").and_then(Object::as_reference).ok();
    while let Some(id) = parent.filter(|id| seen.insert(*id)) {
        let Ok(node) = doc.get_dictionary(id) else {
            break;
        };
        for key in INHERITABLE {
            if !has_value(doc, &page, key)
                && has_value(doc, node, key)
                && let Ok(value) = node.get(key)
            {
                page.set(key, value.clone());
            }
        }
        parent = node.get(b"Parent").and_then(Object::as_reference).ok();
    }
    for key in INHERITABLE {
        if !has_value(doc, &page, key) {
            page.remove(key);
        }
    }
    Ok(page)
}

/// Whether `key` is set to something other than null or a reference to nothing.
fn has_value(doc: &Document, dict: &Dictionary, key: &[u8]) -> bool {
    dict.get(key)
        .is_ok_and(|v| matches!(doc.dereference(v), Ok((_, o)) if !matches!(o, Object::Null)))
}

/// Why a document cannot be read, in French.
fn reason(error: &lopdf::Error) -> String {
    use lopdf::Error as E;
    match error {
        E::Parse(_)
        | E::Xref(_)
        | E::InvalidOffset(_)
        | E::MissingXrefEntry
        | E::IndirectObject { .. }
        | E::ObjectIdMismatch => "ce n'est pas un document PDF valide".into(),
        E::Decryption(_) | E::InvalidPassword | E::UnsupportedSecurityHandler(_) => {
            "il est protégé par un mot de passe".into()
        }
        E::Decompress(_) => "un de ses flux compressés est endommagé".into(),
        _ => format!("sa structure est incorrecte ({error})"),
    }
}
