//! A stored dossier and its edit, as plain data and pure rules: the read model the store
//! returns ([`record`]), what a save sends and answers ([`edit`]), the rules checked before a
//! save that need no SQL ([`checks`]), the history's display of each part ([`history`]), the
//! known persons proposed while a child is typed ([`suggestion`]).

pub mod checks;
pub mod edit;
pub mod history;
pub mod milestones;
pub mod record;
pub mod suggestion;

pub use checks::{Kept, check_references, check_references_keeping};
pub use edit::{
    DirectConclusionCode, DossierEdit, FieldChange, Part, PartConflict, PartRef, Revision, Saved,
    check_edit_bounds,
};
pub use history::{adult_name, adult_name_with_civility, person_name};
pub use record::{AdultRecord, AssignmentRecord, ChildRecord, DossierRecord, OtherDossier};
pub use suggestion::{EarlierDossier, Suggestion};
