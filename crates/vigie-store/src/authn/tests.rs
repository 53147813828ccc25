use super::*;

#[test]
fn delays_double_from_one_second_to_fifteen_minutes() {
    assert_eq!(delay_after(4), Duration::zero());
    assert_eq!(delay_after(5), Duration::seconds(1));
    assert_eq!(delay_after(6), Duration::seconds(2));
    assert_eq!(delay_after(7), Duration::seconds(4));
    assert_eq!(delay_after(14), Duration::seconds(512));
    assert_eq!(delay_after(15), Duration::seconds(900));
    assert_eq!(delay_after(1000), Duration::seconds(900));
}

#[test]
fn second_factor_parsing() {
    assert_eq!(
        SecondFactor::parse(" 123 456 "),
        Some(SecondFactor::Totp("123456".into()))
    );
    assert_eq!(
        SecondFactor::parse("abcde-fghjk"),
        Some(SecondFactor::Recovery("ABCDEFGHJK".into()))
    );
    assert_eq!(SecondFactor::parse("  "), None);
}

#[test]
fn rfc6238_sha1_vector() {
    // RFC 6238 appendix B, SHA-1, T = 59 s: 94287082 (8 digits); 6 digits: 287082.
    let secret = Secret::Raw(b"12345678901234567890".to_vec())
        .to_encoded()
        .to_string();
    let at = DateTime::from_timestamp(59, 0).unwrap_or_default();
    assert_eq!(totp_code(&secret, at).ok().as_deref(), Some("287082"));
    let t = totp(&secret, "x").ok();
    let step = t.and_then(|t| matching_step(&t, "287082", at));
    assert_eq!(step, Some(1));
}
