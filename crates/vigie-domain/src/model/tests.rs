//! Tests of the dossier model: validation, ages, addresses.
use super::*;

#[test]
fn an_adult_child_needs_confirmation_and_21_is_refused() {
    use chrono::Datelike;
    let mut d = sample();
    let received = d.header.received_at.date_naive();
    let born = |years: i32| {
        received
            .with_year(received.year() - years)
            .expect("valid date")
    };
    d.children[0].person.birth = BirthDate::Exact(born(17));
    assert_eq!(d.check_ages(&[]), Ok(()));
    d.children[0].person.birth = BirthDate::Exact(born(18));
    let e = d.check_ages(&[]).unwrap_err();
    assert_eq!(e.fields()[0].field, "children[0].birth_date");
    assert!(e.fields()[0].message.contains("jeune majeur"), "{e}");
    assert_eq!(d.check_ages(&[0]), Ok(()));
    d.children[0].person.birth = BirthDate::Exact(born(21));
    let e = d.check_ages(&[0]).unwrap_err();
    assert!(e.fields()[0].message.contains("21 ans"), "{e}");
    d.children[0].person.birth = BirthDate::Unknown;
    assert_eq!(d.check_ages(&[]), Ok(()));
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

pub(crate) fn sample() -> DossierInput {
    DossierInput {
        header: Header {
            received_at: at("2026-03-01T10:00:00Z"),
            type_id: 1,
            danger_grave: false,
            violence_conjugale: false,
            sip: false,
            receiving_agent_id: None,
            channel_id: 1,
            snated_number: None,
            territory_id: 1,
            status: DossierStatus::Recue,
            expose: None,
            observation: None,
        },
        source: Source::anonymous(None),
        adults: vec![],
        children: vec![ChildInput {
            person_id: None,
            person: Person {
                birth_name: "Martin".into(),
                usage_name: None,
                first_names: "Léa".into(),
                sex: Sex::Female,
                birth: BirthDate::Exact("2015-05-01".parse().unwrap()),
            },
            address: Address::default(),
            csp_father_id: None,
            csp_mother_id: None,
            lieu_de_vie_id: None,
            comment: None,
            adults: vec![],
            authors: vec![],
            motif_ids: vec![],
            evaluation_result_id: None,
            conclusion: None,
        }],
        assignments: vec![],
        follow_ups: vec![],
    }
}

#[test]
fn a_valid_dossier_passes() {
    sample().validate(at("2026-03-02T00:00:00Z")).unwrap();
}

#[test]
fn every_problem_is_reported_with_its_field() {
    let mut d = sample();
    d.header.received_at = at("2026-04-01T00:00:00Z");
    d.children[0].person.birth = BirthDate::Exact("2026-05-01".parse().unwrap());
    d.children[0].comment = Some("x".repeat(2001));
    d.children[0].address.postal_code = Some("180".into());
    d.children[0].authors.push(Author {
        adult: Some(3),
        third_party_name: None,
        link_id: 1,
    });
    let err = d.validate(at("2026-03-02T00:00:00Z")).unwrap_err();
    let fields: Vec<&str> = err.fields().iter().map(|f| f.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "received_at",
            "children[0].birth_date",
            "children[0].address.postal_code",
            "children[0].comment",
            "children[0].authors"
        ]
    );
}

#[test]
fn a_dossier_needs_a_child() {
    let mut d = sample();
    d.children.clear();
    let err = d.validate(at("2026-03-02T00:00:00Z")).unwrap_err();
    assert_eq!(err.fields()[0].field, "children");
    assert!(err.fields()[0].message.contains("au moins un enfant"));
}

#[test]
fn a_confidential_source_is_hidden_from_evaluators() {
    let s = Source {
        category_id: Some(3),
        confidentiality: SourceConfidentiality::Confidential,
        name: Some("Mme X".into()),
        organisation: Some("École".into()),
        address: Address {
            city: Some("Bourges".into()),
            ..Default::default()
        },
        email: Some("x@example.org".into()),
        phone: Some("02".into()),
    };
    assert_eq!(s.visible_to(crate::Role::AgentCrip), s);
    let hidden = s.visible_to(crate::Role::EvaluateurTerritorial);
    assert_eq!(hidden.category_id, Some(3));
    assert_eq!(hidden.confidentiality, SourceConfidentiality::Confidential);
    assert_eq!(
        (hidden.name, hidden.organisation, hidden.email, hidden.phone),
        (None, None, None, None)
    );
    assert_eq!(hidden.address, Address::default());
    let known = Source {
        confidentiality: SourceConfidentiality::Known,
        ..s.clone()
    };
    assert_eq!(known.visible_to(crate::Role::EvaluateurTerritorial), known);
}

#[test]
fn insee_codes() {
    for ok in ["18033", "2A004", "2B033", "97411"] {
        assert!(is_insee_code(ok), "{ok}");
    }
    for bad in ["1803", "2C004", "18O33", "180333", "AB004"] {
        assert!(!is_insee_code(bad), "{bad}");
    }
}

#[test]
fn birth_date_parts_round_trip() {
    let d: NaiveDate = "2020-01-02".parse().unwrap();
    for b in [
        BirthDate::Exact(d),
        BirthDate::Approximate(d),
        BirthDate::Unknown,
        BirthDate::Expected(d),
    ] {
        let (p, date) = b.to_parts();
        assert_eq!(BirthDate::from_parts(p, date), Some(b));
    }
    assert_eq!(BirthDate::from_parts("exacte", None), None);
}

#[test]
fn status_codes_round_trip() {
    for s in DossierStatus::ALL {
        assert_eq!(DossierStatus::parse(s.code()), Some(s));
    }
}
