//! The French label of every field of a dossier, in one table: validation messages
//! ([`crate::DossierInput::validate`], the reference checks), the history of a dossier
//! ([`crate::dossier::history`]) and the views name a field with these constants.
//!
//! A few fields have two wordings today, the form's (used by validation) and the
//! history's (stored with each revision, so changing it would make old and new history
//! entries read differently): both are here, side by side, the history's suffixed `_HISTORY`.

// --- Header -----------------------------------------------------------------------------

/// The date and time the information was received (form, validation).
pub const RECEIVED_AT: &str = "Date de réception";
/// The same, as the history and the views' column title name it.
pub const RECEIVED_AT_HISTORY: &str = "Reçue le";
/// The dossier type (validation of the reference).
pub const TYPE: &str = "Type de dossier";
/// The same, as the history names it.
pub const TYPE_HISTORY: &str = "Type";
pub const SIP: &str = "S.I.P.";
pub const DANGER_GRAVE: &str = "Danger grave et immédiat";
pub const VIOLENCE_CONJUGALE: &str = "Violence conjugale";
pub const RECEIVING_AGENT: &str = "Récepteur";
pub const CHANNEL: &str = "Support";
/// The 119 (SNATED) number (form, validation).
pub const SNATED_NUMBER: &str = "N° 119 / SNATED";
/// The same, as the history names it.
pub const SNATED_NUMBER_HISTORY: &str = "N° 119 (SNATED)";
pub const TERRITORY: &str = "Territoire";
pub const STATUS: &str = "Statut";
/// The exposé (form, validation).
pub const EXPOSE: &str = "Synthèse de la situation";
/// The same, as the history names it.
pub const EXPOSE_HISTORY: &str = "Exposé de la situation";
pub const OBSERVATION: &str = "Observation de la CRIP";
/// Why a concluded or closed dossier is reopened.
pub const STATUS_REASON: &str = "Motif du changement de statut";

// --- Source (the signalant) ---------------------------------------------------------------

pub const SOURCE_CATEGORY: &str = "Catégorie du signalant";
pub const SOURCE_CONFIDENTIALITY: &str = "Confidentialité du signalant";
pub const SOURCE_NAME: &str = "Nom du signalant";
pub const SOURCE_ORGANISATION: &str = "Organisme du signalant";
pub const SOURCE_ADDRESS: &str = "Adresse du signalant";
pub const SOURCE_EMAIL: &str = "Courriel du signalant";
pub const SOURCE_PHONE: &str = "Téléphone du signalant";

// --- Adults (the parents) -------------------------------------------------------------------

/// The adults of a dossier as a list.
pub const ADULTS: &str = "Parents";

/// An adult's civility (validation of the reference).
pub const ADULT_CIVILITY: &str = "Civilité";
pub const ADULT_BIRTH_NAME: &str = "Nom de naissance du parent";
pub const ADULT_USAGE_NAME: &str = "Nom d'usage du parent";
pub const ADULT_FIRST_NAMES: &str = "Prénoms du parent";
pub const ADULT_PHONE: &str = "Téléphone du parent";
pub const ADULT_EMAIL: &str = "Courriel du parent";

/// The history names the fields of the `n`-th adult (from 1) « Parent n : … », with
/// these lower-case words.
pub mod adult_history {
    pub const CIVILITY: &str = "civilité";
    pub const BIRTH_NAME: &str = "nom de naissance";
    pub const USAGE_NAME: &str = "nom d'usage";
    pub const FIRST_NAMES: &str = "prénoms";
    pub const ADDRESS: &str = "adresse";
    pub const PHONE: &str = "téléphone";
    pub const EMAIL: &str = "courriel";

    /// « Parent 2 : prénoms ».
    pub fn label(n: usize, field: &str) -> String {
        format!("Parent {n} : {field}")
    }
}

// --- Children -------------------------------------------------------------------------------

/// A child as a whole (a child twice in a dossier).
pub const CHILD: &str = "Enfant";
/// The children of a dossier as a list.
pub const CHILDREN: &str = "Enfants concernés";
/// The person a child is linked to (validation).
pub const PERSON: &str = "Ancien dossier";
/// The same, as the history names it.
pub const PERSON_HISTORY: &str = "Personne (ancien dossier)";
pub const SEX: &str = "Sexe";
pub const BIRTH_NAME: &str = "Nom de naissance";
pub const USAGE_NAME: &str = "Nom d'usage";
pub const FIRST_NAMES: &str = "Prénoms";
pub const BIRTH_DATE: &str = "Date de naissance";
pub const ADDRESS: &str = "Adresse";
pub const CSP_FATHER: &str = "CSP du père";
pub const CSP_MOTHER: &str = "CSP de la mère";
pub const LIEU_DE_VIE: &str = "Lieu de vie";
pub const COMMENT: &str = "Commentaire";
/// The child's adults (validation of the index).
pub const CHILD_ADULTS: &str = "Parents";
/// The same, as the history names it.
pub const CHILD_ADULTS_HISTORY: &str = "Parents et autorité parentale";
/// The link of a child's adult (validation of the reference).
pub const ADULT_LINK: &str = "Lien avec l'enfant";
pub const AUTHOR: &str = "Auteur présumé";
pub const AUTHORS: &str = "Auteurs présumés";
/// The link of a presumed author (validation of the reference).
pub const AUTHOR_LINK: &str = "Lien de l'auteur présumé";
pub const MOTIFS: &str = "Motifs";
pub const EVALUATION_RESULT: &str = "Résultat de l'évaluation";
pub const CONCLUSION: &str = "Conclusion";
pub const CONCLUSION_ON: &str = "Date de conclusion";
pub const CONCLUSION_COMMENT: &str = "Commentaire de conclusion";

// --- Addresses ------------------------------------------------------------------------------

pub const ADDRESS_NUMBER: &str = "Numéro";
pub const ADDRESS_STREET: &str = "Voie";
pub const ADDRESS_COMPLEMENT: &str = "Complément d'adresse";
pub const ADDRESS_CITY: &str = "Commune";
pub const ADDRESS_POSTAL_CODE: &str = "Code postal";
/// The commune's INSEE code, checked against the reference of communes.
pub const ADDRESS_INSEE: &str = "Commune (code INSEE)";

// --- Assignments ----------------------------------------------------------------------------

/// The assignments of a dossier as a list.
pub const ASSIGNMENTS: &str = "Affectations";

pub const SERVICE: &str = "Service";
pub const ASKED_ON: &str = "Demandée le";
pub const DUE_ON: &str = "Échéance";
pub const EVALUATORS: &str = "Évaluateurs";
/// The return date (validation).
pub const RETURNED_ON: &str = "Date de retour";
/// The same, as the history names it.
pub const RETURNED_ON_HISTORY: &str = "Retour le";
/// The evaluation's result on an assignment.
pub const RESULT: &str = "Résultat";
pub const CANCELLED: &str = "Annulée";

// --- The edit's own lists ------------------------------------------------------------------

pub const REMOVED_CHILDREN: &str = "Enfants retirés";
pub const REMOVED_ASSIGNMENTS: &str = "Affectations retirées";
pub const CONFIRMED_ADULT_CHILDREN: &str = "Jeunes majeurs confirmés";
