//! Why an upload is refused: one variant per reason, a French sentence for the agent
//! (`Display`) and a short stable code for the audit trail and the logs ([`Refusal::code`]).

/// The list of accepted types, repeated in the messages that refuse a type.
const ACCEPTED: &str = "PDF, images (JPEG, PNG, TIFF, GIF, WebP, HEIC), documents DOCX et ODT, \
                        texte, courriels (EML)";

/// Why a file is refused. `Display` is a complete French sentence addressed to an agent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("Ce fichier est vide : il n'y a rien à déposer.")]
    Empty,
    #[error(
        "Ce fichier dépasse la taille maximale de {} : il ne peut pas être déposé. Réduisez-le \
         (par exemple en numérisant en noir et blanc ou à une résolution plus faible) ou \
         découpez-le en plusieurs fichiers.",
        mebibytes(*.max_size as u64)
    )]
    TooLarge { max_size: usize },
    #[error("Ce fichier est un programme exécutable : il n'est pas accepté dans un dossier.")]
    Executable,
    #[error(
        "Ce fichier est un script (un programme qui peut s'exécuter) : il n'est pas accepté dans \
         un dossier."
    )]
    Script,
    #[error(
        "Ce fichier est dans un ancien format Office (.doc, .xls…) ou est un document protégé par \
         un mot de passe : il n'est pas accepté. Enregistrez-le au format DOCX, ODT ou PDF, sans \
         mot de passe, puis déposez-le à nouveau."
    )]
    LegacyOfficeOrProtected,
    #[error(
        "Ce document contient des macros (du code qui peut s'exécuter à l'ouverture) : il n'est \
         pas accepté. Enregistrez-le sans macros, au format DOCX, ODT ou PDF, puis déposez-le à \
         nouveau."
    )]
    Macro,
    #[error(
        "Ce document est anormalement volumineux une fois décompressé (plus de {} ou plus de \
         {max_entries} éléments) : il est refusé par précaution. Enregistrez-le en PDF ou \
         demandez une nouvelle copie à l'expéditeur.",
        mebibytes(*.max_unpacked)
    )]
    ArchiveTooLarge {
        max_unpacked: u64,
        max_entries: usize,
    },
    #[error(
        "Ce fichier est endommagé ou incomplet : il ne peut pas être lu. Demandez une nouvelle \
         copie à l'expéditeur."
    )]
    Damaged,
    #[error(
        "Ce PDF est protégé par un mot de passe ou chiffré : les autres agents ne pourraient pas \
         le lire. Demandez à l'expéditeur une copie sans protection, ou imprimez-le en PDF, puis \
         déposez la copie."
    )]
    EncryptedPdf,
    #[error(
        "Ce fichier est une image SVG : ce format peut contenir des scripts et n'est pas accepté. \
         Déposez l'image au format PNG, JPEG ou PDF."
    )]
    Svg,
    #[error(
        "Ce fichier est une page web ou un fichier de balisage (HTML, XML) : il n'est pas \
         accepté. Enregistrez-le en PDF (Imprimer, puis « Enregistrer au format PDF ») et \
         déposez le PDF."
    )]
    Markup,
    #[error(
        "Ce fichier est une archive compressée (ZIP, RAR, 7z…) : elle n'est pas acceptée. \
         Décompressez-la et déposez les fichiers un par un."
    )]
    Archive,
    #[error("{}", not_accepted(*.detected))]
    NotAccepted {
        /// What the file seems to be, in French, when it could be told (« classeur Excel
        /// (XLSX) »).
        detected: Option<&'static str>,
    },
    #[error("Ce courriel est refusé à cause de sa pièce jointe « {name} ». {reason}")]
    Attachment {
        /// The attachment's file name, cleaned (or « sans nom »).
        name: String,
        /// Why the attachment is refused.
        reason: Box<Refusal>,
    },
    #[error(
        "Ce courriel contient des messages joints les uns dans les autres sur plus de {max_depth} \
         niveaux : il est refusé par précaution. Déposez les messages un par un."
    )]
    NestedTooDeep { max_depth: usize },
}

impl Refusal {
    /// A short stable code, for the audit trail and the logs (never shown alone to an agent).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "vide",
            Self::TooLarge { .. } => "trop_volumineux",
            Self::Executable => "executable",
            Self::Script => "script",
            Self::LegacyOfficeOrProtected => "office_ancien_ou_protege",
            Self::Macro => "macro",
            Self::ArchiveTooLarge { .. } => "archive_trop_grosse",
            Self::Damaged => "endommage",
            Self::EncryptedPdf => "pdf_chiffre",
            Self::Svg => "svg",
            Self::Markup => "balisage",
            Self::Archive => "archive",
            Self::NotAccepted { .. } => "type_non_accepte",
            Self::Attachment { .. } => "piece_jointe",
            Self::NestedTooDeep { .. } => "courriels_trop_imbriques",
        }
    }

    /// The refusal at the bottom of a chain of attachments (itself for any other variant): the
    /// reason an e-mail's attachment, or an attachment of an attached message, was refused.
    pub fn root_cause(&self) -> &Refusal {
        match self {
            Self::Attachment { reason, .. } => reason.root_cause(),
            other => other,
        }
    }
}

/// A size in mebibytes as agents read it: « 20 Mo », « 1,5 Mo ».
fn mebibytes(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes.is_multiple_of(MIB) {
        format!("{} Mo", bytes / MIB)
    } else {
        let tenths = (bytes * 10).div_ceil(MIB);
        format!("{},{} Mo", tenths / 10, tenths % 10)
    }
}

fn not_accepted(detected: Option<&'static str>) -> String {
    match detected {
        Some(what) => format!(
            "Ce fichier ({what}) n'est pas d'un type accepté dans un dossier. Sont acceptés : \
             {ACCEPTED}."
        ),
        None => format!(
            "Ce type de fichier n'est pas accepté dans un dossier. Sont acceptés : {ACCEPTED}."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_in_mebibytes() {
        assert_eq!(mebibytes(20 * 1024 * 1024), "20 Mo");
        assert_eq!(mebibytes(1024 * 1024 + 512 * 1024), "1,5 Mo");
    }

    #[test]
    fn the_attachment_message_names_the_file_and_the_reason() {
        let refusal = Refusal::Attachment {
            name: "facture.exe".into(),
            reason: Box::new(Refusal::Executable),
        };
        let text = refusal.to_string();
        assert!(text.contains("« facture.exe »"), "{text}");
        assert!(text.contains("programme exécutable"), "{text}");
        assert_eq!(refusal.root_cause().code(), "executable");
    }
}
