//! A template's fields checked against the dictionary, for its recipient kind: an unknown field,
//! or a field a family must not read in a letter to a family, is refused with the tag and the
//! paragraph named. (The merge data of a family letter does not carry those fields either: this
//! check gives the author a clear message before anything is generated.)

use super::RecipientKind;
use super::dictionary;

/// One field read by a template, as the merge engine lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRead<'a> {
    /// `enfants[].prenom`.
    pub path: &'a str,
    /// The tag as typed and where it is (« balise « {{ … }} », paragraphe 3 … »).
    pub context: String,
}

/// Whether a path is a field of the dictionary or leads to one (`dossier`, `enfants[]`).
fn known(path: &str) -> Option<bool> {
    if let Some(field) = dictionary::find(path) {
        return Some(field.family);
    }
    // A prefix of known fields (an object or a list itself): allowed to a family only if every
    // field under it is.
    let under: Vec<&dictionary::Field> = dictionary::fields()
        .filter(|f| {
            f.path
                .strip_prefix(path)
                .is_some_and(|rest| rest.starts_with('.') || rest.starts_with("[]"))
        })
        .collect();
    (!under.is_empty()).then(|| under.iter().all(|f| f.family))
}

/// French messages, one per refused field (empty: the template may be used).
pub fn check_fields<'a>(
    recipient: RecipientKind,
    reads: impl IntoIterator<Item = FieldRead<'a>>,
) -> Vec<String> {
    let mut errors = Vec::new();
    for read in reads {
        let path = read.path.trim_end_matches("[]");
        match known(path) {
            None => errors.push(format!(
                "Le champ « {} » n'existe pas (voir la liste des champs des courriers) — {}",
                read.path.replace("[]", ""),
                read.context
            )),
            Some(false) if recipient.is_family() => errors.push(format!(
                "Le champ « {} » ne peut pas figurer dans un courrier adressé à la famille — {}",
                read.path.replace("[]", ""),
                read.context
            )),
            Some(_) => {}
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(path: &str) -> FieldRead<'_> {
        FieldRead {
            path,
            context: "balise « x », paragraphe 1".into(),
        }
    }

    #[test]
    fn unknown_and_forbidden_fields_are_named() {
        let parent = RecipientKind::Parent;
        assert!(check_fields(parent, [read("enfants"), read("enfants[].prenom")]).is_empty());
        assert_eq!(
            check_fields(parent, [read("signalant.nom"), read("dossier.inconnu")]),
            vec![
                "Le champ « signalant.nom » ne peut pas figurer dans un courrier adressé à la famille — balise « x », paragraphe 1",
                "Le champ « dossier.inconnu » n'existe pas (voir la liste des champs des courriers) — balise « x », paragraphe 1",
            ]
        );
        // A whole object holding forbidden fields, a list's items' forbidden field.
        assert_eq!(check_fields(parent, [read("signalant")]).len(), 1);
        assert_eq!(check_fields(parent, [read("parents[].adresse")]).len(), 1);
        assert_eq!(check_fields(parent, [read("dossier")]).len(), 1);
        // The same fields are fine in a letter to the parquet.
        let parquet = RecipientKind::Procureur;
        assert!(
            check_fields(
                parquet,
                [
                    read("signalant.nom"),
                    read("dossier.expose"),
                    read("dossier")
                ]
            )
            .is_empty()
        );
    }
}
