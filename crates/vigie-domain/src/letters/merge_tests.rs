//! Letters built from the sample dossier: what a family letter never carries, who may receive
//! which letter, when the source is revealed, and that the data matches the dictionary.

use std::collections::BTreeSet;

use serde_json::Value;

use super::merge::{LetterInput, Merge, Recipient, build, recipients};
use super::{LetterKind, RecipientKind, dictionary, sample};

fn letter(
    kind: LetterKind,
    recipient: &Recipient,
    can_see_source: bool,
) -> Result<Merge, crate::DomainError> {
    let dossier = sample::dossier();
    let (labels, letterhead, agent) = (sample::labels(), sample::letterhead(), sample::agent());
    build(&LetterInput {
        letter: &kind.into(),
        dossier: &dossier,
        children: &[],
        recipient,
        letterhead: &letterhead,
        agent: &agent,
        labels: &labels,
        today: sample::today(),
        received_on: sample::today(),
        can_see_source,
    })
}

/// Every leaf path of a value, in the dictionary's notation.
fn paths(value: &Value, prefix: &str, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                if !v.is_object() {
                    out.insert(p.clone());
                }
                paths(v, &p, out);
            }
        }
        Value::Array(items) if items.iter().any(Value::is_object) => {
            for item in items {
                paths(item, &format!("{prefix}[]"), out);
            }
        }
        _ => {}
    }
}

fn all_recipients(kind: LetterKind) -> Vec<Recipient> {
    recipients(
        &kind.into(),
        &sample::dossier(),
        &[],
        &sample::labels(),
        &sample::directory(),
    )
    .into_iter()
    .map(|(r, _)| r)
    .collect()
}

#[test]
fn a_family_letter_never_carries_what_a_family_must_not_learn() {
    for kind in LetterKind::ALL
        .into_iter()
        .filter(|k| k.recipient().is_family())
    {
        let parents = all_recipients(kind);
        assert_eq!(
            parents,
            vec![Recipient::Parent(1), Recipient::Parent(2)],
            "{kind:?}"
        );
        for (parent, other_address) in parents.iter().zip(["Rue du Père Noël", "rue des Lilas"]) {
            let merge = letter(kind, parent, true).unwrap();
            let text = merge.value.to_string();
            for forbidden in sample::FAMILY_FORBIDDEN.iter().chain([&other_address]) {
                assert!(
                    !text.contains(forbidden),
                    "{kind:?} to {parent:?} holds « {forbidden} »: {text}"
                );
            }
            assert!(!merge.reveals_source);
            let mut found = BTreeSet::new();
            paths(&merge.value, "", &mut found);
            for path in &found {
                let field = dictionary::find(path)
                    .unwrap_or_else(|| panic!("{path} not in the dictionary"));
                assert!(field.family, "{path} in a family letter");
            }
        }
        // The father's letter carries his address only.
        let merge = letter(kind, &Recipient::Parent(2), true).unwrap();
        assert_eq!(
            merge.value["destinataire"]["adresse"],
            "3 Rue du Père Noël\n18100 Vierzon"
        );
        assert_eq!(merge.value["destinataire"]["formule"], "Monsieur,");
        assert_eq!(merge.recipient_label, "Paul MARTIN");
    }
}

#[test]
fn parent_letters_go_only_to_holders_of_parental_authority() {
    let err = letter(LetterKind::InformationParents, &Recipient::Parent(3), true).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Un courrier aux parents n'est adressé qu'à un titulaire de l'autorité parentale des enfants concernés."
    );
    let err = letter(LetterKind::InformationParents, &Recipient::Source, true).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Ce destinataire ne convient pas à ce modèle de courrier."
    );
}

#[test]
fn the_source_is_revealed_only_where_the_agent_may_see_it_and_flags_the_letter() {
    // To the source itself: the letter names it, and is confidential.
    let merge = letter(LetterKind::AccuseReception, &Recipient::Source, true).unwrap();
    assert!(merge.reveals_source);
    assert_eq!(
        merge.recipient_label,
        "Mme LEROY-SIGNALANT, École Jean Moulin"
    );
    // To the parquet: with the identity when the agent may see it (flagged), without otherwise.
    let parquet = all_recipients(LetterKind::SignalementParquet).remove(0);
    let merge = letter(LetterKind::SignalementParquet, &parquet, true).unwrap();
    assert!(merge.reveals_source && merge.value.to_string().contains("LEROY-SIGNALANT"));
    let merge = letter(LetterKind::SignalementParquet, &parquet, false).unwrap();
    assert_eq!(merge.value["signalant"].get("nom"), None);
    // To a service (read by évaluateurs): never the identity of a confidential source.
    let merge = letter(
        LetterKind::DemandeEvaluation,
        &Recipient::Service(201),
        true,
    )
    .unwrap();
    assert!(!merge.reveals_source);
    assert_eq!(merge.value["signalant"].get("nom"), None);
    assert_eq!(merge.value["affectation"]["jours_de_retard"], 12);
    assert_eq!(merge.value["affectation"]["echeance"], "2026-11-20");
}

#[test]
fn an_anonymous_source_gets_no_letter() {
    let mut dossier = sample::dossier();
    dossier.source.confidentiality = crate::SourceConfidentiality::Anonymous;
    let choices = recipients(
        &LetterKind::AccuseReception.into(),
        &dossier,
        &[],
        &sample::labels(),
        &[],
    );
    assert!(choices.is_empty());
}

#[test]
fn the_data_and_the_dictionary_match() {
    let mut found = BTreeSet::new();
    for kind in LetterKind::ALL {
        for recipient in all_recipients(kind) {
            let merge = letter(kind, &recipient, true).unwrap();
            paths(&merge.value, "", &mut found);
        }
    }
    let dictionary: BTreeSet<String> = dictionary::fields()
        .map(|f| f.path.to_owned())
        .filter(|p| p != "logo")
        .collect();
    let unknown: Vec<&String> = found.difference(&dictionary).collect();
    let never: Vec<&String> = dictionary.difference(&found).collect();
    assert!(
        unknown.is_empty(),
        "data fields missing from the dictionary: {unknown:?}"
    );
    assert!(
        never.is_empty(),
        "dictionary fields never filled: {never:?}"
    );
}

#[test]
fn each_letter_has_recipients_in_the_sample() {
    for kind in LetterKind::ALL {
        let n = all_recipients(kind).len();
        let expected = if kind.recipient() == RecipientKind::Parent {
            2
        } else {
            1
        };
        assert_eq!(n, expected, "{kind:?}");
    }
}

#[test]
fn a_parent_hears_only_of_the_children_in_their_authority() {
    // A recomposed fratrie: Noé's father is another man, who alone holds authority with the
    // mother; Paul MARTIN is not Noé's parent.
    let mut dossier = sample::dossier();
    dossier.adults.push(crate::dossier::record::AdultRecord {
        id: 4,
        data: crate::Adult {
            civility_id: Some(61),
            birth_name: "BERNARD".into(),
            usage_name: None,
            first_names: Some("Luc".into()),
            address: crate::Address::default(),
            phone: None,
            email: None,
        },
    });
    let noe = &mut dossier.children[2].data.adults;
    noe.retain(|l| l.adult != 2);
    noe.push(crate::AdultLink {
        adult: 4,
        link_id: 21,
        parental_authority: true,
    });
    let (labels, letterhead, agent) = (sample::labels(), sample::letterhead(), sample::agent());
    let conclusion = LetterKind::InformationConclusion.into();
    let input = |recipient| LetterInput {
        letter: &conclusion,
        dossier: &dossier,
        children: &[],
        recipient,
        letterhead: &letterhead,
        agent: &agent,
        labels: &labels,
        today: sample::today(),
        received_on: sample::today(),
        can_see_source: true,
    };
    let to_paul = build(&input(&Recipient::Parent(2))).unwrap();
    let text = to_paul.value.to_string();
    assert!(
        text.contains("Léa") && text.contains("Tom") && !text.contains("Noé"),
        "{text}"
    );
    assert!(!text.contains("\"Luc\""), "{text}");
    let to_luc = build(&input(&Recipient::Parent(4))).unwrap();
    let text = to_luc.value.to_string();
    assert!(
        text.contains("Noé") && !text.contains("Léa") && !text.contains("Paul"),
        "{text}"
    );
    let to_mother = build(&input(&Recipient::Parent(1))).unwrap();
    assert_eq!(to_mother.value["enfants"].as_array().unwrap().len(), 3);
}
