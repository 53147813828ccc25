use super::*;

#[test]
fn temporary_passwords_are_random_readable_and_long() {
    let a = temporary_password();
    assert_eq!(a.len(), 23, "{a}");
    assert_eq!(a.split('-').count(), 4);
    assert!(a.bytes().all(|b| b == b'-' || TEMP_ALPHABET.contains(&b)));
    assert_ne!(a, temporary_password());
    // The administration's temporary passwords pass the same rule as chosen ones.
    let ctx = vigie_domain::password::Context {
        // `_` is not in the temporary passwords' alphabet: never contained by chance.
        login: "x_y".into(),
        display_name: "Z Z".into(),
        local_words: vec!["Cher".into(), "Bourges".into(), "18000".into()],
        year: 2026,
    };
    assert!(vigie_domain::password::check("p", &a, &ctx).is_ok());
}

#[test]
fn logins() {
    for ok in ["agent", "m.dupont", "a_b-c.2"] {
        assert!(check_login(ok).is_ok(), "{ok}");
    }
    for bad in ["", "a", "Agent", "élodie", "a b", &"a".repeat(65)] {
        assert!(check_login(bad).is_err(), "{bad}");
    }
}
