use super::*;

#[test]
fn table_codes_round_trip_and_are_unique() {
    let all = Table::all();
    assert_eq!(all.len(), ParamKind::ALL.len() + 2);
    for t in &all {
        assert_eq!(Table::parse(t.code()), Some(*t));
    }
    let mut codes: Vec<&str> = all.iter().map(|t| t.code()).collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), all.len());
    assert_eq!(Table::parse("inconnue"), None);
}

#[test]
fn usage_is_said_in_french() {
    assert_eq!(Usage::default().describe(), "non utilisée");
    let u = Usage {
        dossiers: 1,
        services: 2,
        users: 0,
    };
    assert_eq!(u.describe(), "1 dossier, 2 services");
    assert!(u.in_use());
}

#[test]
fn codes_and_labels_are_checked() {
    let mut e = Errors::default();
    check_code(&mut e, "VIOL-PHYS_2");
    check_label(&mut e, "Violences physiques");
    check_national_code(&mut e, "");
    check_national_code(&mut e, "1.2");
    assert!(e.is_empty());
    for bad in ["", "avec espace", "éé", &"X".repeat(CODE_MAX + 1)] {
        let mut e = Errors::default();
        check_code(&mut e, bad);
        let err = e.into_result().unwrap_err();
        assert_eq!(err.fields()[0].field, "code", "{bad}");
    }
    let mut e = Errors::default();
    check_label(&mut e, "deux\nlignes");
    assert!(!e.is_empty());
}
