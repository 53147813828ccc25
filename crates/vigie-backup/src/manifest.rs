//! The archive's description: its first member (`vigie-sauvegarde.json`, what it is) and its
//! last (`manifeste.json`, everything it holds, with the SHA-256 of every other member).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What every Vigie archive says it is.
pub const FORMAT: &str = "vigie-sauvegarde";
/// The version of this layout; a reader refuses a newer one.
pub const FORMAT_VERSION: u32 = 1;

/// The first member's name.
pub const HEADER: &str = "vigie-sauvegarde.json";
/// The last member's name.
pub const MANIFEST: &str = "manifeste.json";
/// The saved configuration's member.
pub const CONFIGURATION: &str = "configuration.json";
/// The id counters' member.
pub const SEQUENCES: &str = "sequences.json";

/// The first member: enough to refuse a file that is not a Vigie archive, or a newer one.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Header {
    pub format: String,
    pub format_version: u32,
    pub vigie_version: String,
    pub schema_version: i64,
    pub created_at: String,
}

/// The last member.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    /// The program that wrote the archive.
    pub vigie_version: String,
    /// The database's schema version.
    pub schema_version: i64,
    /// When the snapshot was taken (RFC 3339, UTC).
    pub created_at: String,
    /// `sqlite` or `postgresql`.
    pub source_backend: String,
    /// Rows per table, in the order a restore inserts them.
    pub tables: Vec<TableCount>,
    pub documents: DocumentCount,
    /// The audit chain's last entry in the snapshot: sequence number and hash.
    pub audit_head_seq: i64,
    pub audit_head_hash: String,
    /// The instance keys that signed the chain (number, fingerprint): the restore needs
    /// the same ring, kept apart from the archive.
    pub instance_keys: Vec<KeyFingerprint>,
    /// Every member but this one: name, size, SHA-256.
    pub members: Vec<Member>,
    /// What the archive leaves out, and why.
    pub left_out: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TableCount {
    pub name: String,
    pub rows: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DocumentCount {
    pub count: u64,
    pub bytes: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct KeyFingerprint {
    pub id: i64,
    pub fingerprint: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Member {
    pub name: String,
    pub size: u64,
    pub sha256: String,
}

/// The member holding part `part` of table number `index` (names sort in insertion order).
pub fn table_part(index: usize, table: &str, part: u32) -> String {
    format!("tables/{index:03}-{table}/{part:06}.jsonl")
}

/// The table a part member belongs to.
pub fn table_of(member: &str) -> Option<&str> {
    let rest = member.strip_prefix("tables/")?;
    let (dir, file) = rest.split_once('/')?;
    if !file.ends_with(".jsonl") {
        return None;
    }
    dir.split_once('-').map(|(_, t)| t)
}

/// The member holding document `id`'s bytes.
pub fn document(id: i64) -> String {
    format!("documents/{id:010}")
}

/// The document a member holds.
pub fn document_of(member: &str) -> Option<i64> {
    member.strip_prefix("documents/")?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_names_round_trip() {
        let m = table_part(7, "dossier_child", 12);
        assert_eq!(m, "tables/007-dossier_child/000012.jsonl");
        assert_eq!(table_of(&m), Some("dossier_child"));
        assert_eq!(document_of(&document(42)), Some(42));
        assert_eq!(table_of("documents/0000000042"), None);
        assert_eq!(document_of("tables/001-x/000001.jsonl"), None);
    }
}
